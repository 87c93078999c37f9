"""Atomic file writes: a crash, a full disk or a kill mid-write never leaves a half-written file in place.

Write to a temporary file in the same directory, fsync it, then ``os.replace`` it over the target (atomic on
POSIX and Windows), and fsync the directory so the rename itself survives a power cut. The finished file gets the
permissions of the file it replaces, or those the user's umask gives a new file (``mkstemp`` alone would leave
0600, unreadable to the other programs an export is meant for). A save through a symbolic link writes the file the
link points to. Temporary files carry the writer's process id, so the next write into the same folder removes
those a killed writer left behind.
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def _new_file_mode() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it: done once, at import, not from worker threads
    os.umask(mask)
    return 0o666 & ~mask


_NEW_FILE_MODE = _new_file_mode()


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yields a temporary path beside ``path`` for a writer that needs a file name (e.g. a video encoder); when
    the block ends without an exception the file is synced and renamed onto ``path``, otherwise removed."""
    path = _target(Path(path))
    directory = path.parent if str(path.parent) else Path(".")
    remove_stale_temporaries(directory)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp" + path.suffix,
                                        dir=directory)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else _NEW_FILE_MODE)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.filename:
            raise
        raise OSError(exc.errno, exc.strerror, str(path)) from None  # a full disk names the file it was saving
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_directory(directory)


def _target(path: Path) -> Path:
    """Where a save to ``path`` must land: through a symbolic link, the file it points to (replacing the link
    with a regular file would leave the real file unchanged and break the link's other users)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


_OURS = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[a-z0-9_]{8}\.tmp(?P<suffix>.*)$")


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Delete the temporary files in ``directory`` of our writes whose process is gone (killed mid-export); ours
    are named ``.NAME.PID-XXXXXXXX.tmpSUFFIX``, and one of a live process (a concurrent export) is left alone.
    Returns what was removed."""
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        match = _OURS.match(entry.name)
        if match and match["suffix"] == Path(match["name"]).suffix and not _alive(int(match["pid"])):
            try:
                os.unlink(entry.path)
            except OSError:
                continue
            removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but is another user's
        return True
    return True


def atomic_write(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)


def _sync_directory(directory: Path) -> None:
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:  # directories cannot be opened on Windows; the rename is still atomic
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)

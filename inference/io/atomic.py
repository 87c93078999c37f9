"""Atomic file writes: a crash, a full disk or a kill mid-write never leaves a half-written file in place.

Write to a temporary file in the same directory, fsync it, then ``os.replace`` it over the target (atomic on
POSIX and Windows), and fsync the directory so the rename itself survives a power cut. The finished file gets the
permissions of the file it replaces, or those the user's umask gives a new file (``mkstemp`` alone would leave
0600, unreadable to the other programs an export is meant for).
"""

from __future__ import annotations

import os
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
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else _NEW_FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_directory(directory)


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

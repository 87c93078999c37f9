"""Crash insurance: an unsaved session is written to a recovery file every minute, in the background.

The recovery file lives in the app's data folder (``QStandardPaths.AppDataLocation``), is replaced atomically by
``save_session`` (a kill mid-write leaves the previous recovery file intact plus, at worst, a stray temporary file
beside it), and is deleted when the session is saved or the app closes normally. If the app died, the next start
calls :func:`find_recovery` (no widgets: the start-up code and the tests call the same function) and offers what it
found. The interval is the ``autosave/intervalSeconds`` preference (default 60 s).

Several windows of the app may run at once: each instance owns its recovery file through a lock file (``QLockFile``,
released by the OS's process table when the owner dies). The first instance owns ``recovery.smsession``; another
one, finding it locked, writes ``recovery-<pid>.smsession`` beside it. So no instance overwrites, offers or deletes
the crash insurance of one that is still running, and a file whose owner died is offered at the next start.

Nothing here may stop the app from starting: a recovery file that fails to read in *any* way is moved aside (or,
when even that fails, skipped) with a message, and a data folder where no lock or file can be written (read-only,
full) turns autosave off with a reason the window shows, instead of an exception.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QLockFile, QObject, QStandardPaths, QThreadPool, QTimer, Signal

from inference.session import SESSION_SUFFIX, Session, load_session, save_session

from .document import Document
from .jobs import Job

log = logging.getLogger(__name__)

INTERVAL_MS = 60_000


def default_recovery_path() -> Path:
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.AppDataLocation) or Path.home() / ".sm-studio")
    return folder / f"recovery{SESSION_SUFFIX}"


@dataclass(frozen=True)
class RecoveryOffer:
    """An autosaved session found at start-up, already read (so a damaged file is never offered)."""

    path: Path
    saved_at: float  # seconds since the epoch (the file's modification time)
    session: Session

    def question(self) -> str:
        return (f"SM Studio did not close normally last time. Restore the session autosaved at "
                f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(self.saved_at))}?")


def _lock(path: Path) -> QLockFile:
    lock = QLockFile(str(path) + ".lock")
    lock.setStaleLockTime(0)  # stale only when its process is gone, however old
    return lock


def _claim(path: Path) -> tuple[Path, QLockFile]:
    """The recovery file this instance owns: ``path``, or ``<stem>-<pid>`` beside it while a running instance owns
    ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    own = path.with_name(f"{path.stem}-{os.getpid()}{path.suffix}")
    for candidate in (path, own):
        lock = _lock(candidate)
        if lock.tryLock(0):
            return candidate, lock
    raise OSError(f"cannot lock a recovery file in {path.parent} ({lock.error()})")


def find_recovery(path: Path, own: Optional[Path] = None, notes: Optional[list[str]] = None) -> Optional[RecoveryOffer]:
    """What the app offers to restore at start: the newest recovery file of the family of ``path`` (``path`` and its
    ``<stem>-<pid>`` siblings) that reads as a session and whose instance is not running (its lock is free, or it
    is ``own``, the file the calling instance has just claimed).

    Temporary files of a write that a crash interrupted are removed (the recovery file they were meant to replace
    is still whole). A recovery file that cannot be read, whatever the reason, is not deleted: it is renamed aside
    (``….unreadable``) with a message appended to ``notes`` (and logged), so that nothing the user might want back is
    thrown away and it is not offered on every start. A folder that cannot be changed (read-only) only loses the
    tidying: start-up never fails here.
    """
    path = Path(path)
    notes = notes if notes is not None else []
    for stray in path.parent.glob(f".{path.stem}*{path.suffix}.*.tmp{path.suffix}"):
        _remove(stray, "left by an interrupted autosave")
    family = [path] + sorted(path.parent.glob(f"{path.stem}-*{path.suffix}"))
    for lock_file in path.parent.glob(f"{path.stem}*{path.suffix}.lock"):  # of instances that died before writing
        target = lock_file.with_suffix("")
        if target not in family and target != own and _lock(target).tryLock(0):
            _remove(lock_file, "a lock of an instance that died before writing")
    orphans = []
    for candidate in (p for p in family if p.is_file()):
        if candidate != own:
            lock = _lock(candidate)
            if not lock.tryLock(0):
                continue  # a running instance's insurance: not ours to offer
            lock.unlock()  # its instance is gone
        orphans.append(candidate)
    for candidate in sorted(orphans, key=_mtime, reverse=True):
        try:
            session = load_session(candidate)
        except Exception as exc:  # noqa: BLE001 — whatever breaks the read, start-up goes on without this file
            notes.append(_set_aside(candidate, exc))
            continue
        return RecoveryOffer(candidate, _mtime(candidate), session)
    return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _remove(path: Path, why: str) -> None:
    try:
        path.unlink(missing_ok=True)
        log.info("removed %s, %s", path, why)
    except OSError as exc:
        log.warning("could not remove %s (%s): %s", path, why, exc)


def _set_aside(candidate: Path, exc: BaseException) -> str:
    """Move an unreadable recovery file aside; the message says where (or that it stays, in a read-only folder)."""
    why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    aside = candidate.with_name(f"{candidate.name}.{int(time.time())}.unreadable")
    try:
        candidate.replace(aside)
    except OSError as move_error:
        message = f"The recovery file {candidate} could not be read ({why}) and was left in place ({move_error})."
    else:
        message = f"The recovery file {candidate} could not be read ({why}); it was moved to {aside}."
    log.warning(message)
    return message


class Autosave(QObject):
    failed = Signal(str)  # why a recovery write failed: the window tells the user their work is not protected

    def __init__(self, doc: Document, path: Optional[Path] = None, interval_ms: int = INTERVAL_MS,
                 parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self._family = Path(path or default_recovery_path())
        self.notes: list[str] = []  # what start-up had to do about unreadable recovery files: shown by the window
        self.off_reason = ""  # why autosave is off ("" while it works): the window shows it
        self.path: Optional[Path] = None
        self._lock: Optional[QLockFile] = None
        try:
            self.path, self._lock = _claim(self._family)
        except OSError as exc:  # read-only or full data folder: the app still starts, without crash insurance
            self.off_reason = f"cannot write recovery files in {self._family.parent} ({exc.strerror or exc})"
            log.warning("autosave off: %s", self.off_reason)
        self._pool = QThreadPool(self)  # its own pool: never waits behind (or blocks) the user's jobs
        self._pool.setMaxThreadCount(1)
        self._job: Optional[Job] = None
        # every undo/redo/edit counts as a change: the undo index alone repeats after undo + a different edit
        self._changes = 0
        self._saved_changes = -1
        self._retired: list[tuple[Path, QLockFile]] = []
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.save_now)
        self._timer.start(interval_ms)
        doc.undo_stack.indexChanged.connect(self._changed)
        doc.sessionReplaced.connect(self._changed)
        doc.undo_stack.cleanChanged.connect(self._clean_changed)

    def _changed(self, *_args: object) -> None:
        self._changes += 1

    def find_recovery(self) -> Optional[RecoveryOffer]:
        """:func:`find_recovery` at start, for this instance: the file it has just claimed, if it exists, is a
        crashed predecessor's and may be offered."""
        return find_recovery(self._family, own=self.path, notes=self.notes)

    def retire(self, path: Path) -> None:
        """Another recovery file, left by an instance that died, was offered at start (restored or declined): delete
        it once this instance's own recovery file holds the current work — never before, and never one that a
        running instance owns."""
        path = Path(path)
        if path == self.path or self.path is None:
            return  # our own file (the next write replaces it), or autosave is off: the file stays
        lock = _lock(path)
        if lock.tryLock(0):  # held until the file is gone, so no other instance takes it meanwhile
            self._retired.append((path, lock))
            self.save_now()

    def save_now(self) -> None:
        """Write the recovery file if there are unsaved edits not written yet (no-op while a write runs)."""
        changes, index = self._changes, self.doc.undo_stack.index()
        if self.path is None or not self.doc.is_modified or self.doc.reconstruction is None or self._job is not None \
                or changes == self._saved_changes:
            return
        session, path, retired = self.doc.to_session(), self.path, list(self._retired)

        def write(_progress, _cancel) -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_session(session, path)
        self._job = Job("autosave", write, self)
        self._job.finished.connect(lambda _r: self._written(changes, index, retired))
        self._job.failed.connect(lambda msg, _tb: self._failed(path, msg))
        self._job.ended.connect(self._ended)
        self._job.start(self._pool)

    def _written(self, changes: int, index: int, retired: list[tuple[Path, QLockFile]]) -> None:
        self._saved_changes = changes
        log.info("autosaved undo step %d to %s", index, self.path)
        for entry in retired:
            self._drop(entry)
            log.info("removed %s: this instance's recovery file %s replaces it", entry[0], self.path)

    def _failed(self, path: Path, message: str) -> None:
        log.warning("autosave to %s failed: %s", path, message)
        self.failed.emit(f"{path}: {message}")

    def _drop(self, entry: tuple[Path, QLockFile]) -> None:
        entry[0].unlink(missing_ok=True)
        entry[1].unlock()
        self._retired.remove(entry)

    def _ended(self) -> None:
        self._job = None

    def _clean_changed(self, clean: bool) -> None:
        if clean:
            self.discard()

    def discard(self) -> None:
        """The user's work is safe elsewhere (saved, or deliberately closed): remove the recovery file."""
        self._pool.waitForDone()
        if self.path is not None:
            _remove(self.path, "the work it held is saved or was discarded")
        for entry in list(self._retired):
            self._drop(entry)
        self._saved_changes = -1

    def stop(self) -> None:
        """Stop writing and give up the lock (at close; the recovery file itself is removed by :meth:`discard`)."""
        self._timer.stop()
        self._pool.waitForDone()
        if self._lock is not None:
            self._lock.unlock()

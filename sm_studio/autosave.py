"""Crash insurance: an unsaved session is written to a recovery file every minute, in the background.

The recovery file lives in the app's data folder (``QStandardPaths.AppDataLocation``), is replaced atomically by
``save_session`` (a kill mid-write leaves the previous recovery file intact plus, at worst, a stray temporary file
beside it), and is deleted when the session is saved or the app closes normally. If the app died, the next start
calls :func:`find_recovery` (no widgets: the start-up code and the tests call the same function) and offers what it
found. The interval is the ``autosave/intervalSeconds`` preference (default 60 s).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QObject, QStandardPaths, QThreadPool, QTimer

from inference.session import SESSION_SUFFIX, Session, SessionError, load_session, save_session

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


def find_recovery(path: Path) -> Optional[RecoveryOffer]:
    """What the app offers to restore at start: the recovery file at ``path`` if it exists and reads as a session.

    Temporary files of a write that a crash interrupted are removed (the recovery file they were meant to replace
    is still whole). A recovery file that cannot be read is not deleted: it is renamed aside (``….unreadable``)
    and logged, so that nothing the user might want back is thrown away and it is not offered on every start.
    """
    path = Path(path)
    for stray in path.parent.glob(f".{path.name}.*.tmp{path.suffix}"):
        stray.unlink(missing_ok=True)
        log.info("removed %s, left by an interrupted autosave", stray)
    if not path.is_file():
        return None
    try:
        session = load_session(path)
    except SessionError as exc:
        aside = path.with_name(f"{path.name}.{int(time.time())}.unreadable")
        path.replace(aside)
        log.warning("the recovery file could not be read and was moved to %s: %s", aside, exc)
        return None
    return RecoveryOffer(path, path.stat().st_mtime, session)


class Autosave(QObject):
    def __init__(self, doc: Document, path: Optional[Path] = None, interval_ms: int = INTERVAL_MS,
                 parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.path = path or default_recovery_path()
        self._pool = QThreadPool(self)  # its own pool: never waits behind (or blocks) the user's jobs
        self._pool.setMaxThreadCount(1)
        self._job: Optional[Job] = None
        self._saved_index = -1
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.save_now)
        self._timer.start(interval_ms)
        doc.undo_stack.cleanChanged.connect(self._clean_changed)

    def save_now(self) -> None:
        """Write the recovery file if there are unsaved edits not written yet (no-op while a write runs)."""
        index = self.doc.undo_stack.index()
        if not self.doc.is_modified or self.doc.reconstruction is None or self._job is not None \
                or index == self._saved_index:
            return
        session, path = self.doc.to_session(), self.path

        def write(_progress, _cancel) -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_session(session, path)
        self._job = Job("autosave", write, self)
        self._job.finished.connect(lambda _r: self._written(index))
        self._job.failed.connect(lambda msg, _tb: log.warning("autosave to %s failed: %s", path, msg))
        self._job.ended.connect(self._ended)
        self._job.start(self._pool)

    def _written(self, index: int) -> None:
        self._saved_index = index
        log.info("autosaved undo step %d to %s", index, self.path)

    def _ended(self) -> None:
        self._job = None

    def _clean_changed(self, clean: bool) -> None:
        if clean:
            self.discard()

    def discard(self) -> None:
        """The user's work is safe elsewhere (saved, or deliberately closed): remove the recovery file."""
        self._pool.waitForDone()
        self.path.unlink(missing_ok=True)
        self._saved_index = -1

    def stop(self) -> None:
        self._timer.stop()
        self._pool.waitForDone()

"""A worker thread that serves only the newest request: the base of video decoding and overlay rendering.

Why "latest only": while the user scrubs or plays, requests arrive faster than a frame can be decoded or
rendered. Queueing them would make the picture lag further and further behind the playhead; keeping only the
newest pending request drops the frames that could not be made in time instead (no drift). Each worker owns
its resources (a video capture, a GL context) inside its own thread, which is what GL contexts require.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Optional

from PySide6.QtCore import QObject, QThread, Qt, Signal, Slot

log = logging.getLogger(__name__)


class LatestOnlyWorker(QObject):
    """Subclasses implement :meth:`handle` (runs in the worker thread) and optionally :meth:`close`
    (also in the worker thread, when the worker stops)."""

    resultReady = Signal(object, object)  # request, result
    failed = Signal(object, str)  # request, message
    _wake = Signal()

    def __init__(self, name: str) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._pending: Optional[Any] = None
        self._thread = QThread()
        self._thread.setObjectName(name)
        self.moveToThread(self._thread)
        self._wake.connect(self._process, Qt.QueuedConnection)
        self._thread.finished.connect(self._close_in_thread, Qt.DirectConnection)
        self._thread.start()

    def submit(self, request: Any) -> None:
        """Replace whatever was waiting with ``request`` (thread-safe; call from the GUI thread)."""
        with self._lock:
            self._pending = request
        self._wake.emit()

    def stop(self) -> None:
        """Finish the request in progress, drop the rest, release resources in the worker thread, join it."""
        with self._lock:
            self._pending = None
        self._thread.quit()
        self._thread.wait()

    def handle(self, request: Any) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        """Release thread-bound resources (called in the worker thread)."""

    @Slot()
    def _process(self) -> None:
        with self._lock:
            request, self._pending = self._pending, None
        if request is None:
            return  # an earlier wake-up already took it: this is how superseded requests are dropped
        try:
            result = self.handle(request)
        except Exception as exc:  # report, keep the thread alive for the next request
            log.exception("%s failed", self._thread.objectName())
            self.failed.emit(request, f"{type(exc).__name__}: {exc}")
            return
        self.resultReady.emit(request, result)

    @Slot()
    def _close_in_thread(self) -> None:
        try:
            self.close()
        except Exception:
            log.exception("%s: close failed", self._thread.objectName())

"""Background jobs (infill, refine, export…) with progress and cancel, run on a ``QThreadPool``.

A job is any callable ``fn(progress, cancel) -> result`` where ``progress(fraction, message)`` reports and
``cancel()`` returns true once the user pressed Cancel — the same plain-callable protocol the engine
(``inference.engine``) and the exporters use, so ``inference/`` stays free of Qt. The job polls ``cancel()``
between units of work and stops by raising (any exception raised after a cancel request counts as "cancelled").
Workers never touch widgets: results come back through queued signals on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any, Callable, Optional

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]
JobFn = Callable[[ProgressFn, CancelFn], Any]


class _Signals(QObject):
    progress = Signal(float, str)
    done = Signal(object)
    failed = Signal(str, str)  # message, traceback
    cancelled = Signal()


class _Runnable(QRunnable):
    def __init__(self, fn: JobFn, signals: _Signals, stop: threading.Event) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn, self._signals, self._stop = fn, signals, stop

    def run(self) -> None:
        try:
            result = self._fn(lambda f, m="": self._signals.progress.emit(float(f), str(m)), self._stop.is_set)
        # every failure is reported to the GUI, none is swallowed — BaseException too: a plug-in calling sys.exit()
        # would otherwise end the pool thread silently and leave the job "running" for ever
        except BaseException as exc:
            if self._stop.is_set():
                self._signals.cancelled.emit()
            else:
                self._signals.failed.emit(f"{type(exc).__name__}: {exc}", traceback.format_exc())
            return
        if self._stop.is_set():
            self._signals.cancelled.emit()
        else:
            self._signals.done.emit(result)


class Job(QObject):
    """One running job. Signals arrive on the thread that created the job (the GUI thread)."""

    progress = Signal(float, str)
    finished = Signal(object)  # the result
    failed = Signal(str, str)
    cancelled = Signal()
    ended = Signal()  # after any of the three above

    def __init__(self, name: str, fn: JobFn, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.name = name
        self._stop = threading.Event()
        self._signals = _Signals()
        self._signals.progress.connect(self.progress)
        self._signals.done.connect(self._on_done)
        self._signals.failed.connect(self._on_failed)
        self._signals.cancelled.connect(self._on_cancelled)
        self._runnable = _Runnable(fn, self._signals, self._stop)
        self.running = False

    def start(self, pool: Optional[QThreadPool] = None) -> None:
        self.running = True
        log.info("job started: %s", self.name)
        (pool or QThreadPool.globalInstance()).start(self._runnable)

    def cancel(self) -> None:
        """Ask the job to stop; it stops at its next ``cancel()`` check and emits ``cancelled``."""
        self._stop.set()

    def _on_done(self, result: Any) -> None:
        self.running = False
        log.info("job finished: %s", self.name)
        self.finished.emit(result)
        self.ended.emit()

    def _on_failed(self, message: str, tb: str) -> None:
        self.running = False
        log.error("job failed: %s: %s\n%s", self.name, message, tb)
        self.failed.emit(message, tb)
        self.ended.emit()

    def _on_cancelled(self) -> None:
        self.running = False
        log.info("job cancelled: %s", self.name)
        self.cancelled.emit()
        self.ended.emit()

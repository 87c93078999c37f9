"""Progress bar + Cancel for the one background job that may run at a time (lives in the status bar).

One job at a time is deliberate: infill, refine and file jobs all produce a new state of the same session, and
letting two race would make one silently overwrite the other.
"""

from __future__ import annotations

from typing import Callable, Optional

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from .jobs import Job, JobFn


class JobBusy(RuntimeError):
    """Another job is still running."""


class JobBar(QWidget):
    busyChanged = Signal(bool)
    jobCancelled = Signal(str)  # the job's name, as soon as Cancel is pressed

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.label = QLabel("")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setMaximumWidth(240)
        self.cancel_button = QPushButton("Cancel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(self.cancel)
        self.job: Optional[Job] = None
        self.setVisible(False)

    @property
    def busy(self) -> bool:
        return self.job is not None

    def run(self, name: str, fn: JobFn, on_done: Callable[[object], None],
            on_failed: Callable[[str, str], None], cancellable: bool = True) -> Job:
        """Start ``fn`` in the thread pool; ``on_done(result)`` / ``on_failed(message, traceback)`` run on the GUI
        thread. Raises :class:`JobBusy` while another job runs."""
        if self.job is not None:
            raise JobBusy(f"'{self.job.name}' is still running; wait for it or cancel it first")
        job = Job(name, fn, self)
        job.progress.connect(self._progress)
        job.finished.connect(on_done)
        job.failed.connect(on_failed)
        job.ended.connect(self._ended)
        self.job = job
        self.label.setText(name)
        self.bar.setValue(0)
        self.cancel_button.setEnabled(cancellable)
        self.cancel_button.setText("Cancel")
        self.setVisible(True)
        self.busyChanged.emit(True)
        job.start()
        return job

    def cancel(self) -> None:
        """Stop the job and free the bar at once: the work stops at its next check (a sampling step can take
        seconds), but its result is dropped from now on, so the user need not wait for it."""
        job = self.job
        if job is None:
            return
        job.cancel()
        job.finished.disconnect()
        job.failed.disconnect()
        job.ended.disconnect(self._ended)
        job.ended.connect(job.deleteLater)  # kept alive until its thread has really stopped
        self.job = None
        self.setVisible(False)
        self.busyChanged.emit(False)
        self.jobCancelled.emit(job.name)

    def _progress(self, fraction: float, message: str) -> None:
        self.bar.setValue(int(round(1000 * min(max(fraction, 0.0), 1.0))))
        if self.job is not None:
            self.label.setText(f"{self.job.name}: {message}" if message else self.job.name)

    def _ended(self) -> None:
        if self.job is not None:
            self.job.deleteLater()
        self.job = None
        self.setVisible(False)
        self.busyChanged.emit(False)

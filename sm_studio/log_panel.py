"""A log panel: Python ``logging`` records shown in a read-only text widget.

Records can come from any thread (workers log too), so the handler only emits a Qt signal; the text is appended
on the GUI thread by the queued connection.
"""

from __future__ import annotations

import logging
from typing import Optional

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QPlainTextEdit, QWidget

MAX_LINES = 2000


class _Bridge(QObject):
    message = Signal(str)
    problem = Signal(str)  # warnings and errors, plain, for the status bar: nobody reads a log they did not open


class QtLogHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.bridge = _Bridge()
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.bridge.message.emit(self.format(record))
            if record.levelno >= logging.WARNING:
                self.bridge.problem.emit(f"{record.levelname.capitalize()}: {record.getMessage().splitlines()[0]}")
        except RuntimeError:  # the widget side was destroyed while a worker still logged
            pass


class LogPanel(QPlainTextEdit):
    """Attaches a handler to the root logger for its lifetime (:meth:`detach` on close)."""

    def __init__(self, level: int = logging.INFO, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(MAX_LINES)
        self.handler = QtLogHandler()
        self.handler.setLevel(level)
        self.handler.bridge.message.connect(self.appendPlainText)
        root = logging.getLogger()
        root.addHandler(self.handler)
        if root.level > level or root.level == logging.NOTSET:
            root.setLevel(level)

    def detach(self) -> None:
        logging.getLogger().removeHandler(self.handler)

"""Progress reporting and cancellation for exports, independent of any GUI toolkit.

The GUI's worker passes plain callables; the exporters call :meth:`Progress.step` between units of work
(frames of a video, files of a multi-file export), which is where a cancel request takes effect.
"""

from __future__ import annotations

from typing import Callable, Optional


class ExportCancelled(Exception):
    """The caller's ``cancel()`` returned true; no partial output file is left behind."""


class Progress:
    def __init__(self, callback: Optional[Callable[[int, int], None]] = None,
                 cancel: Optional[Callable[[], bool]] = None) -> None:
        self._callback = callback
        self._cancel = cancel

    def step(self, done: int, total: int) -> None:
        """Report ``done`` of ``total`` units, then raise :class:`ExportCancelled` if cancellation was asked."""
        if self._callback is not None:
            self._callback(done, total)
        if done < total and self._cancel is not None and self._cancel():
            raise ExportCancelled(f"export cancelled after {done} of {total}")

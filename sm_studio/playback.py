"""Playback clock and shuttle (J/K/L), driving the document's current frame.

The frame shown is derived from wall-clock time since play started (``start + elapsed · fps · speed``), not by
adding one frame per timer tick: when decoding or rendering cannot keep up, frames are skipped and the picture
stays in time with the clock instead of drifting behind.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal

from .document import Document

SHUTTLE_SPEEDS = (1.0, 2.0, 4.0, 8.0)


class Playback(QObject):
    playingChanged = Signal(bool)
    speedChanged = Signal(float)

    def __init__(self, doc: Document, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self._doc = doc
        self._speed = 0.0
        self._start_frame = 0
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._own_seek = False
        doc.frameChanged.connect(self._frame_changed)

    @property
    def playing(self) -> bool:
        return self._speed != 0.0

    @property
    def speed(self) -> float:
        return self._speed

    def toggle(self) -> None:
        """Space: play forward at normal speed, or pause."""
        self.set_speed(0.0 if self.playing else 1.0)

    def pause(self) -> None:
        self.set_speed(0.0)

    def shuttle(self, direction: int) -> None:
        """L (``+1``) / J (``-1``): start in that direction, or go one step faster if already going that way;
        pressing the other way first slows down through pause, as in video editors."""
        if direction == 0:
            self.pause()
            return
        if self._speed == 0.0 or (self._speed > 0) != (direction > 0):
            if self._speed != 0.0:
                self.pause()
                return
            self.set_speed(float(direction))
            return
        faster = [s for s in SHUTTLE_SPEEDS if s > abs(self._speed)]
        self.set_speed(direction * (faster[0] if faster else SHUTTLE_SPEEDS[-1]))

    def set_speed(self, speed: float) -> None:
        if speed == self._speed:
            return
        n = self._doc.num_frames
        if speed != 0.0 and n <= 1:
            return
        if speed > 0 and self._doc.frame >= n - 1:
            self._doc.set_frame(0)  # play from the start when at the end
        self._speed = float(speed)
        self._start_frame = self._doc.frame
        self._clock.start()
        if speed == 0.0:
            self._timer.stop()
        else:
            self._timer.start(max(1, int(500 / max(self._doc.fps * abs(speed), 1.0))))
        self.playingChanged.emit(self.playing)
        self.speedChanged.emit(self._speed)

    def _tick(self) -> None:
        elapsed = self._clock.nsecsElapsed() / 1e9
        target = self._start_frame + int(elapsed * self._doc.fps * self._speed)
        last = self._doc.num_frames - 1
        at_end = (self._speed > 0 and target >= last) or (self._speed < 0 and target <= 0)
        self._own_seek = True
        self._doc.set_frame(min(max(target, 0), last))
        self._own_seek = False
        if at_end:
            self.pause()

    def _frame_changed(self, frame: int) -> None:
        """A seek by the user while playing: continue playing from there."""
        if self.playing and not self._own_seek:
            self._start_frame = frame
            self._clock.start()

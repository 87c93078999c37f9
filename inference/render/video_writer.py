"""H.264 MP4 writing through PyAV (pip OpenCV can only write MPEG-4 Part 2 / MJPG, which browsers and many
editors refuse)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Optional

import av
import numpy as np


class Mp4Writer:
    """``with Mp4Writer(path, w, h, fps) as out: out.write(rgb_uint8)``; width and height must be even (yuv420p)."""

    def __init__(self, path: "str | Path", width: int, height: int, fps: float, crf: int = 20,
                 preset: str = "medium") -> None:
        if width % 2 or height % 2:
            raise ValueError(f"{path}: H.264 in yuv420p needs even width and height, got {width}×{height}")
        self.path, self.width, self.height = Path(path), int(width), int(height)
        self._container: Optional[av.container.OutputContainer] = av.open(str(self.path), "w")
        self._stream = self._container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        self._stream.width, self._stream.height = self.width, self.height
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": str(int(crf)), "preset": preset}
        self.frames_written = 0

    def write(self, rgb: np.ndarray) -> None:
        if self._container is None:
            raise ValueError(f"{self.path}: writer already closed")
        if rgb.shape != (self.height, self.width, 3) or rgb.dtype != np.uint8:
            raise ValueError(f"{self.path}: frame must be uint8 ({self.height}, {self.width}, 3), "
                             f"got {rgb.dtype} {rgb.shape}")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> None:
        if self._container is None:
            return
        for packet in self._stream.encode():  # flush delayed frames
            self._container.mux(packet)
        self._container.close()
        self._container = None

    def __enter__(self) -> "Mp4Writer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""The frames of one segment of a video, decoded only when a backend asks for them.

A vision backend samples four or so frames of a segment that may span hundreds; decoding all of them up front
would cost seconds and gigabytes. ``VideoFrames`` is a sequence over ``[start, stop)`` that seeks to a frame when
indexed (OpenCV's frame-position seek, which was exact on every file tried, see ENVIRONMENT.md) and returns RGB.
"""

from __future__ import annotations

from pathlib import Path
from typing import Union

import numpy as np

from .base import DescribeError


class VideoFrames:
    """Frames ``start … stop-1`` of ``path`` as RGB ``(H, W, 3) uint8``; ``frames[i]`` is frame ``start + i``."""

    def __init__(self, path: Union[str, Path], start: int, stop: int) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise DescribeError(f"{self.path}: video file not found")
        self.start, self.stop = int(start), int(stop)

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, i: int) -> np.ndarray:
        import cv2

        if not -len(self) <= i < len(self):
            raise IndexError(i)
        frame_no = self.start + (i % len(self))
        cap = cv2.VideoCapture(str(self.path))
        try:
            if not cap.isOpened():
                raise DescribeError(f"{self.path}: cannot open the video")
            cap.set(cv2.CAP_PROP_POS_FRAMES, frame_no)
            ok, bgr = cap.read()
        finally:
            cap.release()
        if not ok:
            raise DescribeError(f"{self.path}: cannot read frame {frame_no}")
        return bgr[..., ::-1].copy()

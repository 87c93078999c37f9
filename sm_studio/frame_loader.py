"""Video frames for the views, decoded by ``inference.video.VideoReader`` (frame-exact, LRU-cached) on a worker
thread (see :mod:`sm_studio.latest_worker`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtGui import QImage

from inference.video import VideoReader

from .latest_worker import LatestOnlyWorker


@dataclass(frozen=True)
class FrameRequest:
    path: Path
    index: int


@dataclass(frozen=True)
class DecodedFrame:
    index: int
    image: QImage  # RGB888, owns its memory (safe to hand to the GUI thread)
    rgb: np.ndarray  # the same pixels, for renderers and tests


class FrameLoader(LatestOnlyWorker):
    """Emits ``resultReady(FrameRequest, DecodedFrame)``; one :class:`VideoReader` lives in the worker thread."""

    def __init__(self, cache_bytes: int = 512 * 2**20) -> None:
        super().__init__("frame-loader")
        self._cache_bytes = cache_bytes
        self._reader: Optional[VideoReader] = None

    def request(self, path: Path, index: int) -> None:
        self.submit(FrameRequest(Path(path), int(index)))

    def handle(self, request: FrameRequest) -> DecodedFrame:
        if self._reader is None or self._reader.path != request.path:
            self.close()
            self._reader = VideoReader(request.path, self._cache_bytes)
        index = min(max(request.index, 0), self._reader.num_frames - 1)
        rgb = self._reader.frame(index)
        h, w = rgb.shape[:2]
        image = QImage(rgb.data, w, h, rgb.strides[0], QImage.Format_RGB888).copy()
        return DecodedFrame(index, image, rgb)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

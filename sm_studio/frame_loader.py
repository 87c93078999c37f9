"""Video frames for the views, decoded by ``inference.video.VideoReader`` (frame-exact, LRU-cached) on a worker
thread (see :mod:`sm_studio.latest_worker`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
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
    rgb: np.ndarray  # (H, W, 3) uint8, for the views and renderers

    @cached_property
    def image(self) -> QImage:
        """The same pixels as an RGB888 image owning its memory, made only when a painter view shows the raw
        frame (the GL view draws ``rgb`` itself)."""
        h, w = self.rgb.shape[:2]
        return QImage(self.rgb.data, w, h, self.rgb.strides[0], QImage.Format_RGB888).copy()


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
        return DecodedFrame(index, np.ascontiguousarray(self._reader.frame(index)))

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

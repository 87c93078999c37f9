"""Frame-exact video decoding with a bounded LRU cache (no Qt: owned by one worker thread).

OpenCV's ``CAP_PROP_POS_FRAMES`` seek was frame-exact on every file tried on this machine (VFR, B-frames, start
offsets; see ENVIRONMENT.md), but it costs a decode from the previous keyframe. Playback reads sequentially, so
the reader only seeks when the wanted frame is not the next one, and keeps recently shown frames so that
scrubbing back and forth over the same stretch does not decode again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np


class VideoError(OSError):
    """The video cannot be opened or a frame cannot be decoded; the message names the file."""


class VideoReader:
    """RGB frames by index. Not thread-safe: create and use it in one thread."""

    def __init__(self, path: str | Path, cache_bytes: int = 512 * 2**20) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise VideoError(f"{self.path}: file not found")
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            raise VideoError(f"{self.path}: OpenCV cannot open this video (unknown codec or not a video)")
        self.num_frames = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS)) or 30.0
        self.width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if self.num_frames <= 0 or self.width <= 0 or self.height <= 0:
            raise VideoError(f"{self.path}: the video reports no frames or no size")
        frame_bytes = self.width * self.height * 3
        self._capacity = max(2, cache_bytes // frame_bytes)
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._next = 0  # index the capture will decode on the next read()
        self.decoded = 0  # frames actually decoded (for the cache test and the bench)

    @property
    def cache_capacity(self) -> int:
        return self._capacity

    def cached(self, index: int) -> bool:
        return index in self._cache

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` as ``(H, W, 3) uint8`` RGB (read-only: it is shared with the cache)."""
        if not 0 <= index < self.num_frames:
            raise VideoError(f"{self.path}: frame {index} outside 0..{self.num_frames - 1}")
        hit = self._cache.get(index)
        if hit is not None:
            self._cache.move_to_end(index)
            return hit
        if index != self._next:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, bgr = self._cap.read()
        if not ok:
            self._next = -1  # unknown position: seek next time
            raise VideoError(f"{self.path}: could not decode frame {index}")
        self.decoded += 1
        self._next = index + 1
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        rgb.setflags(write=False)
        self._cache[index] = rgb
        if len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        return rgb

    def close(self) -> None:
        self._cap.release()
        self._cache.clear()


class VideoFrames(Sequence):
    """Frames ``[start, stop)`` as a lazy sequence (what ``inference.describe.DescribeInput.frames`` accepts):
    a backend that samples a few frames decodes only those. Opens its own reader in the thread that reads it."""

    def __init__(self, path: str | Path, start: int, stop: int) -> None:
        self._path, self._start, self._stop = Path(path), int(start), int(stop)
        self._reader: VideoReader | None = None

    def __len__(self) -> int:
        return self._stop - self._start

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        if self._reader is None:
            self._reader = VideoReader(self._path, cache_bytes=64 * 2**20)
        return self._reader.frame(self._start + (i % len(self)))

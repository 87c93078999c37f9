"""Reading videos: one frame-exact, bounded-memory reader for the app, the front end, the describer and exports.

Containers lie: a frame count from metadata can be too high (a truncated download) or too low, the frame rate can
be missing or absurd, and a zero-length file still "opens". ``probe_video`` therefore checks what it is told
(decodes the last reported frame, searches back for the real end when that fails, reads on when there is more)
and reports problems as ``VideoError`` naming the file. Frames are addressed by index; for a variable-frame-rate
file ``fps`` is the average rate (what OpenCV and the motion's ``fps`` both use).

OpenCV's ``CAP_PROP_POS_FRAMES`` seek was frame-exact on every file tried here (VFR, B-frames, start offsets; see
ENVIRONMENT.md) but costs a decode from the previous keyframe, so the reader seeks only when the wanted frame is
not the next one, and keeps recent frames in an LRU cache bounded in bytes (memory stays flat on an hour of 4K).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Union

import cv2
import numpy as np

from .motion import MotionError

DEFAULT_FPS = 30.0
MAX_PLAUSIBLE_FPS = 1000.0
# how far past the reported end we keep reading when the container under-reports its length
_EXTRA_FRAMES_CHECKED = 256


class VideoError(MotionError):
    """The video cannot be opened or a frame cannot be decoded; the message names the file and says why."""


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    width: int
    height: int
    fps: float
    num_frames: int  # frames that really decode, which may differ from what the container reports
    reported_frames: int
    fps_guessed: bool  # the container gave no usable rate; DEFAULT_FPS is assumed

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.fps


def _open(path: Path) -> cv2.VideoCapture:
    if not path.is_file():
        raise VideoError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise VideoError(f"{path}: the file is empty (0 bytes)")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise VideoError(f"{path}: cannot be opened as a video (unknown format or codec, or a damaged file)")
    return cap


def _readable(cap: cv2.VideoCapture, index: int) -> bool:
    cap.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, _ = cap.read()
    return bool(ok)


def probe_video(path: Union[str, Path]) -> VideoInfo:
    """Size, rate and the true frame count; raises ``VideoError`` for files without a decodable frame."""
    path = Path(path)
    cap = _open(path)
    try:
        width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        reported = max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
        if width <= 0 or height <= 0:
            raise VideoError(f"{path}: the video stream has no picture size (not a video, or damaged)")
        fps_guessed = not (math.isfinite(fps) and 0 < fps <= MAX_PLAUSIBLE_FPS)
        count = _true_frame_count(cap, reported)
        if count == 0:
            raise VideoError(f"{path}: no frame can be decoded (empty or damaged video)")
        return VideoInfo(path, width, height, DEFAULT_FPS if fps_guessed else fps, count, reported, fps_guessed)
    finally:
        cap.release()


def _true_frame_count(cap: cv2.VideoCapture, reported: int) -> int:
    if reported > 0 and _readable(cap, reported - 1):
        count = reported  # the reported end decodes: read on in case there is more
        cap.set(cv2.CAP_PROP_POS_FRAMES, count)
        while count < reported + _EXTRA_FRAMES_CHECKED and cap.read()[0]:
            count += 1
        return count
    if reported == 0:  # no count at all: read through (only for streams that do not say)
        cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        count = 0
        while cap.read()[0]:
            count += 1
        return count
    lo, hi = 0, reported - 1  # frame lo is assumed readable, hi is not: binary search for the last good one
    if not _readable(cap, 0):
        return 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _readable(cap, mid) else (lo, mid)
    return lo + 1


class VideoReader:
    """RGB frames by index with a byte-bounded LRU cache. Not thread-safe: create and use it in one thread."""

    def __init__(self, path: Union[str, Path], cache_bytes: int = 512 * 2**20,
                 info: Optional[VideoInfo] = None) -> None:
        self.info = info or probe_video(path)
        self.path = self.info.path
        self._cap = _open(self.path)
        self._capacity = max(2, cache_bytes // (self.info.width * self.info.height * 3))
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._next = 0  # index the capture will decode on its next read()
        self.decoded = 0  # frames actually decoded (for tests and benchmarks of the cache)

    @property
    def num_frames(self) -> int:
        return self.info.num_frames

    @property
    def fps(self) -> float:
        return self.info.fps

    @property
    def width(self) -> int:
        return self.info.width

    @property
    def height(self) -> int:
        return self.info.height

    @property
    def cache_capacity(self) -> int:
        return self._capacity

    def cached(self, index: int) -> bool:
        return index in self._cache

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` as ``(H, W, 3) uint8`` RGB, read-only (it is shared with the cache)."""
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
            self._next = -1  # position unknown: seek next time
            raise VideoError(f"{self.path}: frame {index} cannot be decoded (damaged stream)")
        self.decoded += 1
        self._next = index + 1
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        rgb.setflags(write=False)
        self._cache[index] = rgb
        if len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        return rgb

    def frames(self, start: int = 0, stop: Optional[int] = None) -> Iterator[np.ndarray]:
        """Frames ``[start, stop)`` in order, decoded sequentially (one seek at most)."""
        for index in range(start, self.num_frames if stop is None else min(stop, self.num_frames)):
            yield self.frame(index)

    def close(self) -> None:
        self._cap.release()
        self._cache.clear()

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VideoFrames(Sequence):
    """Frames ``[start, stop)`` as a lazy sequence: a consumer that samples a few frames decodes only those.
    Opens its reader on first access, in the thread that reads it."""

    def __init__(self, path: Union[str, Path], start: int, stop: int, cache_bytes: int = 64 * 2**20) -> None:
        self._path, self._start, self._stop, self._cache_bytes = Path(path), int(start), int(stop), cache_bytes
        self._reader: Optional[VideoReader] = None

    def __len__(self) -> int:
        return self._stop - self._start

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        if self._reader is None:
            self._reader = VideoReader(self._path, cache_bytes=self._cache_bytes)
        return self._reader.frame(self._start + (i % len(self)))

"""The one interface every description backend implements.

A backend gets what the app knows about a segment — the video frames it covers, the two people's boxes, and the
current 3D estimate — and returns a description plus the name of whoever wrote it (``author``), which goes into
the segment's text history next to the user's own edits. Backends differ wildly in cost (a VLM takes seconds per
segment, the offline describer milliseconds), so the cache in ``cache.py`` sits in front of all of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import numpy as np

from ..motion import MotionError, Reconstruction
from ..segments import Segment


ProgressFn = Callable[[float, str], None]  # (fraction done, what is happening): the app's job protocol
CancelFn = Callable[[], bool]  # true once the user pressed Cancel


def no_progress(fraction: float, message: str = "") -> None:
    """A progress callback that reports nowhere."""


def never_cancelled() -> bool:
    return False


class DescribeError(MotionError):
    """A description backend cannot run (model files missing or unreadable, no frames for a vision model…)."""


@dataclass(frozen=True)
class DescribeInput:
    """Everything a backend may look at for one segment.

    ``frames[i]`` is the RGB ``(H, W, 3) uint8`` image of frame ``segment.start + i`` (any sequence type: a lazy
    video reader with ``__len__``/``__getitem__`` avoids decoding frames a backend never samples). ``video``, when
    given, is the same for the whole clip (``video[f]`` is frame ``f``): backends that look at the visible frames
    around the segment read them there. ``boxes`` are ``(segment.length, 2, 4)`` pixel boxes ``x0, y0, x1, y1`` of
    A and B, NaN where a person was not seen.
    """

    reconstruction: Reconstruction
    segment: Segment
    frames: Optional[Sequence[np.ndarray]] = None
    boxes: Optional[np.ndarray] = None
    video: Optional[Sequence[np.ndarray]] = None

    def __post_init__(self) -> None:
        seg, n = self.segment, self.reconstruction.num_frames
        if seg.stop > n:
            raise MotionError(f"segment {seg.id}: frames [{seg.start}, {seg.stop}) run past the motion's {n} frames")
        if self.video is not None and len(self.video) < seg.stop:
            raise MotionError(f"video: has {len(self.video)} frames, segment {seg.id} runs to frame {seg.stop}")
        if self.frames is not None and len(self.frames) != seg.length:
            raise MotionError(f"frames: expected {seg.length} frames for segment {seg.id}, got {len(self.frames)}")
        if self.boxes is not None:
            boxes = np.asarray(self.boxes, np.float64)
            if boxes.shape != (seg.length, 2, 4):
                raise MotionError(f"boxes: expected shape ({seg.length}, 2, 4), got {boxes.shape}")
            object.__setattr__(self, "boxes", boxes)

    @property
    def motion(self) -> Reconstruction:
        """The 3D estimate over the segment's frames only."""
        return self.reconstruction.slice(self.segment.start, self.segment.stop)


@dataclass(frozen=True)
class Description:
    """A backend's text for one segment. ``details`` is JSON-safe structured evidence (e.g. detected contacts)."""

    text: str
    author: str
    details: dict[str, Any] = field(default_factory=dict)
    cached: bool = False


class Describer(ABC):
    """A description backend."""

    @property
    @abstractmethod
    def backend_id(self) -> str:
        """Stable identity of backend + model + version: part of the cache key, so a new model recomputes."""

    @property
    def author(self) -> str:
        """What the segment history shows as the writer of this backend's texts."""
        return self.backend_id

    def cache_salt(self, inp: DescribeInput) -> str:
        """What else besides the motion decides this backend's answer (e.g. the pixels a VLM is shown): part of
        the cache key. The offline describer reads only the motion."""
        return ""

    @abstractmethod
    def describe(self, inp: DescribeInput) -> Description:
        """Describe the interaction in ``inp.segment``."""

    def describe_job(self, inp: DescribeInput, progress: ProgressFn, cancel: CancelFn) -> Description:
        """``describe`` as a background job: a backend that takes long reports ``progress`` and stops with a
        ``DescribeError`` once ``cancel()`` is true. Quick backends just describe."""
        return self.describe(inp)

"""Segments: frame ranges of a reconstruction that need a person's attention, with their descriptions.

A segment is half-open ``[start, stop)`` in frames, belongs to person ``A``, ``B`` or ``both``, has a kind
(why it was flagged) and a history of description texts, each with its author (a model name or ``"user"``), so
the user can see what a model wrote before they changed it.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Optional

import numpy as np

from .motion import MotionError

WHO = ("A", "B", "both")
USER_AUTHOR = "user"


class SegmentKind(str, Enum):
    OCCLUDED = "occluded"
    AMBIGUOUS = "ambiguous"
    USER = "user-marked"


@dataclass(frozen=True)
class TextVersion:
    text: str
    author: str  # backend/model name, or USER_AUTHOR
    created: float = field(default_factory=time.time)

    @property
    def by_user(self) -> bool:
        return self.author == USER_AUTHOR


@dataclass(frozen=True)
class Segment:
    """Immutable: edits make new segments, which keeps undo commands trivial and sharing safe."""

    start: int
    stop: int
    who: str = "both"
    kind: SegmentKind = SegmentKind.OCCLUDED
    history: tuple[TextVersion, ...] = ()
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.stop):
            raise MotionError(f"segment {self.id}: needs 0 <= start < stop, got [{self.start}, {self.stop})")
        if self.who not in WHO:
            raise MotionError(f"segment {self.id}: who must be one of {WHO}, got {self.who!r}")
        object.__setattr__(self, "kind", SegmentKind(self.kind))

    @property
    def length(self) -> int:
        return self.stop - self.start

    @property
    def description(self) -> str:
        return self.history[-1].text if self.history else ""

    @property
    def latest(self) -> Optional[TextVersion]:
        return self.history[-1] if self.history else None

    def with_text(self, text: str, author: str) -> "Segment":
        """A new version of the description; a repeat of the current text adds nothing."""
        if self.history and self.history[-1].text == text and self.history[-1].author == author:
            return self
        return replace(self, history=self.history + (TextVersion(text, author),))

    def with_range(self, start: int, stop: int) -> "Segment":
        return replace(self, start=start, stop=stop)

    def split(self, frame: int) -> tuple["Segment", "Segment"]:
        """Two segments ``[start, frame)`` and ``[frame, stop)``; both keep the history."""
        if not self.start < frame < self.stop:
            raise MotionError(f"split frame {frame} must lie strictly inside [{self.start}, {self.stop})")
        return replace(self, stop=frame), replace(self, start=frame, id=uuid.uuid4().hex[:12])

    def merged(self, other: "Segment") -> "Segment":
        """The union range; ``who`` becomes ``both`` when they differ; this one's history is kept."""
        who = self.who if self.who == other.who else "both"
        return replace(self, start=min(self.start, other.start), stop=max(self.stop, other.stop), who=who)

    def overlaps(self, start: int, stop: int) -> bool:
        return self.start < stop and start < self.stop

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "start": self.start, "stop": self.stop, "who": self.who, "kind": self.kind.value,
            "history": [{"text": v.text, "author": v.author, "created": v.created} for v in self.history],
        }

    @classmethod
    def from_json(cls, d: Any, where: str = "segment") -> "Segment":
        """A segment from its JSON form; anything else (a number, a string, a list, a non-integer or infinite
        frame) is one :class:`MotionError` naming ``where``."""
        if not isinstance(d, dict) or not isinstance(d.get("history", []), list):
            raise MotionError(f"{where}: should be an object with start, stop, who, kind, history and id")
        for key in ("start", "stop"):
            if not isinstance(d.get(key), int) or isinstance(d.get(key), bool):
                raise MotionError(f"{where}: '{key}' should be a whole frame number, got {d.get(key)!r:.40}")
        try:
            history = tuple(TextVersion(str(v["text"]), str(v["author"]), float(v["created"]))
                            for v in d.get("history", []))
            return cls(d["start"], d["stop"], str(d["who"]), SegmentKind(d["kind"]), history, str(d["id"]))
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise MotionError(f"{where}: malformed ({type(exc).__name__}: {exc})") from None


def true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of True in a 1-D mask."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], np.asarray(mask).astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def segments_from_mask(mask: "list[bool] | Any", who: str, kind: SegmentKind, min_length: int = 3,
                       merge_gap: int = 2) -> list[Segment]:
    """Runs of ``True`` in a per-frame mask become segments; gaps of ``merge_gap`` frames or fewer are bridged
    and runs shorter than ``min_length`` dropped (flicker in a detector should not flood the timeline)."""
    runs: list[list[int]] = []
    for i, flagged in enumerate(mask):
        if not flagged:
            continue
        if runs and i - runs[-1][1] <= merge_gap:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1])
    return [Segment(a, b, who, kind) for a, b in runs if b - a >= min_length]

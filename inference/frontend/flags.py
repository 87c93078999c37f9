"""Frames where a person's 2D evidence cannot be trusted, as per-frame masks, reliabilities and Segments.

Confidence alone does not reveal the worst failure seen on real footage of people in contact (a hidden wrist
snapping to the partner's hand with high confidence), so overlap of the two people is a flag in itself:

* **occluded** — the person was not found, or the two people's boxes overlap by more than ``overlap`` of the
  smaller box, or a confident joint of one lies within ``touch`` (fraction of body height) of the other's
  skeleton;
* **ambiguous** — mean keypoint confidence below ``low_confidence``, or a joint jumps more than ``max_jump``
  body heights between consecutive frames (implausible motion: a swap or a snap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..segments import Segment, SegmentKind, segments_from_mask
from .tracking import overlap_of_smaller


@dataclass
class FlagConfig:
    overlap: float = 0.35
    touch: float = 0.04
    low_confidence: float = 0.5
    max_jump: float = 0.25
    confident: float = 0.5


@dataclass
class Flags:
    occluded: np.ndarray  # (2, T) bool
    ambiguous: np.ndarray  # (2, T) bool

    def reliability(self, keypoints: np.ndarray) -> np.ndarray:
        """(2, T) in [0, 1]: 0 where occluded, at most 0.5 where ambiguous, else mean keypoint confidence."""
        rel = np.clip(keypoints[..., 2].mean(-1) / 0.8, 0.0, 1.0)
        rel = np.where(self.ambiguous, np.minimum(rel, 0.5), rel)
        return np.where(self.occluded, 0.0, rel).astype(np.float32)

    def segments(self, min_length: int = 3, merge_gap: int = 2) -> list[Segment]:
        out: list[Segment] = []
        for kind, mask in ((SegmentKind.OCCLUDED, self.occluded), (SegmentKind.AMBIGUOUS,
                                                                    self.ambiguous & ~self.occluded)):
            a, b = mask
            for who, m in (("both", a & b), ("A", a & ~b), ("B", b & ~a)):
                out += segments_from_mask(m, who, kind, min_length, merge_gap)
        return sorted(out, key=lambda s: (s.start, s.who))


def _boxes(kp: np.ndarray, confident: float) -> np.ndarray:
    """(T, 4) boxes over each frame's confident keypoints (all keypoints when too few are confident)."""
    out = np.zeros((kp.shape[0], 4))
    for t in range(kp.shape[0]):
        good = kp[t, :, 2] > confident
        pts = kp[t, good if good.sum() >= 3 else slice(None), :2]
        out[t] = np.concatenate([pts.min(0), pts.max(0)])
    return out


def _point_segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances from points ``(N, 2)`` to segments ``(M, 2)-(M, 2)`` → ``(N, M)``."""
    ab = b - a
    t = np.clip(np.einsum("nmk,mk->nm", p[:, None] - a[None], ab) / np.maximum((ab ** 2).sum(-1), 1e-9), 0, 1)
    closest = a[None] + t[..., None] * ab[None]
    return np.linalg.norm(p[:, None] - closest, axis=-1)


def detect_flags(keypoints: np.ndarray, found: np.ndarray, parents: np.ndarray,
                 config: FlagConfig | None = None) -> Flags:
    """``keypoints (2, T, J, 3)`` on a skeleton with ``parents`` (our 22 joints), ``found (2, T)``."""
    cfg = config or FlagConfig()
    _, frames, joints, _ = keypoints.shape
    boxes = [_boxes(keypoints[k], cfg.confident) for k in range(2)]
    height = np.stack([np.maximum(b[:, 3] - b[:, 1], 1.0) for b in boxes])  # (2, T)
    occluded = ~found.copy()
    child = np.arange(1, joints)
    for t in range(frames):
        if not (found[0, t] and found[1, t]):
            continue
        if overlap_of_smaller(boxes[0][t], boxes[1][t]) > cfg.overlap:
            occluded[:, t] = True
            continue
        for k in range(2):
            mine, other = keypoints[k, t], keypoints[1 - k, t]
            good = mine[:, 2] > cfg.confident
            if not good.any():
                continue
            d = _point_segment_distance(mine[good, :2], other[parents[child], :2], other[child, :2])
            if d.min() < cfg.touch * height[k, t]:
                occluded[:, t] = True
    low = keypoints[..., 2].mean(-1) < cfg.low_confidence
    jump = np.zeros((2, frames), bool)
    step = np.linalg.norm(np.diff(keypoints[..., :2], axis=1), axis=-1)  # (2, T-1, J)
    both = keypoints[:, 1:, :, 2].clip(0) * keypoints[:, :-1, :, 2].clip(0) > cfg.confident ** 2
    big = (step * both).max(-1) > cfg.max_jump * height[:, 1:]
    jump[:, 1:] = big & found[:, 1:] & found[:, :-1]
    return Flags(occluded, (low | jump) & found)

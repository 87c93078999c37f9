"""Frames where a person's evidence cannot be trusted, as per-frame masks, reliabilities and Segments.

Reliability follows the *quality of the evidence*, not the people's proximity: touching, holding hands or
hugging in plain view is the normal case of this product and stays trusted. A person-frame is

* **occluded** — the person was not found where their body, filled in from time by the fit, is behind the
  partner (without a fit: wherever not found); or at least ``min_hidden`` of their joints are hidden: behind a body
  part of the other person according to the fitted 3D skeletons (:mod:`.occlusion`, when given; capsules
  slightly narrower than the body, as the fit's placement is uncertain), or *claimed by both* people (a whole
  bone of one lies on joints of the other in the image: two skeletons explaining the same pixels, the
  detector's way of failing on overlapping people); without a fit, joints of low confidence count instead;
* **ambiguous** — mean keypoint confidence below ``low_confidence``, a joint jumping more than ``max_jump`` body
  heights between consecutive frames (a swap or a snap), a fit that explains the keypoints badly (mean
  reprojection error above ``max_residual`` body heights) or a fitted depth jumping more than ``max_depth_step``
  metres between frames; or **missed in view** — with a fit, a person not found on a frame where their body,
  filled in from the frames around, is not behind the partner: the detector lost them in plain view, so the
  frame is interpolated in time and not trusted, but nothing hides the person and a reviewer looking for
  occlusions would find none (on the real-motion benchmark's train and validation clips such misses were more
  than half of the occluded flags on visible people, often on the person in front).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..segments import Segment, SegmentKind, segments_from_mask
from .occlusion import hidden_joints


@dataclass
class FlagConfig:
    # hidden or shared joints that make a frame occluded; chosen with ``claim`` and the capsules' ``shrink`` on
    # the real-motion benchmark's training clips (bench/bench_frontend_real.py), where the renderer's truth
    # counts a frame occluded from 3 hidden joints: the fitted evidence over-counts by about one
    min_hidden: int = 4
    claim: float = 0.02  # two joints closer than this (fraction of body height) are the same evidence
    # without a fit (keypoints alone, e.g. a given reconstruction's), a joint below this confidence counts as
    # hidden; with a fit its 3D evidence replaces this (BlazePose's confidence barely drops on occluded joints)
    missing_confidence: float = 0.35
    low_confidence: float = 0.5
    max_jump: float = 0.25
    max_residual: float = 0.08
    max_depth_step: float = 0.25
    confident: float = 0.5


MISSED_RELIABILITY = 0.2  # a person missed in view: their pose is interpolated in time, not seen
BEHIND_TOLERANCE_M = 0.2


@dataclass
class Flags:
    occluded: np.ndarray  # (2, T) bool
    ambiguous: np.ndarray  # (2, T) bool
    missed: Optional[np.ndarray] = None  # (2, T) bool: not found, though in view (ambiguous too)

    def reliability(self, keypoints: np.ndarray, ambiguous_cap: float = 0.4) -> np.ndarray:
        """(2, T) in [0, 1]: 0 where occluded, :data:`MISSED_RELIABILITY` where missed in view, at most
        ``ambiguous_cap`` where ambiguous, else mean keypoint confidence (0.8 and above counts as 1)."""
        rel = np.clip(keypoints[..., 2].mean(-1) / 0.8, 0.0, 1.0)
        rel = np.where(self.ambiguous, np.minimum(rel, ambiguous_cap), rel)
        if self.missed is not None:
            rel = np.where(self.missed, MISSED_RELIABILITY, rel)
        return np.where(self.occluded, 0.0, rel).astype(np.float32)

    def segments(self, min_length: int = 3, merge_gap: int = 2) -> list[Segment]:
        """Runs of occluded and of ambiguous frames, at least ``min_length`` long — except that frames where a
        person was missed in view make a segment however short: their pose is made up, never seen."""
        out: list[Segment] = []
        missed = np.zeros_like(self.occluded) if self.missed is None else self.missed
        for kind, mask, shortest in ((SegmentKind.OCCLUDED, self.occluded, min_length),
                                     (SegmentKind.AMBIGUOUS, self.ambiguous & ~self.occluded & ~missed, min_length),
                                     (SegmentKind.AMBIGUOUS, missed, 1)):
            a, b = mask
            for who, m in (("both", a & b), ("A", a & ~b), ("B", b & ~a)):
                out += segments_from_mask(m, who, kind, shortest, merge_gap)
        return sorted(out, key=lambda s: (s.start, s.who))


def _heights(kp: np.ndarray, confident: float) -> np.ndarray:
    """(T,) image height of each frame's confident keypoints (all keypoints when too few are confident)."""
    out = np.ones(kp.shape[0])
    for t in range(kp.shape[0]):
        good = kp[t, :, 2] > confident
        ys = kp[t, good if good.sum() >= 3 else slice(None), 1]
        out[t] = max(float(ys.max() - ys.min()), 1.0)
    return out


def claimed_by_both(keypoints: np.ndarray, parents: np.ndarray, heights: np.ndarray, claim: float,
                    confident: float) -> np.ndarray:
    """``(2, T, J)``: the joint and its parent both lie within ``claim`` body heights of confident joints of the
    other person — a bone the two skeletons share. A joint merely touching the partner (hands held) does not
    count: its parent is elsewhere."""
    near = np.zeros(keypoints.shape[:3], bool)
    for k in range(2):
        mine, other = keypoints[k], keypoints[1 - k]
        d = np.linalg.norm(mine[:, :, None, :2] - other[:, None, :, :2], axis=-1)  # (T, J, J)
        d = np.where(other[:, None, :, 2] > confident, d, np.inf)
        near[k] = (d.min(-1) < claim * heights[k][:, None]) & (mine[..., 2] > confident)
    has_parent = parents >= 0
    out = np.zeros_like(near)
    out[..., has_parent] = near[..., has_parent] & near[..., parents[has_parent]]
    return out


def detect_flags(keypoints: np.ndarray, found: np.ndarray, parents: np.ndarray,
                 config: Optional[FlagConfig] = None, hidden: Optional[np.ndarray] = None,
                 residual: Optional[np.ndarray] = None, depth: Optional[np.ndarray] = None,
                 behind: Optional[np.ndarray] = None) -> Flags:
    """``keypoints (2, T, J, 3)`` on a skeleton with ``parents`` (our 22 joints), ``found (2, T)``; optionally
    from a fit: ``hidden (2, T, J)`` joints behind the other person, ``residual (2, T)`` mean reprojection error
    (pixels), ``depth (2, T)`` fitted root depth (m) and ``behind (2, T)`` whether each person's body lies behind
    the partner's (without it, every frame where a person was not found counts as occluded)."""
    cfg = config or FlagConfig()
    frames = keypoints.shape[1]
    heights = np.stack([_heights(keypoints[k], cfg.confident) for k in range(2)])  # (2, T)
    evidence = claimed_by_both(keypoints, parents, heights, cfg.claim, cfg.confident)
    if hidden is not None:
        evidence = evidence | hidden
    else:
        evidence = evidence | (keypoints[..., 2] < cfg.missing_confidence)
    both_found = found[0] & found[1]
    occluded = (evidence.sum(-1) >= cfg.min_hidden) & both_found[None]
    missed = None
    if behind is None:
        occluded |= ~found
    else:
        # a person not found is hidden where their body, filled in from time, is behind the partner (or the
        # partner is missing too: nothing to judge by); elsewhere they were missed in plain view
        hidden_now = behind | ~found[::-1]
        occluded |= ~found & hidden_now
        missed = ~found & ~hidden_now
    low = keypoints[..., 2].mean(-1) < cfg.low_confidence
    jump = np.zeros((2, frames), bool)
    step = np.linalg.norm(np.diff(keypoints[..., :2], axis=1), axis=-1)  # (2, T-1, J)
    sure = keypoints[:, 1:, :, 2].clip(0) * keypoints[:, :-1, :, 2].clip(0) > cfg.confident ** 2
    big = (step * sure).max(-1) > cfg.max_jump * heights[:, 1:]
    jump[:, 1:] = big & found[:, 1:] & found[:, :-1]
    bad = low | jump
    if residual is not None:
        bad |= residual > cfg.max_residual * heights
    if depth is not None:
        leap = np.zeros((2, frames), bool)
        leap[:, 1:] = np.abs(np.diff(depth, axis=1)) > cfg.max_depth_step
        bad |= leap
    if missed is None:
        return Flags(occluded, bad & found)
    return Flags(occluded, (bad & found) | missed, missed)


def fit_evidence(joints_cam: np.ndarray, K: np.ndarray, keypoints: np.ndarray, confident: float = 0.5,
                 shrink: float = 0.8) -> dict[str, np.ndarray]:
    """What a fit says about its own evidence, as :func:`detect_flags` keywords: joints hidden behind the other
    person's fitted body, mean reprojection error of the confident keypoints (pixels), fitted root depth, and
    whether each body is behind the partner's (farther pelvis, image outlines overlapping)."""
    z = np.maximum(joints_cam[..., 2:3], 1e-3)
    uv = joints_cam[..., :2] / z * np.diag(K)[:2] + K[:2, 2]
    err = np.linalg.norm(uv - keypoints[..., :2], axis=-1)
    sure = keypoints[..., 2] > confident
    residual = (err * sure).sum(-1) / np.maximum(sure.sum(-1), 1)
    depth = joints_cam[:, :, 0, 2]
    lo, hi = uv.min(2), uv.max(2)  # (2, T, 2) image boxes of the fitted skeletons
    overlap = np.all(np.minimum(hi[0], hi[1]) > np.maximum(lo[0], lo[1]), -1)  # (T,)
    # farther than the partner, within the fit's typical error of the two people's relative placement (~0.2 m
    # median on the real-motion benchmark's train clips): a body filled in from time is no more certain than that
    behind = (depth > depth[::-1] - BEHIND_TOLERANCE_M) & overlap[None]
    return {"hidden": hidden_joints(joints_cam, K, shrink), "residual": residual, "depth": depth, "behind": behind}

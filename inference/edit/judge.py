"""Numbers to judge a correction by: where it moved things (a per-frame difference curve) and how one motion
fares on a segment (reprojection, interpenetration, contacts, jitter, foot skating, pins).

Why headless: the app shows them before/after side by side, and the same functions serve tests and scripts; all
work on world joints ``(T, 2, 22, 3)`` (metres) so they are cheap enough to recompute on every candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

import numpy as np
import torch

from ..engine.guidance import FOOT_CONTACT_HEIGHT, FOOT_JOINTS, penetration_depth
from ..motion import PERSON_IDS, Reconstruction
from ..skeleton import JOINT_INDEX
from .pins import Pin

METRICS = (("reprojection", "reprojection (px)"), ("penetration", "interpenetration (mm)"),
           ("contacts", "contact gap (mm)"), ("jitter", "jitter (mm/frame²)"), ("skating", "foot skating (mm/frame)"),
           ("pins", "distance to pins (mm)"))


def difference_mm(joints_a: np.ndarray, joints_b: np.ndarray) -> np.ndarray:
    """Per frame ``(T,)``: the mean joint distance between two motions, for the person who moved more (mm)."""
    return 1000 * np.linalg.norm(joints_a - joints_b, axis=-1).mean(-1).max(-1)


@dataclass(frozen=True)
class SegmentMetrics:
    """Each value is ``None`` when it cannot be measured (no keypoints, no contacts, no pins)."""

    reprojection: Optional[float]
    penetration: float
    contacts: Optional[float]
    jitter: float
    skating: float
    pins: Optional[float]

    def value(self, name: str) -> Optional[float]:
        return getattr(self, name)


def segment_metrics(recon: Reconstruction, joints: np.ndarray, start: int, stop: int, people: Iterable[int],
                    contacts: Iterable = (), pins: Iterable[Pin] = (), floor: Optional[float] = None) -> SegmentMetrics:
    """Metrics of ``recon`` (world ``joints``) over frames ``[start, stop)`` for ``people`` (indices);
    ``contacts`` are engine constraints, ``floor`` the foot joints' planted height (default: the sequence's)."""
    people = list(people)
    sl = slice(start, stop)
    seg = joints[sl]
    with torch.no_grad():
        depth = penetration_depth(torch.as_tensor(seg[:, 0]), torch.as_tensor(seg[:, 1])).amax((-1, -2)).numpy()
    accel = seg[2:] - 2 * seg[1:-1] + seg[:-2] if len(seg) > 2 else np.zeros((1, *seg.shape[1:]))
    feet = joints[:, :, list(FOOT_JOINTS)]
    floor = float(feet[..., 1].min()) if floor is None else floor
    seg_feet = feet[sl][:, people]
    planted = seg_feet[1:, ..., 1] < floor + FOOT_CONTACT_HEIGHT
    slide = np.linalg.norm(np.diff(seg_feet[..., [0, 2]], axis=0), axis=-1)
    return SegmentMetrics(
        _reprojection(recon, joints, sl, people), float(1000 * depth.mean()), _contact_gap(joints, contacts, sl),
        float(1000 * np.linalg.norm(accel[:, people], axis=-1).mean()),
        float(1000 * slide[planted].mean()) if planted.any() else 0.0, pin_distance_mm(joints, pins))


def pin_distance_mm(joints: np.ndarray, pins: Iterable[Pin]) -> Optional[float]:
    """The largest distance of a pinned joint from its target over its frames (mm); ``None`` without pins."""
    gaps = [np.linalg.norm(joints[p.start:p.stop, p.person_index, JOINT_INDEX[p.joint]] - np.asarray(p.target),
                           axis=-1).max() for p in pins if p.start < joints.shape[0]]
    return float(1000 * max(gaps)) if gaps else None


def contact_gaps_mm(joints: np.ndarray, contacts: Iterable, frames: slice = slice(None)) -> list[float]:
    """Per engine contact, its mean excess over its distance (mm) on its frames inside ``frames``."""
    out = []
    lo, hi, _ = frames.indices(joints.shape[0])
    for c in contacts:
        a, b = max(c.start, lo), min(c.stop, hi)
        if a < b:
            gap = np.linalg.norm(joints[a:b, 0, c.joint_a] - joints[a:b, 1, c.joint_b], axis=-1) - c.distance
            out.append(float(1000 * np.clip(gap, 0, None).mean()))
    return out


def _contact_gap(joints: np.ndarray, contacts: Iterable, frames: slice) -> Optional[float]:
    gaps = contact_gaps_mm(joints, contacts, frames)
    return float(np.mean(gaps)) if gaps else None


def _reprojection(recon: Reconstruction, joints: np.ndarray, frames: slice, people: list[int]) -> Optional[float]:
    """Confidence-weighted mean pixel distance of projected joints from the 2D keypoints."""
    cam = recon.camera
    if cam is None:
        return None
    errors, weights = [], []
    for i in people:
        kp = recon.people[i].keypoints_2d
        if kp is None:
            continue
        world = joints[frames, i]
        local = np.einsum("tij,tnj->tni", cam.R[frames], world) + cam.t[frames][:, None]
        uv = np.einsum("ij,tnj->tni", cam.K, local / np.clip(local[..., 2:3], 0.1, None))[..., :2]
        errors.append(np.linalg.norm(uv - kp[frames, :, :2], axis=-1).ravel())
        weights.append(kp[frames, :, 2].ravel())
    if not errors or np.concatenate(weights).sum() <= 0:
        return None
    return float(np.average(np.concatenate(errors), weights=np.concatenate(weights)))


def person_indices(who: str) -> list[int]:
    """Indices of the people a segment's ``who`` names."""
    return [i for i, pid in enumerate(PERSON_IDS) if who in (pid, "both")]

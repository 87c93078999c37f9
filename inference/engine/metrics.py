"""Metrics of the field, on joint positions ``(T, 2, 22, 3)`` in metres; results in millimetres.

* MPJPE — mean joint error after aligning the pelvis (pose quality); PA-MPJPE — after a per-frame similarity
  Procrustes alignment (pose shape only); root error — pelvis position error (placement of each person).
* Acceleration error — mean norm of the difference of second differences (mm/frame²): jitter and seams.
* Interpenetration — per frame the deepest overlap of the two bodies' sphere proxies (same proxies as the
  guidance, slightly thinner than a real body); mean depth and share of frames deeper than 1 cm.
* Contact distance error — |distance(contact joint, touched part) − ground truth| on labelled contact frames.
* Foot skating — horizontal foot travel per frame while the foot is within 5 cm of the floor in two
  consecutive frames (mm/frame).
* Border jump — acceleration error on the frames at the borders of the regenerated segment.
* Stepping — does a hidden person's left–right ankle offset (horizontal) follow the truth? Vector correlation of
  the predicted offset with the true one over the hidden frames, both with their straight-line trend removed, so
  only the steps count (1: steps in phase; 0: glides, as interpolation does). Higher is better.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

import torch

from ..alignment import procrustes_align
from ..skeleton import JOINT_INDEX

from .guidance import FOOT_JOINTS, penetration_depth

PENETRATION_THRESHOLD = 0.01  # m


def _nanmean(values: np.ndarray) -> float:
    return float(np.mean(values)) if np.size(values) else float("nan")


def mpjpe(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> float:
    """Pelvis-aligned mean joint error (mm) over entries ``mask`` ``(T, 2)``."""
    p = pred - pred[..., :1, :]
    g = gt - gt[..., :1, :]
    return _nanmean(np.linalg.norm(p - g, axis=-1).mean(-1)[mask]) * 1000


def root_error(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> float:
    return _nanmean(np.linalg.norm(pred[..., 0, :] - gt[..., 0, :], axis=-1)[mask]) * 1000


def pa_mpjpe(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> float:
    if not mask.any():
        return float("nan")
    p, g = pred[mask], gt[mask]
    return _nanmean(np.linalg.norm(procrustes_align(p, g) - g, axis=-1).mean(-1)) * 1000


def acceleration_error(pred: np.ndarray, gt: np.ndarray, frames: Optional[np.ndarray] = None) -> float:
    """Mean over joints, people and centre frames (``frames``: bool ``(T,)`` on the centre frame)."""
    ap = pred[2:] - 2 * pred[1:-1] + pred[:-2]
    ag = gt[2:] - 2 * gt[1:-1] + gt[:-2]
    err = np.linalg.norm(ap - ag, axis=-1).mean((-1, -2))  # (T-2,)
    if frames is not None:
        err = err[frames[1:-1]]
    return _nanmean(err) * 1000


def interpenetration(joints: np.ndarray) -> tuple[float, float]:
    """(mean of per-frame deepest overlap in mm, share of frames deeper than 1 cm in %)."""
    with torch.no_grad():
        j = torch.as_tensor(joints, dtype=torch.float32)
        depth = penetration_depth(j[:, 0], j[:, 1]).amax((-1, -2)).numpy()
    return float(depth.mean() * 1000), float((depth > PENETRATION_THRESHOLD).mean() * 100)


def foot_skating(joints: np.ndarray, floor: float, height: float = 0.05) -> float:
    feet = joints[:, :, list(FOOT_JOINTS)]  # (T, 2, 4, 3)
    low = feet[..., 1] - floor < height
    planted = low[1:] & low[:-1]
    slide = np.linalg.norm(feet[1:, ..., [0, 2]] - feet[:-1, ..., [0, 2]], axis=-1)
    return _nanmean(slide[planted]) * 1000


@dataclass(frozen=True)
class LabelledContact:
    """Joint ``joint`` of person ``person`` (0/1) touches joint ``part`` of the other on frames [start, stop)."""

    person: int
    joint: int
    part: int
    start: int
    stop: int


def contact_distance_error(pred: np.ndarray, gt: np.ndarray, contacts: list[LabelledContact],
                           frames: np.ndarray) -> float:
    """Mean |d_pred − d_gt| (mm) over contact frames that are also in ``frames`` (bool ``(T,)``)."""
    errs = []
    for c in contacts:
        sel = np.zeros(len(frames), bool)
        sel[c.start:c.stop] = True
        sel &= frames
        if not sel.any():
            continue
        dp = np.linalg.norm(pred[sel, c.person, c.joint] - pred[sel, 1 - c.person, c.part], axis=-1)
        dg = np.linalg.norm(gt[sel, c.person, c.joint] - gt[sel, 1 - c.person, c.part], axis=-1)
        errs.append(np.abs(dp - dg))
    return _nanmean(np.concatenate(errs)) * 1000 if errs else float("nan")


def border_frames(num_frames: int, start: int, stop: int, reach: int = 2) -> np.ndarray:
    """Bool ``(T,)``: frames within ``reach`` of the segment's first and last frame."""
    out = np.zeros(num_frames, bool)
    for b in (start, stop - 1):
        out[max(0, b - reach):min(num_frames, b + reach + 1)] = True
    return out


ANKLES = (JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"])
MIN_STEPPING_SPREAD = 0.02  # m: below this the true feet barely move relative to each other: nothing to follow


def _ankle_offsets(joints: np.ndarray, frames: np.ndarray, person: int) -> np.ndarray:
    """Left − right ankle on the ground plane ``(F, 2)`` over ``frames``, minus its least-squares line."""
    d = (joints[frames, person, ANKLES[0]] - joints[frames, person, ANKLES[1]])[:, [0, 2]]
    t = np.stack([np.ones(len(d)), np.linspace(-1, 1, len(d))], 1)
    return d - t @ np.linalg.lstsq(t, d, rcond=None)[0]


def stepping_correlation(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> float:
    """Mean over people of the vector correlation between predicted and true left−right ankle offsets on the
    ground plane over their ``mask`` ``(T, 2)`` frames (trends removed); NaN where no masked person's true
    offset varies by ``MIN_STEPPING_SPREAD``."""
    values = []
    for person in range(gt.shape[1]):
        frames = mask[:, person]
        if frames.sum() < 3:
            continue
        p, g = _ankle_offsets(pred, frames, person), _ankle_offsets(gt, frames, person)
        spread = np.sqrt((g ** 2).sum(-1).mean())
        if spread < MIN_STEPPING_SPREAD:
            continue
        denominator = np.sqrt((p ** 2).sum() * (g ** 2).sum())
        values.append(float((p * g).sum() / denominator) if denominator > 0 else 0.0)
    return float(np.mean(values)) if values else float("nan")

"""Pose-estimation metrics used to evaluate the front end (all in millimetres, on (T, J, 3) joint arrays)."""

from __future__ import annotations

import numpy as np

from ..alignment import procrustes_align


def mpjpe(pred: np.ndarray, gt: np.ndarray, root: int = 0) -> float:
    """Mean per-joint position error after aligning the roots (pelvis)."""
    return float(np.linalg.norm((pred - pred[:, root:root + 1]) - (gt - gt[:, root:root + 1]), axis=-1).mean() * 1000)


def pa_mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    return float(np.linalg.norm(procrustes_align(pred, gt) - gt, axis=-1).mean() * 1000)


def root_error(pred: np.ndarray, gt: np.ndarray, root: int = 0) -> float:
    """Mean distance between the predicted and true root positions (absolute placement, includes depth)."""
    return float(np.linalg.norm(pred[:, root] - gt[:, root], axis=-1).mean() * 1000)


def relative_error(pred_a: np.ndarray, pred_b: np.ndarray, gt_a: np.ndarray, gt_b: np.ndarray, root: int = 0) -> float:
    """Error of the two people's relative placement (root of B seen from root of A)."""
    return float(np.linalg.norm((pred_b[:, root] - pred_a[:, root]) - (gt_b[:, root] - gt_a[:, root]),
                                axis=-1).mean() * 1000)

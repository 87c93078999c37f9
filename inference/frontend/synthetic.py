"""2D keypoints made from a ground-truth clip, degraded the way a detector degrades them, for evaluation.

Until renderer-derived keypoints with visibility exist, the ground-truth joints are projected with the clip's
camera; a joint counts as hidden when one of the other person's joint spheres (:data:`fit.RADII`, doubled for the
flesh around it) covers it in the image and is nearer to the camera. Visible joints get Gaussian pixel noise and
confidences in [0.6, 1]; hidden ones get larger noise (a detector guesses them) and confidences in [0.05, 0.4].
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..motion import Camera
from .fit import RADII


def hidden_mask(joints: dict[int, np.ndarray], camera: Camera) -> np.ndarray:
    """(2, T, 22) True where a joint is covered by the other person."""
    proj = [camera.project(joints[p]) for p in range(2)]
    f = float(camera.K[0, 0])
    out = np.zeros((2,) + proj[0].shape[:2], bool)
    for p in range(2):
        mine, other = proj[p], proj[1 - p]
        radius_px = 2 * RADII[None, None, :] * f / np.maximum(other[..., 2][:, None, :], 1e-3)  # (T, 1, 22)
        dist = np.linalg.norm(mine[:, :, None, :2] - other[:, None, :, :2], axis=-1)  # (T, 22, 22)
        nearer = other[:, None, :, 2] < mine[:, :, None, 2]
        out[p] = np.any((dist < radius_px) & nearer, -1)
    return out


def synthetic_keypoints(joints: dict[int, np.ndarray], camera: Camera, noise_px: float, seed: int = 0,
                        hidden_noise_px: Optional[float] = None) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints ``(2, T, 22, 3)`` and the hidden mask ``(2, T, 22)`` from world joints ``{0: A, 1: B}``."""
    rng = np.random.default_rng(seed)
    hidden = hidden_mask(joints, camera)
    kp = np.stack([camera.project(joints[p])[..., :2] for p in range(2)])
    sigma = np.where(hidden, hidden_noise_px if hidden_noise_px is not None else 4 * noise_px, noise_px)
    kp = kp + rng.normal(size=kp.shape) * sigma[..., None]
    conf = np.where(hidden, rng.uniform(0.05, 0.4, hidden.shape), rng.uniform(0.6, 1.0, hidden.shape))
    return np.concatenate([kp, conf[..., None]], -1), hidden

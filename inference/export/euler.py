"""Rotation matrices → Euler angle curves that interpolate without flips.

FBX and BVH animate Euler angles, and every reader interpolates them channel by channel. A per-frame
decomposition jumps by 360° (or to the other of the two equivalent solutions) where an angle crosses ±180°, and
a reader would then spin the bone through the whole circle between two frames. So each frame picks, of the
equivalent triples ``(a, b, c)`` and ``(a ± 180°, 180° − b, c ± 180°)`` shifted by whole turns, the one closest
to the previous frame.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.spatial.transform import Rotation


def matrices_to_euler(rotations: np.ndarray, seq: str) -> np.ndarray:
    """``(T, ..., 3, 3)`` → degrees ``(T, ..., 3)``, continuous along the first axis.

    ``seq`` follows scipy: lowercase = extrinsic (``"xyz"`` is FBX's ``eEulerXYZ``: ``R = Rz Ry Rx``), uppercase
    = intrinsic (``"ZXY"`` is BVH's ``Zrotation Xrotation Yrotation``: ``R = Rz Rx Ry``). Angles come back in
    the order of ``seq``.
    """
    shape = rotations.shape[:-2]
    with warnings.catch_warnings():
        # exactly at gimbal lock scipy warns and sets the third angle to 0; the triple still gives the rotation
        warnings.filterwarnings("ignore", message="Gimbal lock detected")
        flat = Rotation.from_matrix(rotations.reshape(-1, 3, 3)).as_euler(seq, degrees=True).reshape(*shape, 3)
    return _make_continuous(flat)


def _make_continuous(angles: np.ndarray) -> np.ndarray:
    out = angles.copy()
    for t in range(1, out.shape[0]):
        prev = out[t - 1]
        first = angles[t]
        second = np.stack([first[..., 0] + 180.0, 180.0 - first[..., 1], first[..., 2] + 180.0], -1)
        candidates = [_nearest_turn(c, prev) for c in (first, second)]
        dist = [np.abs(c - prev).sum(-1) for c in candidates]
        out[t] = np.where((dist[0] <= dist[1])[..., None], candidates[0], candidates[1])
    return out


def _nearest_turn(angles: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Shift each angle by whole turns to lie within 180° of ``reference``."""
    return angles - 360.0 * np.round((angles - reference) / 360.0)

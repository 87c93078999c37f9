"""Small vectorised numpy helpers for building poses: axis rotations, easing curves, yaw frames.

The generator builds thousands of clips for training, so everything here works on whole time series at once
(leading dimension = frames) instead of looping over frames in Python.
"""

from __future__ import annotations

import numpy as np

UP = np.array([0.0, 1.0, 0.0])


def rot_x(angle: np.ndarray) -> np.ndarray:
    """Rotations about +X by ``angle`` radians, shape ``angle.shape + (3, 3)``."""
    return _axis_rotation(np.asarray(angle, np.float64), 0)


def rot_y(angle: np.ndarray) -> np.ndarray:
    return _axis_rotation(np.asarray(angle, np.float64), 1)


def rot_z(angle: np.ndarray) -> np.ndarray:
    return _axis_rotation(np.asarray(angle, np.float64), 2)


def _axis_rotation(angle: np.ndarray, axis: int) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    out = np.zeros(angle.shape + (3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    out[..., axis, axis] = 1.0
    out[..., i, i] = c
    out[..., j, j] = c
    out[..., i, j] = -s
    out[..., j, i] = s
    return out


def rot_axis_angle(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rodrigues for unit ``axis (..., 3)`` and ``angle (...)``."""
    k = np.asarray(axis, np.float64)
    a = np.asarray(angle, np.float64)[..., None, None]
    kx = np.zeros(k.shape[:-1] + (3, 3))
    kx[..., 0, 1], kx[..., 0, 2] = -k[..., 2], k[..., 1]
    kx[..., 1, 0], kx[..., 1, 2] = k[..., 2], -k[..., 0]
    kx[..., 2, 0], kx[..., 2, 1] = -k[..., 1], k[..., 0]
    return np.eye(3) + np.sin(a) * kx + (1 - np.cos(a)) * (kx @ kx)


def normalize(v: np.ndarray, eps: float = 1e-9) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), eps)


def facing(yaw: np.ndarray) -> np.ndarray:
    """Unit forward vector for a yaw; a person's left is ``cross(UP, forward)``."""
    yaw = np.asarray(yaw, np.float64)
    return np.stack([np.sin(yaw), np.zeros_like(yaw), np.cos(yaw)], -1)


def left_of(yaw: np.ndarray) -> np.ndarray:
    """Unit vector to the person's left (rest pose: +X)."""
    yaw = np.asarray(yaw, np.float64)
    return np.stack([np.cos(yaw), np.zeros_like(yaw), -np.sin(yaw)], -1)


def smoothstep(t: np.ndarray, start: float, stop: float) -> np.ndarray:
    """0 before ``start``, 1 after ``stop``, C1-smooth in between (time in the same unit as the bounds)."""
    if stop <= start:
        return (np.asarray(t) >= start).astype(np.float64)
    x = np.clip((np.asarray(t, np.float64) - start) / (stop - start), 0.0, 1.0)
    return x * x * (3 - 2 * x)


def window(t: np.ndarray, rise: tuple[float, float], fall: tuple[float, float]) -> np.ndarray:
    """A smooth bump: rises over ``rise``, holds at 1, falls over ``fall``."""
    return smoothstep(t, *rise) * (1.0 - smoothstep(t, *fall))


def continuous_axis_angle(aa: np.ndarray) -> np.ndarray:
    """Axis-angle over time ``(T, ..., 3)`` without jumps where the angle passes π.

    Converters return angles in [0, π], so a steadily turning joint flips from (π − ε)·n to (π − ε)·(−n) between
    two frames. The equivalent vector (θ − 2π)·n is the same rotation; picking, frame by frame, whichever is closer
    to the previous frame keeps the sequence smooth for anything that filters or interpolates axis-angle directly.
    """
    out = np.array(aa, dtype=np.float64, copy=True)
    for t in range(1, len(out)):
        cur, prev = out[t], out[t - 1]
        angle = np.linalg.norm(cur, axis=-1, keepdims=True)
        alt = cur - cur / np.maximum(angle, 1e-9) * (2 * np.pi)
        closer = np.linalg.norm(alt - prev, axis=-1) < np.linalg.norm(cur - prev, axis=-1)
        cur[closer] = alt[closer]
    return out.astype(np.asarray(aa).dtype)

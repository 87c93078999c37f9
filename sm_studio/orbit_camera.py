"""The 3D view's orbit camera as an OpenCV camera (``x_cam = R x + t``; x right, y down, z forward).

One definition serves both the QPainter skeleton drawing (GUI thread) and the mesh render of the same view
(overlay thread), so the two always agree on where things are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Orbit:
    yaw: float = 30.0  # degrees about +Y
    pitch: float = 15.0  # degrees above the horizon
    distance: float = 2.5  # metres from the target
    width: int = 640
    height: int = 400

    def camera(self, target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``K (3,3)``, ``R (3,3)``, ``t (3,)`` looking at ``target`` (world, +Y up)."""
        yaw, pitch = math.radians(self.yaw), math.radians(self.pitch)
        forward = np.array([-math.cos(pitch) * math.sin(yaw), -math.sin(pitch), -math.cos(pitch) * math.cos(yaw)])
        eye = np.asarray(target, np.float64) - forward * self.distance
        right = np.cross(forward, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, forward)
        R = np.stack([right, -up, forward])
        t = -R @ eye
        f = 0.9 * min(self.width, self.height)
        K = np.array([[f, 0, self.width / 2], [0, f, self.height / 2], [0, 0, 1]], np.float64)
        return K, R, t

    def project(self, points: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points ``(N, 3)`` → pixels ``(N, 2)`` and a mask of points in front of the camera."""
        K, R, t = self.camera(target)
        cam = np.asarray(points, np.float64) @ R.T + t
        z = cam[:, 2]
        uv = (cam / np.where(z > 1e-3, z, 1e-3)[:, None]) @ K.T
        return uv[:, :2], z > 0.05


def pair_target(joints: "np.ndarray | None") -> np.ndarray:
    """Where the orbit looks: the midpoint of the two pelvises (a default height when nothing is posed)."""
    if joints is None:
        return np.array([0.0, 0.9, 0.0])
    return np.asarray(joints, np.float64)[:, 0].mean(0)


def ground_grid(half_extent: float = 3.0, step: float = 0.5, centre: "np.ndarray | None" = None) -> np.ndarray:
    """Line segments ``(L, 2, 3)`` of a grid on the ground plane y = 0 around ``centre``'s x/z."""
    cx = cz = 0.0
    if centre is not None:
        cx, cz = round(float(centre[0]) / step) * step, round(float(centre[2]) / step) * step
    ticks = np.arange(-half_extent, half_extent + 1e-6, step)
    lines = []
    for v in ticks:
        lines.append([[cx + v, 0.0, cz - half_extent], [cx + v, 0.0, cz + half_extent]])
        lines.append([[cx - half_extent, 0.0, cz + v], [cx + half_extent, 0.0, cz + v]])
    return np.asarray(lines, np.float64)


def framing_distance(joints: np.ndarray, fill: float = 0.9) -> float:
    """Orbit distance at which the people of ``joints`` ``(T, 2, 22, 3)``, seen around each frame's pair target,
    span ``fill`` of the view's shorter side on most frames (the focal length is 0.9 of that side: see
    :meth:`Orbit.camera`); frames where they stand far apart (walking up) may leave the view."""
    centres = np.asarray(joints, np.float64)[:, :, 0].mean(1)  # (T, 3): pair_target per frame
    per_frame = np.linalg.norm(np.asarray(joints) - centres[:, None, None], axis=-1).max((1, 2))
    radius = float(np.percentile(per_frame, 75))
    return max(0.5, min(50.0, radius * 0.9 * 2 / fill))

"""OpenCV camera (``x_cam = R x + t``; x right, y down, z forward) → what pyrender/OpenGL wants.

pyrender takes a camera-to-world pose in the OpenGL convention (x right, y up, looking down −z), so the pose is
the inverse extrinsics with the y and z axes flipped. Its ``IntrinsicsCamera`` already reads ``cx, cy`` with the
image's y axis pointing down, so ``K`` passes through unchanged.
"""

from __future__ import annotations

import numpy as np

_CV_TO_GL = np.diag([1.0, -1.0, -1.0, 1.0])


def gl_camera_pose(R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """4×4 camera-to-world pose for pyrender from OpenCV world-to-camera ``R (3,3)``, ``t (3,)``."""
    world_to_cam = np.eye(4)
    world_to_cam[:3, :3] = np.asarray(R, np.float64)
    world_to_cam[:3, 3] = np.asarray(t, np.float64).reshape(3)
    return np.linalg.inv(world_to_cam) @ _CV_TO_GL


def project(points: np.ndarray, K: np.ndarray, R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """World points ``(N, 3)`` → ``(N, 3)`` of pixel x, pixel y, depth (metres along the optical axis)."""
    cam = np.asarray(points, np.float64) @ np.asarray(R, np.float64).T + np.asarray(t, np.float64).reshape(3)
    z = cam[:, 2:3]
    uv = (cam / np.where(np.abs(z) < 1e-9, 1e-9, z)) @ np.asarray(K, np.float64).T
    return np.concatenate([uv[:, :2], z], 1)


def gl_projection(K: np.ndarray, width: int, height: int, znear: float = 0.05, zfar: float = 200.0) -> np.ndarray:
    """4×4 OpenGL projection for OpenCV intrinsics ``K`` and an image of ``width × height`` (pixel y down), the
    same matrix pyrender's ``IntrinsicsCamera`` builds, so both renderers put a vertex on the same pixel."""
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    P = np.zeros((4, 4))
    P[0, 0], P[1, 1] = 2.0 * fx / width, 2.0 * fy / height
    P[0, 2], P[1, 2] = 1.0 - 2.0 * cx / width, 2.0 * cy / height - 1.0
    P[2, 2], P[2, 3] = (zfar + znear) / (znear - zfar), 2.0 * zfar * znear / (znear - zfar)
    P[3, 2] = -1.0
    return P

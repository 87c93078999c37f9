"""Draw projected skeletons onto a transparent RGBA canvas (OpenCV, no GL).

Used for the "skeleton only" overlay mode and whenever no mesh renderer is available: it is cheap (well under
a millisecond per frame), so it never limits playback.
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from inference.motion import Camera
from inference.skeleton import BODY_PARENTS


def draw_skeletons(camera: Camera, frame: int, joints: np.ndarray, colors: Sequence[tuple[int, int, int]],
                   visible: Sequence[bool], size: tuple[int, int], line_width: int = 3) -> np.ndarray:
    """``joints (P, 22, 3)`` world positions at ``frame`` → ``(h, w, 4)`` uint8 RGBA at ``size = (w, h)``,
    scaled from the camera's image size."""
    w, h = size
    canvas = np.zeros((h, w, 4), np.uint8)
    scale = np.array([w / camera.width, h / camera.height])
    cam = camera.slice(frame, frame + 1)
    for person_joints, color, show in zip(joints, colors, visible):
        if not show:
            continue
        proj = cam.project(person_joints[None])[0]
        if np.any(proj[:, 2] <= 1e-3):
            continue  # behind the camera: nothing sensible to draw
        uv = (proj[:, :2] * scale * 16).round().astype(np.int64)  # 4 bits of sub-pixel precision
        rgba = (*color, 255)
        for j, p in enumerate(BODY_PARENTS):
            if p >= 0:
                cv2.line(canvas, tuple(map(int, uv[p])), tuple(map(int, uv[j])), rgba, line_width, cv2.LINE_AA, 4)
        for pt in uv:
            cv2.circle(canvas, tuple(map(int, pt)), (line_width + 1) * 16, rgba, -1, cv2.LINE_AA, 4)
    return canvas

"""2D drawing with OpenCV: keypoint skeletons, and a stick-figure overlay for machines without OpenGL.

Cheap (well under a millisecond per person) and dependency-free beyond OpenCV, so the app and the overlay exporter
always have something to show when ``gl_available()`` is false.
"""

from __future__ import annotations

from typing import Optional, Sequence

import cv2
import numpy as np

from ..skeleton import BODY_PARENTS, NUM_BODY_JOINTS
from .gl_camera import project
from .style import DEFAULT_STYLES, PersonStyle

BONES: tuple[tuple[int, int], ...] = tuple((int(p), j) for j, p in enumerate(BODY_PARENTS) if p >= 0)


def draw_skeleton(image: np.ndarray, keypoints: np.ndarray, style: PersonStyle = DEFAULT_STYLES[0],
                  min_confidence: float = 0.3, thickness: int = 2) -> np.ndarray:
    """Draw ``keypoints (22, 2|3)`` (pixel x, y[, confidence]) onto ``image`` (RGB uint8, modified in place).

    Bones touching a joint below ``min_confidence`` are drawn dashed-thin so low-confidence guesses stay visible
    but distinct; with ``style.opacity < 1`` the drawing is blended over the image.
    """
    kp = np.asarray(keypoints, np.float64)
    if kp.shape[0] != NUM_BODY_JOINTS or kp.shape[1] not in (2, 3):
        raise ValueError(f"keypoints: expected shape (22, 2) or (22, 3), got {kp.shape}")
    if not style.visible or style.opacity <= 0:
        return image
    conf = kp[:, 2] if kp.shape[1] == 3 else np.ones(NUM_BODY_JOINTS)
    finite = np.all(np.isfinite(kp[:, :2]), axis=1)
    canvas = image.copy() if style.opacity < 1 else image
    color = style.color_u8
    for a, b in BONES:
        if not (finite[a] and finite[b]):
            continue
        pa, pb = tuple(int(round(v)) for v in kp[a, :2]), tuple(int(round(v)) for v in kp[b, :2])
        confident = conf[a] >= min_confidence and conf[b] >= min_confidence
        cv2.line(canvas, pa, pb, color, thickness if confident else 1, cv2.LINE_AA)
    for j in np.flatnonzero(finite):
        radius = thickness + 1 if conf[j] >= min_confidence else max(1, thickness - 1)
        cv2.circle(canvas, tuple(int(round(v)) for v in kp[j, :2]), radius, color, -1, cv2.LINE_AA)
    if style.opacity < 1:
        cv2.addWeighted(canvas, style.opacity, image, 1 - style.opacity, 0, dst=image)
    return image


class SkeletonOverlay:
    """Stand-in for ``OverlayRenderer`` without GL: projects 3D joints and draws stick figures.

    Same call shape as ``OverlayRenderer.render`` but takes joints ``(22, 3)`` per person instead of vertices.
    """

    def __init__(self, width: int, height: int, background: tuple[float, float, float] = (0.12, 0.12, 0.14)):
        self.width, self.height = int(width), int(height)
        self.background = tuple(int(255 * c) for c in background)

    def render(self, frame_rgb: Optional[np.ndarray], joints_per_person: Sequence[Optional[np.ndarray]],
               K: np.ndarray, R: np.ndarray, t: np.ndarray,
               styles: Optional[Sequence[PersonStyle]] = None, thickness: int = 3) -> np.ndarray:
        styles = tuple(styles) if styles is not None else DEFAULT_STYLES
        if frame_rgb is None:
            out = np.empty((self.height, self.width, 3), np.uint8)
            out[:] = self.background
        else:
            out = np.array(frame_rgb, dtype=np.uint8, copy=True)
        for i, joints in enumerate(joints_per_person):
            if joints is None:
                continue
            uvz = project(np.asarray(joints).reshape(-1, 3), K, R, t)
            kp = np.concatenate([uvz[:, :2], (uvz[:, 2:] > 0.05).astype(np.float64)], 1)
            kp[uvz[:, 2] <= 0.05, :2] = np.nan  # behind the camera
            draw_skeleton(out, kp, styles[i] if i < len(styles) else DEFAULT_STYLES[i % 2], 0.5, thickness)
        return out

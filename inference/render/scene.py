"""One description of an overlay picture — which bodies, posed how, seen through which camera, drawn how — that
both renderers draw: the offscreen pyrender ``OverlayRenderer`` (exports, headless, the 3D view) and the on-screen
GL painter (playback). Building it in one place is what keeps the two from disagreeing in pose or camera.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..motion import Camera
from .style import PersonStyle


@dataclass(frozen=True, eq=False)
class OverlayScene:
    width: int  # the image the scene is drawn into (K is for this size)
    height: int
    K: np.ndarray  # (3, 3) OpenCV intrinsics
    R: np.ndarray  # (3, 3) world → camera
    t: np.ndarray  # (3,)
    faces: np.ndarray  # (F, 3) the topology of ``vertices`` (the full body, or a playback proxy)
    vertices: tuple[Optional[np.ndarray], ...]  # per person (V, 3) world positions, None: not drawn
    styles: tuple[PersonStyle, ...]
    normals: Optional[tuple[Optional[np.ndarray], ...]] = None  # per person (V, 3), when already known


def video_scene(camera: Camera, frame: int, faces: np.ndarray, vertices: Sequence[Optional[np.ndarray]],
                styles: Sequence[PersonStyle], size: Optional[tuple[int, int]] = None,
                normals: Optional[Sequence[Optional[np.ndarray]]] = None) -> OverlayScene:
    """The bodies seen through the video's camera at ``frame``, for an image of ``size`` (default: the video's);
    the intrinsics are scaled to that size. ``normals``: per-person vertex normals when the caller already has
    them (the playback proxy's are computed with its pose, off the drawing path)."""
    w, h = size or (camera.width, camera.height)
    K = camera.K.copy()
    K[:2] *= np.array([[w / camera.width], [h / camera.height]])
    frame = min(max(int(frame), 0), len(camera.R) - 1)
    return OverlayScene(int(w), int(h), K, camera.R[frame], camera.t[frame], faces,
                        tuple(v if s.visible else None for v, s in zip(vertices, styles)), tuple(styles),
                        None if normals is None else tuple(normals))

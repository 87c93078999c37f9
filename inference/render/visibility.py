"""Occlusion-aware keypoint visibility from a person-id/depth map (``OverlayRenderer.id_depth``).

A joint lies inside its own body, so its own surface always covers it; what matters is whether *another*
person's surface is in front of it. A joint counts as hidden when most pixels of a 3×3 patch around its projection
belong to another person whose surface is nearer the camera than the joint.
"""

from __future__ import annotations

import numpy as np

from .overlay import BACKGROUND_ID, IdDepth

_OFFSETS = np.array([(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)])


def in_frame(uvz: np.ndarray, width: int, height: int) -> np.ndarray:
    """``(N,)`` bool: in front of the camera and inside the image."""
    u, v, z = uvz[:, 0], uvz[:, 1], uvz[:, 2]
    return (z > 0.05) & (u >= 0) & (u < width) & (v >= 0) & (v < height)


def hidden_by_other(uvz: np.ndarray, person: int, id_depth: IdDepth) -> np.ndarray:
    """``uvz (N, 3)`` projected joints of ``person`` (pixel x, y, depth) → ``(N,)`` bool, True where another
    person's mesh is in front of the joint. Joints outside the image are reported as not hidden."""
    ids, depth = id_depth.ids, id_depth.depth
    h, w = ids.shape
    inside = in_frame(uvz, w, h)
    px = np.clip(np.round(uvz[:, 0]).astype(int), 0, w - 1)
    py = np.clip(np.round(uvz[:, 1]).astype(int), 0, h - 1)
    ys = np.clip(py[:, None] + _OFFSETS[None, :, 0], 0, h - 1)
    xs = np.clip(px[:, None] + _OFFSETS[None, :, 1], 0, w - 1)
    patch_ids, patch_depth = ids[ys, xs], depth[ys, xs]
    other_in_front = (patch_ids != person) & (patch_ids != BACKGROUND_ID) & (patch_depth < uvz[:, 2:3])
    return inside & (other_in_front.sum(1) >= 5)

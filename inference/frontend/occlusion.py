"""Which joints of one person the other person's body hides, from two skeletons in camera coordinates.

Occlusion is a property of the 3D scene, not of 2D proximity: two people holding hands or leaning on each other
are close in the image, yet every joint may be in plain view. So the front end asks the fitted 3D skeletons
instead: each bone of the other person is a capsule of a body part's typical radius; a joint is hidden when its
image falls inside such a capsule's outline and that part's near surface lies in front of the joint. This mirrors
how the renderer decides visibility for ground truth (another person's surface nearer than the joint), with
capsules standing in for the mesh.
"""

from __future__ import annotations

import numpy as np

from ..skeleton import BODY_JOINT_NAMES, BODY_PARENTS

# capsule radius (m) of the bone that ends at each joint (parent -> joint)
_BONE_RADIUS = {"spine1": 0.13, "spine2": 0.14, "spine3": 0.14, "neck": 0.07, "head": 0.10, "left_hip": 0.09,
                "right_hip": 0.09, "left_knee": 0.075, "right_knee": 0.075, "left_ankle": 0.055,
                "right_ankle": 0.055, "left_foot": 0.04, "right_foot": 0.04, "left_collar": 0.06,
                "right_collar": 0.06, "left_shoulder": 0.06, "right_shoulder": 0.06, "left_elbow": 0.05,
                "right_elbow": 0.05, "left_wrist": 0.04, "right_wrist": 0.04}
_CHILDREN = np.array([j for j in range(1, len(BODY_PARENTS))])
_RADII = np.array([_BONE_RADIUS[BODY_JOINT_NAMES[j]] for j in _CHILDREN])


def hidden_joints(joints_cam: np.ndarray, K: np.ndarray, shrink: float = 1.0) -> np.ndarray:
    """``joints_cam (2, T, J, 3)`` → ``(2, T, J)`` bool: the joint lies behind a body part of the other person.

    ``shrink`` scales the capsules' image outline (1 = the part's full radius)."""
    f = float(K[0, 0])
    z = np.maximum(joints_cam[..., 2], 1e-3)
    uv = joints_cam[..., :2] / z[..., None] * f  # principal point cancels in differences
    out = np.zeros(joints_cam.shape[:3], bool)
    for k in range(2):
        other = 1 - k
        a, b = uv[other][:, BODY_PARENTS[_CHILDREN]], uv[other][:, _CHILDREN]  # (T, B, 2)
        za, zb = z[other][:, BODY_PARENTS[_CHILDREN]], z[other][:, _CHILDREN]  # (T, B)
        p = uv[k]  # (T, J, 2)
        ab = b - a
        t = np.einsum("tjbk,tbk->tjb", p[:, :, None] - a[:, None], ab) / np.maximum((ab ** 2).sum(-1), 1e-9)[:, None]
        t = np.clip(t, 0.0, 1.0)
        closest = a[:, None] + t[..., None] * ab[:, None]
        dist = np.linalg.norm(p[:, :, None] - closest, axis=-1)  # (T, J, B)
        z_axis = np.maximum(za[:, None] + t * (zb - za)[:, None], 1e-3)
        # the capsule's near surface at this pixel: in front of its axis by the half-chord at the sight line's
        # distance from the axis (the full radius only on the axis itself, nothing at the outline) — taking the
        # full radius everywhere made a partner side by side at the same depth hide every joint their outline
        # overlapped
        off = dist * z_axis / f  # metres from the axis, at its depth
        radius = _RADII[None, None]
        surface = z_axis - np.sqrt(np.maximum(radius ** 2 - off ** 2, 0.0))
        out[k] = np.any((off < shrink * radius) & (surface < z[k][:, :, None]), -1)
    return out

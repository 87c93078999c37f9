"""Rotation conversions, vectorised in torch over any leading batch shape.

Files store axis-angle (the SMPL-X convention); networks use the continuous 6D representation
(Zhou et al., CVPR 2019: the first two *columns* of the rotation matrix); interpolation uses unit
quaternions. Quaternions here are scalar-first ``(w, x, y, z)``, the order scipy calls
``scalar_first=True``.

Every function takes and returns tensors whose trailing dimensions are the rotation
(``(..., 3)``, ``(..., 3, 3)``, ``(..., 4)`` or ``(..., 6)``), except :func:`axis_angle_to_matrices`, the numpy
form file readers work in.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

_EPS = 1e-8


def axis_angle_to_matrix(aa: Tensor) -> Tensor:
    """Rodrigues' formula, with a Taylor expansion near zero so gradients stay finite."""
    theta2 = (aa * aa).sum(-1, keepdim=True)
    theta = torch.sqrt(theta2.clamp_min(_EPS * _EPS))
    small = theta2 < 1e-8
    # sin(t)/t and (1-cos t)/t^2, both with series fallbacks for tiny angles
    a = torch.where(small, 1.0 - theta2 / 6.0, torch.sin(theta) / theta)
    b = torch.where(small, 0.5 - theta2 / 24.0, (1.0 - torch.cos(theta)) / theta2.clamp_min(_EPS))
    k = _skew(aa)
    eye = torch.eye(3, dtype=aa.dtype, device=aa.device).expand(k.shape)
    return eye + a[..., None] * k + b[..., None] * (k @ k)


def matrix_to_axis_angle(m: Tensor) -> Tensor:
    """Via the quaternion, which is numerically stable for all angles including pi."""
    return quaternion_to_axis_angle(matrix_to_quaternion(m))


def axis_angle_to_quaternion(aa: Tensor) -> Tensor:
    theta = aa.norm(dim=-1, keepdim=True)
    half = 0.5 * theta
    small = theta < 1e-6
    scale = torch.where(small, 0.5 - theta * theta / 48.0, torch.sin(half) / theta.clamp_min(1e-12))
    return torch.cat([torch.cos(half), aa * scale], dim=-1)


def quaternion_to_axis_angle(q: Tensor) -> Tensor:
    """Returns the rotation with angle in [0, pi] (the quaternion's sign is canonicalised)."""
    q = q / q.norm(dim=-1, keepdim=True).clamp_min(_EPS)
    q = torch.where(q[..., :1] < 0, -q, q)
    xyz = q[..., 1:]
    sin_half = xyz.norm(dim=-1, keepdim=True)
    angle = 2.0 * torch.atan2(sin_half, q[..., :1])
    small = sin_half < 1e-6
    scale = torch.where(small, 2.0 + angle * angle / 12.0, angle / sin_half.clamp_min(1e-12))
    return xyz * scale


def quaternion_to_matrix(q: Tensor) -> Tensor:
    q = q / q.norm(dim=-1, keepdim=True).clamp_min(_EPS)
    w, x, y, z = q.unbind(-1)
    rows = [
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
    ]
    return torch.stack(rows, dim=-1).reshape(q.shape[:-1] + (3, 3))


def matrix_to_quaternion(m: Tensor) -> Tensor:
    """Shepperd's method: pick the largest of the four candidate denominators for stability."""
    m00, m01, m02 = m[..., 0, 0], m[..., 0, 1], m[..., 0, 2]
    m10, m11, m12 = m[..., 1, 0], m[..., 1, 1], m[..., 1, 2]
    m20, m21, m22 = m[..., 2, 0], m[..., 2, 1], m[..., 2, 2]
    candidates = torch.stack(
        [
            torch.stack([1 + m00 + m11 + m22, m21 - m12, m02 - m20, m10 - m01], -1),
            torch.stack([m21 - m12, 1 + m00 - m11 - m22, m01 + m10, m02 + m20], -1),
            torch.stack([m02 - m20, m01 + m10, 1 - m00 + m11 - m22, m12 + m21], -1),
            torch.stack([m10 - m01, m02 + m20, m12 + m21, 1 - m00 - m11 + m22], -1),
        ],
        dim=-2,
    )  # (..., 4, 4): row i is 4*q_i*q scaled, its i-th entry is 4*q_i^2
    diag = torch.stack([candidates[..., i, i] for i in range(4)], -1)
    best = diag.argmax(-1)
    chosen = torch.gather(candidates, -2, best[..., None, None].expand(best.shape + (1, 4))).squeeze(-2)
    q = chosen / (2.0 * torch.sqrt(torch.gather(diag, -1, best[..., None]).clamp_min(_EPS)))
    q = torch.where(q[..., :1] < 0, -q, q)
    return q / q.norm(dim=-1, keepdim=True)


def matrix_to_rot6d(m: Tensor) -> Tensor:
    """First two columns, concatenated as (c0, c1)."""
    return torch.cat([m[..., :, 0], m[..., :, 1]], dim=-1)


def rot6d_to_matrix(d6: Tensor) -> Tensor:
    """Gram-Schmidt; accepts any (non-degenerate) 6-vector, so network outputs need no constraint."""
    a1, a2 = d6[..., :3], d6[..., 3:]
    b1 = torch.nn.functional.normalize(a1, dim=-1)
    b2 = torch.nn.functional.normalize(a2 - (b1 * a2).sum(-1, keepdim=True) * b1, dim=-1)
    b3 = torch.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)


def axis_angle_to_matrices(aa: np.ndarray) -> np.ndarray:
    """``(..., 3)`` axis-angle array → ``(..., 3, 3)`` float64 matrices."""
    return axis_angle_to_matrix(torch.as_tensor(aa, dtype=torch.float64)).numpy()


def axis_angle_to_rot6d(aa: Tensor) -> Tensor:
    return matrix_to_rot6d(axis_angle_to_matrix(aa))


def rot6d_to_axis_angle(d6: Tensor) -> Tensor:
    return matrix_to_axis_angle(rot6d_to_matrix(d6))


def quaternion_slerp(q0: Tensor, q1: Tensor, t: Tensor) -> Tensor:
    """Shortest-arc spherical interpolation; ``t`` broadcasts against the batch shape (no trailing 4)."""
    q0 = q0 / q0.norm(dim=-1, keepdim=True)
    q1 = q1 / q1.norm(dim=-1, keepdim=True)
    dot = (q0 * q1).sum(-1, keepdim=True)
    q1 = torch.where(dot < 0, -q1, q1)
    dot = dot.abs().clamp(max=1.0)
    t = t[..., None]
    omega = torch.acos(dot)
    sin_omega = torch.sin(omega)
    linear = sin_omega < 1e-6
    w0 = torch.where(linear, 1.0 - t, torch.sin((1.0 - t) * omega) / sin_omega.clamp_min(1e-12))
    w1 = torch.where(linear, t, torch.sin(t * omega) / sin_omega.clamp_min(1e-12))
    out = w0 * q0 + w1 * q1
    return out / out.norm(dim=-1, keepdim=True)


def _skew(v: Tensor) -> Tensor:
    x, y, z = v.unbind(-1)
    zero = torch.zeros_like(x)
    return torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], dim=-1).reshape(v.shape[:-1] + (3, 3))

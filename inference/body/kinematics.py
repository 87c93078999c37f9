"""Forward kinematics and linear blend skinning on the SMPL-X body skeleton, in torch.

Shared by the free body model, the procedural generator (joint positions without a mesh), the engine's
geometric guidance (differentiable joints) and the exporters' checks, so the skeleton is posed one way only.
Convention as in SMPL-X: local rotations about rest joint positions, then ``transl`` added to everything.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ..rotations import axis_angle_to_matrix
from ..skeleton import BODY_PARENTS


def forward_kinematics(rotmats: Tensor, rest_joints: Tensor, transl: Tensor,
                       parents: np.ndarray = BODY_PARENTS) -> tuple[Tensor, Tensor]:
    """``rotmats (B, J, 3, 3)`` local rotations (joint 0 = global orient), ``rest_joints (J, 3)`` or
    ``(B, J, 3)``, ``transl (B, 3)`` → world joint positions ``(B, J, 3)`` and bone transforms ``(B, J, 4, 4)``."""
    batch, num_joints = rotmats.shape[:2]
    rest = rest_joints.expand(batch, num_joints, 3) if rest_joints.dim() == 2 else rest_joints
    offsets = rest.clone()
    offsets[:, 1:] = rest[:, 1:] - rest[:, parents[1:]]
    world_rot: list[Tensor] = [rotmats[:, 0]]
    world_pos: list[Tensor] = [rest[:, 0] + transl]
    for j in range(1, num_joints):
        p = int(parents[j])
        world_rot.append(world_rot[p] @ rotmats[:, j])
        world_pos.append(world_pos[p] + (world_rot[p] @ offsets[:, j, :, None])[..., 0])
    rot = torch.stack(world_rot, 1)
    pos = torch.stack(world_pos, 1)
    transforms = torch.zeros(batch, num_joints, 4, 4, dtype=rot.dtype, device=rot.device)
    transforms[..., :3, :3] = rot
    transforms[..., :3, 3] = pos
    transforms[..., 3, 3] = 1.0
    return pos, transforms


def pose_joints(global_orient: Tensor, body_pose: Tensor, transl: Tensor, rest_joints: Tensor) -> Tensor:
    """Axis-angle parameters → world joint positions ``(B, 22, 3)`` (differentiable; no mesh)."""
    aa = torch.cat([global_orient[:, None], body_pose], dim=1)
    return forward_kinematics(axis_angle_to_matrix(aa), rest_joints, transl)[0]


def skin(rest_vertices: Tensor, rest_joints: Tensor, weights: Tensor, transforms: Tensor) -> Tensor:
    """Linear blend skinning: ``rest_vertices (V, 3)``, ``weights (V, J)``, world bone ``transforms (B, J, 4, 4)``
    → posed vertices ``(B, V, 3)``. The rest pose's bone frames are identity rotations at ``rest_joints``."""
    rot = transforms[..., :3, :3]
    # skinning matrix of joint j maps a rest point x to R_j (x - rest_j) + pos_j
    trans = transforms[..., :3, 3] - (rot @ rest_joints[None, :, :, None])[..., 0]
    blended_rot = torch.einsum("vj,bjkl->bvkl", weights, rot)
    blended_trans = torch.einsum("vj,bjk->bvk", weights, trans)
    return (blended_rot @ rest_vertices[None, :, :, None])[..., 0] + blended_trans

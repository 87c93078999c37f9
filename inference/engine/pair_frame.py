"""The pair-relative frame and the feature layout both networks read and write.

A window of two people is expressed in the frame of person A at a reference frame: A's pelvis sits above the
origin (its height is kept, so the floor stays where it is) and A faces +Z. B is expressed in the same frame,
so the networks see the *relative* placement of the pair, which is what close interaction is about, and never
the arbitrary world placement or heading of the video.

Which way a body faces is read from its posed joints (the horizontal normal of its hip and shoulder lines), not
from the root rotation: importers and estimators disagree on how the pelvis's own axes sit in the body (a CMU
rig imported with the pelvis pitched 20–25° and a little rolled moved the root's forward axis by several degrees
of yaw, and a rig with another rest convention moves it arbitrarily), while the hips and shoulders are where
they are whatever the rig.

Features per person and frame (``FEATURE_DIM`` = 135): the 22 joint rotations (root first) in the continuous 6D
representation, then the pelvis position in metres. The pelvis is stored rather than SMPL-X ``transl`` because it
does not depend on body shape (``transl = pelvis - rest_pelvis``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ..body.kinematics import forward_kinematics
from ..motion import PersonMotion
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle, matrix_to_rot6d, rot6d_to_matrix
from ..skeleton import JOINT_INDEX, NUM_BODY_JOINTS

ROT_DIM = NUM_BODY_JOINTS * 6
FEATURE_DIM = ROT_DIM + 3
NUM_PEOPLE = 2


def rot_y(angle: Tensor) -> Tensor:
    """Rotation matrices about +Y (up) for a tensor of angles."""
    c, s = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(angle), torch.zeros_like(angle)
    return torch.stack([c, zero, s, zero, one, zero, -s, zero, c], -1).reshape(angle.shape + (3, 3))


ACROSS_JOINTS = tuple((JOINT_INDEX["left_" + n], JOINT_INDEX["right_" + n]) for n in ("hip", "shoulder"))


def body_heading(joints: Tensor) -> Tensor:
    """Yaw (radians; 0 = facing +Z) of posed bodies ``(..., 22, 3)``, from their own geometry.

    The across vector (right → left hip plus right → left shoulder) is projected on the ground; the body faces
    along ``across × up``. A body lying or bent double still has hips and shoulders, unlike a root forward axis,
    which an arbitrary rest frame can point anywhere.
    """
    across = sum(joints[..., left, :] - joints[..., right, :] for left, right in ACROSS_JOINTS)
    # across × (0, 1, 0) = (-across_z, 0, across_x): the forward direction on the ground plane
    return torch.atan2(-across[..., 2], across[..., 0])


def posed_heading(rotmats: Tensor, pelvis: Tensor, rest_joints: Tensor) -> Tensor:
    """:func:`body_heading` of poses given as rotations ``(N, 22, 3, 3)``, pelvis ``(N, 3)`` and rest joints
    ``(N, 22, 3)`` (forward kinematics first)."""
    joints, _ = forward_kinematics(rotmats, rest_joints, pelvis - rest_joints[:, 0])
    return body_heading(joints)


@dataclass
class PairFrame:
    """World → pair frame: ``p_pair = R (p_world - origin)`` with ``R`` a rotation about +Y."""

    rotation: Tensor  # (..., 3, 3)
    origin: Tensor  # (..., 3)

    @classmethod
    def from_reference(cls, yaw: Tensor, pelvis: Tensor) -> "PairFrame":
        """Frame that puts a person facing ``yaw`` (``(...)``) with pelvis ``(..., 3)`` at the origin facing +Z."""
        origin = pelvis * pelvis.new_tensor([1.0, 0.0, 1.0])
        return cls(rot_y(-yaw), origin)

    def points_to_world(self, points: Tensor) -> Tensor:
        """Pair-frame points ``(..., 3)`` → world, for an unbatched frame (rotation ``(3, 3)``)."""
        return points @ self.rotation + self.origin

    def to(self, device: "str | torch.device") -> "PairFrame":
        return PairFrame(self.rotation.to(device), self.origin.to(device))

    def single(self, index: int) -> "PairFrame":
        """The ``index``-th frame of a batched one."""
        return PairFrame(self.rotation[index], self.origin[index])


def to_pair_frame(rotmats: Tensor, pelvis: Tensor, frame: PairFrame) -> tuple[Tensor, Tensor]:
    """World rotations ``(B, T, 2, 22, 3, 3)`` and pelvis ``(B, T, 2, 3)`` → pair frame (frame batched over B)."""
    rot = frame.rotation[:, None, None]
    rotmats = rotmats.clone()
    rotmats[..., 0, :, :] = rot @ rotmats[..., 0, :, :]
    pelvis = (rot @ (pelvis - frame.origin[:, None, None]).unsqueeze(-1)).squeeze(-1)
    return rotmats, pelvis


def from_pair_frame(rotmats: Tensor, pelvis: Tensor, frame: PairFrame) -> tuple[Tensor, Tensor]:
    """Inverse of :func:`to_pair_frame`."""
    rot_t = frame.rotation.transpose(-1, -2)[:, None, None]
    rotmats = rotmats.clone()
    rotmats[..., 0, :, :] = rot_t @ rotmats[..., 0, :, :]
    pelvis = (rot_t @ pelvis.unsqueeze(-1)).squeeze(-1) + frame.origin[:, None, None]
    return rotmats, pelvis


def encode(rotmats: Tensor, pelvis: Tensor) -> Tensor:
    """``(..., 22, 3, 3)`` rotations and ``(..., 3)`` pelvis → ``(..., 135)`` features."""
    return torch.cat([matrix_to_rot6d(rotmats).flatten(-2), pelvis], -1)


def decode(features: Tensor) -> tuple[Tensor, Tensor]:
    """``(..., 135)`` features → rotations ``(..., 22, 3, 3)`` (Gram-Schmidt) and pelvis ``(..., 3)``."""
    rot6d = features[..., :ROT_DIM].unflatten(-1, (NUM_BODY_JOINTS, 6))
    return rot6d_to_matrix(rot6d), features[..., ROT_DIM:]


def anchor(trusted: np.ndarray) -> tuple[int, int]:
    """(frame, person) whose pose defines the pair frame: A's first trusted frame, else B's, else A at 0.

    Trusted poses are the ones we believe, so anchoring the frame there keeps a wrong guess from tilting the
    whole window. Training windows use the same rule so the network sees the same distribution.
    """
    for person in range(trusted.shape[1]):
        hits = np.flatnonzero(trusted[:, person])
        if hits.size:
            return int(hits[0]), person
    return 0, 0


def pair_frame_for(rotmats: Tensor, pelvis: Tensor, trusted: np.ndarray, rest_joints: Tensor) -> PairFrame:
    """Batched pair frames for windows ``rotmats (B, T, 2, 22, 3, 3)``, ``pelvis (B, T, 2, 3)``, ``trusted
    (B, T, 2)`` of people with rest joints ``(B, 2, 22, 3)``; the heading is the anchor body's own
    (:func:`body_heading`)."""
    frames, people = zip(*(anchor(m) for m in trusted))
    idx = torch.arange(rotmats.shape[0])
    f, p = list(frames), list(people)
    ref_pelvis = pelvis[idx, f, p]
    yaw = posed_heading(rotmats[idx, f, p], ref_pelvis, rest_joints[idx, p].to(rotmats.dtype))
    return PairFrame.from_reference(yaw, ref_pelvis)


def person_tensors(person: PersonMotion, rest_pelvis: np.ndarray, start: int = 0,
                   stop: "int | None" = None) -> tuple[Tensor, Tensor]:
    """One person's frames ``[start, stop)`` → rotations ``(T, 22, 3, 3)`` and pelvis ``(T, 3)`` (world)."""
    sl = slice(start, stop)
    aa = torch.as_tensor(person.pose_axis_angle()[sl], dtype=torch.float32)
    pelvis = torch.as_tensor(person.transl[sl] + rest_pelvis[None], dtype=torch.float32)
    return axis_angle_to_matrix(aa), pelvis


def person_arrays(rotmats: Tensor, pelvis: Tensor, rest_pelvis: np.ndarray) -> dict[str, np.ndarray]:
    """Rotations ``(T, 22, 3, 3)`` and pelvis ``(T, 3)`` → ``global_orient``, ``body_pose``, ``transl`` arrays."""
    aa = matrix_to_axis_angle(rotmats.detach().double()).float().numpy()
    transl = pelvis.detach().numpy().astype(np.float32) - rest_pelvis[None].astype(np.float32)
    return {"global_orient": aa[:, 0], "body_pose": aa[:, 1:], "transl": transl}

"""Dataset worlds → ours (+Y up, metres), shared by the InterHuman, Hi4D and CHI3D loaders.

Capture datasets keep the world frame of their rig: InterHuman's processed joints are Z-up (InterGen rotates them
with ``(x, y, z) → (x, z, −y)`` before use), while Hi4D and CHI3D document no up axis. Where none is documented it
is detected from the motion itself: people are upright most of the time, so the mean pelvis→neck direction over a
sequence lies within a few tens of degrees of the up axis and much nearer one signed coordinate axis than any other.

Every loader reduces its data to world root rotations, body-joint rotations and *pelvis positions*, and builds our
parameters from those (:func:`person_from_world`). Going through the pelvis sidesteps two traps at once: the source
model's rest pelvis (SMPL's and SMPL-X's differ from our body's, so a source ``transl`` means nothing to us), and
re-orienting a world, which for SMPL-style parameters rotates about the rest pelvis, not the origin (see
``inference.io.npz.z_up_to_y_up``): with positions, ``pelvis' = G pelvis``, ``root' = G root`` and
``transl = pelvis' − j0_ours`` is all there is.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from ..body import BodyModel
from ..body.kinematics import forward_kinematics
from ..motion import MotionError, PersonMotion
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle
from ..skeleton import JOINT_INDEX

# Rotation taking each signed source up axis onto +Y (proper rotations: det = +1).
TO_Y_UP: dict[str, np.ndarray] = {
    "y": np.eye(3),
    "-y": np.diag([1.0, -1.0, -1.0]),
    "z": np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]]),  # (x, y, z) → (x, z, −y), as AMASS and InterGen
    "-z": np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]]),
    "x": np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]]),
    "-x": np.array([[0.0, 1, 0], [-1, 0, 0], [0, 0, 1]]),
}
_AXIS_VECTORS = {name: rot.T @ np.array([0.0, 1.0, 0.0]) for name, rot in TO_Y_UP.items()}


def detect_up_axis(joints: np.ndarray, label: str) -> str:
    """The signed axis (``"y"``, ``"-z"``, …) nearest the mean pelvis→neck direction of ``joints (..., 22, 3)``."""
    spine = (joints[..., JOINT_INDEX["neck"], :] - joints[..., JOINT_INDEX["pelvis"], :]).reshape(-1, 3)
    mean = spine.mean(0)
    if not np.all(np.isfinite(mean)) or np.linalg.norm(mean) < 1e-6:
        raise MotionError(f"{label}: cannot tell the up axis (no consistent pelvis→neck direction); give it")
    return max(_AXIS_VECTORS, key=lambda name: float(_AXIS_VECTORS[name] @ mean))


def to_y_up(axis: str, label: str) -> np.ndarray:
    """``(3, 3)`` rotation taking a world whose up is ``axis`` to ours."""
    key = axis.lower().lstrip("+")
    if key not in TO_Y_UP:
        raise MotionError(f"{label}: unknown up axis {axis!r} (one of {', '.join(TO_Y_UP)})")
    return TO_Y_UP[key]


def rest_skeleton(body: Optional[BodyModel] = None) -> np.ndarray:
    """``(22, 3)`` rest joints of our body at zero shape (dataset shapes are in other models' shape spaces)."""
    from ..engine.bodies import rest_joints

    return rest_joints(np.zeros(10, np.float32), body)


def posed_joints(root: np.ndarray, body_pose: np.ndarray, pelvis: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """World joints ``(T, 22, 3)`` of our skeleton: ``root (T,3,3)``, ``body_pose (T,21,3)`` axis-angle,
    ``pelvis (T,3)``."""
    local = axis_angle_to_matrix(torch.as_tensor(body_pose, dtype=torch.float64))
    rot = torch.cat([torch.as_tensor(root, dtype=torch.float64)[:, None], local], 1)
    rest_t = torch.as_tensor(rest, dtype=torch.float64)
    transl = torch.as_tensor(pelvis, dtype=torch.float64) - rest_t[0]
    return forward_kinematics(rot, rest_t, transl)[0].numpy()


def person_from_world(root: np.ndarray, body_pose: np.ndarray, pelvis: np.ndarray, rotation: np.ndarray,
                      rest_pelvis: np.ndarray, label: str, **extra: object) -> PersonMotion:
    """Our parameters from a source world's root rotations ``(T,3,3)``, body pose ``(T,21,3)`` axis-angle and
    pelvis positions ``(T,3)``, re-oriented by ``rotation`` (source world → ours). Betas are zero (see module
    docstrings of the loaders); ``extra`` holds optional PersonMotion fields (hands, jaw, gender)."""
    g = np.asarray(rotation, np.float64)
    root_y = np.einsum("ij,tjk->tik", g, np.asarray(root, np.float64))
    pelvis_y = np.asarray(pelvis, np.float64) @ g.T
    orient = matrix_to_axis_angle(torch.as_tensor(root_y)).numpy()
    try:
        return PersonMotion(global_orient=orient, body_pose=body_pose, transl=pelvis_y - rest_pelvis,
                            betas=np.zeros(10, np.float32), **extra)  # type: ignore[arg-type]
    except MotionError as exc:
        raise MotionError(f"{label}: {exc}") from None


def matrices_to_axis_angle(mats: np.ndarray, label: str, what: str) -> np.ndarray:
    """``(..., 3, 3)`` → ``(..., 3)``; matrices are re-orthonormalised first (JSON and float32 round-off), and a
    reflection (determinant < 0) is refused naming the file and ``what`` (e.g. "key 'body_pose'")."""
    u, _, vt = np.linalg.svd(check_finite(mats, label, what))
    nearest = u @ vt
    det = np.linalg.det(nearest)
    if np.any(det < 0):
        bad = tuple(int(i) for i in np.argwhere(det < 0)[0])
        raise MotionError(f"{label}: {what} holds a reflection, not a rotation, at index {bad}")
    return matrix_to_axis_angle(torch.as_tensor(nearest)).numpy()


def check_finite(arr: np.ndarray, label: str, what: str) -> np.ndarray:
    """``arr`` as float64, or a MotionError naming the file, ``what`` (the key) and the first bad index."""
    out = np.asarray(arr, np.float64)
    if not np.all(np.isfinite(out)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
        raise MotionError(f"{label}: {what} has a non-finite value (NaN or inf) at index {bad}")
    return out

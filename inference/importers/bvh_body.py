"""Our side of BVH retargeting: the rest skeleton of a body shape, where its feet stand, and posing it.

Heights are compared as *sole heights*: a foot joint's height minus where that joint sits when the foot stands
flat (its rest height above the lowest rest vertex) — the generator's convention, so an imported motion stands on
the floor the way generated motion does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional, Union

import numpy as np
import torch

from ..skeleton import JOINT_INDEX

if TYPE_CHECKING:
    from ..body import BodyModel

FOOT = tuple(JOINT_INDEX[n] for n in ("left_ankle", "right_ankle", "left_foot", "right_foot"))
_FOOT_SIDE = np.array([0, 1, 0, 1])


@dataclass
class OurBody:
    """Our rest skeleton for one shape, and how high its sole is."""

    joints: np.ndarray  # (22, 3) T-pose rest joints
    sole_y: float  # lowest rest vertex (without a mesh: the lowest foot joint)

    @property
    def flat_feet(self) -> np.ndarray:
        """Heights ``(4,)`` of the :data:`FOOT` joints above the ground when standing flat."""
        return self.joints[list(FOOT), 1] - self.sole_y


RestFn = Callable[[np.ndarray], Union[np.ndarray, OurBody]]


def body_rest_fn(body: Optional["BodyModel"] = None) -> RestFn:
    """Our body's rest for a shape: ``body``'s (default: the loaded body model) rest joints and lowest vertex."""
    if body is None:
        from ..body import load_body_model

        body = load_body_model()

    def rest(betas: np.ndarray) -> OurBody:
        with torch.no_grad():
            vertices, joints = body.rest(torch.as_tensor(betas, dtype=torch.float32))
        return OurBody(joints.cpu().numpy().astype(np.float64), float(vertices[:, 1].min()))

    return rest


def our_body(rest_fn: Optional[RestFn], betas: np.ndarray) -> OurBody:
    """``rest_fn(betas)`` (default :func:`body_rest_fn`); a bare joint array stands on its lowest foot joint."""
    got = (rest_fn or body_rest_fn())(betas)
    if isinstance(got, OurBody):
        return got
    joints = np.asarray(got, np.float64)
    return OurBody(joints, float(joints[list(FOOT), 1].min()))


def posed_joints(aa: np.ndarray, pelvis: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """Our world joints ``(F, 22, 3)`` for local axis-angle ``aa (F, 22, 3)`` with the pelvis at ``pelvis``."""
    from ..body.kinematics import pose_joints

    with torch.no_grad():
        return pose_joints(torch.as_tensor(aa[:, 0]), torch.as_tensor(aa[:, 1:]),
                           torch.as_tensor(pelvis - rest[0]), torch.as_tensor(rest)).numpy()


def sole_heights(joints: np.ndarray, flat: np.ndarray, feet: np.ndarray) -> np.ndarray:
    """Per frame and side ``(F, 2)``: how far the lowest of that foot's joints ``feet`` (indices into
    :data:`FOOT`) is above where it would be standing flat (joint height minus its flat height ``flat``)."""
    above = joints[:, list(FOOT), 1] - flat
    out = np.full((len(joints), 2), np.inf)
    for k in feet:
        out[:, _FOOT_SIDE[k]] = np.minimum(out[:, _FOOT_SIDE[k]], above[:, k])
    return out

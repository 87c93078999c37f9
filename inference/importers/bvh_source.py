"""A BVH skeleton seen through our 22 joints: which of its points plays each, in our axes and scale.

:func:`source_rig` works once per file from the hierarchy alone (family, joint map, up axis, rest pose, a length
that fixes scale); :meth:`SourceRig.motion` then runs the file's forward kinematics for any range of frames, so a
long take is retargeted a slice at a time with bounded memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..motion import MotionError
from ..skeleton import BODY_JOINT_NAMES, BODY_PARENTS, JOINT_INDEX, NUM_BODY_JOINTS
from .bvh_families import FAMILIES, REQUIRED, detect_family, strip_prefix
from .bvh_file import BvhSkeleton

_SIDES = ("left", "right")
_Z_TO_Y = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])


@dataclass
class SourceMotion:
    """A BVH skeleton's mapped joints over some frames in our axes and scale: what retargeting consumes."""

    mapped: np.ndarray  # (22,) bool: our joint has a counterpart
    positions: np.ndarray  # (F, 22, 3) world positions of the counterparts (Y up, scaled); NaN where unmapped
    rotations: np.ndarray  # (F, 22, 3, 3) world rotations since rest (Y-up axes)
    rest: np.ndarray  # (22, 3) rest positions (Y up, scaled, root at origin)
    family: str


def leg_and_trunk(joints: np.ndarray) -> float:
    """A length that fixes body scale: hip-knee-ankle (both sides, averaged) plus pelvis-neck."""
    j = {n: joints[..., JOINT_INDEX[n], :] for n in BODY_JOINT_NAMES}
    legs = [np.linalg.norm(j[f"{s}_hip"] - j[f"{s}_knee"], axis=-1)
            + np.linalg.norm(j[f"{s}_knee"] - j[f"{s}_ankle"], axis=-1) for s in _SIDES]
    return float(np.mean(legs) + np.linalg.norm(j["pelvis"] - j["neck"], axis=-1))


@dataclass
class SourceRig:
    """How one file's skeleton maps onto ours (no frames)."""

    family: str
    index: np.ndarray  # (22,) the point (joint or End Site, see ``BvhSkeleton.point_names``) playing ours; -1: none
    conv: np.ndarray  # (3, 3) file axes -> Y up
    rest: np.ndarray  # (22, 3) rest positions of the mapped points, Y up, file units, NaN where unmapped

    @property
    def mapped(self) -> np.ndarray:
        return self.index >= 0

    @property
    def scale_length(self) -> float:
        """:func:`leg_and_trunk` of the rest pose, in file units."""
        return leg_and_trunk(np.nan_to_num(self.rest))

    def motion(self, skel: BvhSkeleton, scale: float) -> SourceMotion:
        """The mapped points over ``skel``'s frames, Y up, multiplied by ``scale``."""
        pos, rot = skel.points()
        m, idx = self.mapped, self.index[self.mapped]
        frames = skel.num_frames
        positions = np.full((frames, NUM_BODY_JOINTS, 3), np.nan)
        positions[:, m] = pos[:, idx] @ self.conv.T * scale
        rotations = np.repeat(np.eye(3)[None, None], frames, 0).repeat(NUM_BODY_JOINTS, 1)
        rotations[:, m] = self.conv @ rot[:, idx] @ self.conv.T
        return SourceMotion(m, positions, rotations, self.rest * scale, self.family)


def source_rig(skel: BvhSkeleton, family: str | None = None) -> SourceRig:
    """The family (detected unless given), joint map, up axis and rest pose of ``skel``."""
    names = skel.point_names
    family = family or detect_family(names, skel.label)
    stripped = [strip_prefix(n) for n in names]
    idx = np.full(NUM_BODY_JOINTS, -1)
    for ours, theirs in FAMILIES[family].items():
        if theirs is not None and theirs in stripped:
            idx[JOINT_INDEX[ours]] = stripped.index(theirs)
    rest_all = skel.rest_points()
    # a counterpart sitting on its nearest mapped ancestor (CMU's Neck on Spine1) has no bone direction: drop it
    tiny = 1e-4 * float(np.ptp(rest_all, axis=0).max())
    for j in range(1, NUM_BODY_JOINTS):
        if idx[j] < 0:
            continue
        a = int(BODY_PARENTS[j])
        while idx[a] < 0:
            a = int(BODY_PARENTS[a])
        if np.linalg.norm(rest_all[idx[j]] - rest_all[idx[a]]) <= tiny:
            if BODY_JOINT_NAMES[j] in REQUIRED:
                raise MotionError(f"{skel.label}: joint '{names[idx[j]]}' sits on its parent; cannot "
                                  f"place our '{BODY_JOINT_NAMES[j]}'")
            idx[j] = -1
    mapped = idx >= 0
    rest = np.full((NUM_BODY_JOINTS, 3), np.nan)
    rest[mapped] = rest_all[idx[mapped]]
    up = rest[JOINT_INDEX["neck"]] - rest[JOINT_INDEX["pelvis"]]
    axis = int(np.argmax(np.abs(up)))
    if axis == 1 and up[1] > 0:
        conv = np.eye(3)
    elif axis == 2 and up[2] > 0:
        conv = _Z_TO_Y
    else:
        raise MotionError(f"{skel.label}: rest pose is neither Y-up nor Z-up (pelvis→neck points along "
                          f"{'-' if up[axis] < 0 else '+'}{'XYZ'[axis]})")
    return SourceRig(family, idx, conv, rest @ conv.T)

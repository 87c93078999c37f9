"""The one skeleton every motion in SM Studio uses: the SMPL-X body joints.

Both body models (licensed SMPL-X and the free default) expose exactly these 22 joints with these parents and
a T-pose rest, so a motion made with one renders, trains and exports with the other.
"""

from __future__ import annotations

import numpy as np

BODY_JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar",
    "right_collar", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist",
)
BODY_PARENTS: np.ndarray = np.array(
    [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19], dtype=np.int64
)
NUM_BODY_JOINTS = len(BODY_JOINT_NAMES)  # 22: pelvis (root) + 21 in ``body_pose``
NUM_HAND_JOINTS = 15  # per hand, SMPL-X ``left_hand_pose``/``right_hand_pose``
JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(BODY_JOINT_NAMES)}

# Pairs (left, right) used to mirror motions and to check left/right naming.
LEFT_RIGHT_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (JOINT_INDEX[n], JOINT_INDEX["right_" + n[5:]]) for n in BODY_JOINT_NAMES if n.startswith("left_")
)

# Coordinate conventions of everything stored in a Reconstruction (and written to files).
UP_AXIS = "y"  # SMPL-X canonical: +Y up, a person in rest pose faces +Z
UNITS = "m"


def children(parents: np.ndarray = BODY_PARENTS) -> list[list[int]]:
    """Child lists, for walking the tree top-down (exporters, drawing bones)."""
    out: list[list[int]] = [[] for _ in parents]
    for j, p in enumerate(parents):
        if p >= 0:
            out[int(p)].append(j)
    return out

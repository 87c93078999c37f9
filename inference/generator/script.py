"""The choreography language: what each person's root, trunk, legs and hands do over time.

A choreography (``kinds.py``) fills one ``PersonScript`` per person. Hand targets are functions of the ``World``
— both people's trunk joints after they have been posed and put on the ground — because a hand on a partner's
back must follow that back as it moves. Arms are solved last, by IK, so no target depends on an arm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from ..skeleton import JOINT_INDEX
from .body_info import BodyInfo
from .geometry import UP, facing, left_of


@dataclass
class World:
    """Both people's posed joints (arms still in rest) and headings, per frame; ``t`` is time in seconds."""

    t: np.ndarray  # (T,)
    joints: dict[str, np.ndarray]  # pid -> (T, 22, 3)
    yaw: dict[str, np.ndarray]  # pid -> (T,)
    info: dict[str, BodyInfo]

    def joint(self, pid: str, name: str) -> np.ndarray:
        return self.joints[pid][:, JOINT_INDEX[name]]

    def forward(self, pid: str) -> np.ndarray:
        return facing(self.yaw[pid])

    def left(self, pid: str) -> np.ndarray:
        return left_of(self.yaw[pid])

    def side(self, pid: str, side: str) -> np.ndarray:
        """Unit vector towards the person's ``left`` or ``right``."""
        return self.left(pid) * (1.0 if side == "left" else -1.0)

    def surface(self, pid: str, joint: str, toward: str, gap: float = 0.03) -> np.ndarray:
        """A point ``gap`` metres outside the trunk's front or back surface at a trunk joint's height."""
        info = self.info[pid]
        if toward == "front":
            return self.joint(pid, joint) + self.forward(pid) * (info.front[joint] + gap)
        return self.joint(pid, joint) - self.forward(pid) * (info.back[joint] + gap)


Target = Callable[[World], np.ndarray]


@dataclass
class ContactSpec:
    """The body part of the other person a hand touches while its arm weight is 1."""

    other: str  # "A" / "B"
    part: str  # skeleton joint name nearest the touched spot
    region: str  # words for the spot ("right hand", "upper back")


@dataclass
class ArmScript:
    weight: np.ndarray  # (T,) 0 = relaxed arm, 1 = wrist exactly on target
    target: Target
    pole: Optional[Target] = None  # where the elbow points; default: down and out
    via: Optional[Target] = None  # a point the hand passes on its way (around a partner's flank)
    contact: Optional[ContactSpec] = None
    hand_dir: Optional[Target] = None  # where the fingers point on target (flat on a back, up on a chest)


@dataclass
class PersonScript:
    info: BodyInfo
    root: np.ndarray  # (T, 3) pelvis ground position (y ignored: the legs decide the height)
    yaw: np.ndarray  # (T,) heading
    lean: np.ndarray  # (T,) forward trunk bend, radians (negative leans back)
    sway: Optional[np.ndarray] = None  # (T,) sideways trunk bend, radians
    step_phase: Optional[np.ndarray] = None  # (T,) explicit gait phase (stepping on the spot); default from root
    step_amp: Optional[np.ndarray] = None  # (T,) hip swing amplitude for explicit phases
    look_at: Optional[str] = None  # turn the head towards this person
    arms: dict[str, ArmScript] = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.root.shape[0])


def hand_pole(world: World, pid: str, side: str, out: float = 0.6, down: float = 1.0, back: float = 0.3) -> np.ndarray:
    """An elbow direction in the person's frame: mostly down, somewhat out to the side and back."""
    return world.side(pid, side) * out - UP * down - world.forward(pid) * back

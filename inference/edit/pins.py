"""Pins: a joint held at a world position over frames, and the limb IK that puts it there.

Why: the fastest fix for a wrong pose is to drag the wrist where it belongs (what Blender or CVAT users do
first). The drag becomes a :class:`Pin`, which (1) edits the motion at once through IK on the limb, blended over a
few frames on each side so the pose does not pop, and (2) stays a constraint: the infiller's and refiner's
guidance pull towards it while sampling, and :func:`enforce` puts the limb exactly on it afterwards (the guidance
is soft; a pin the user placed by hand should hold to the millimetre, not "roughly").

The IK is numeric: the rotations of the pinned joint's three nearest ancestors (wrist: collar, shoulder,
elbow; ankle: hip and knee; head: spine2, spine3, neck) — or the root translation for the pelvis — are fitted per
frame by L-BFGS, with a small pull towards the input pose (``regularisation`` per rad², against cm² of error), all
frames at once. One solver serves every pinnable joint and also contacts (a hand brought to within the contact
distance of the partner's joint).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence

import numpy as np
import torch

from ..body.kinematics import pose_joints
from ..motion import PERSON_IDS, MotionError, Reconstruction
from ..skeleton import BODY_PARENTS, JOINT_INDEX

PINNABLE = ("left_wrist", "right_wrist", "left_elbow", "right_elbow", "left_ankle", "right_ankle", "left_knee",
            "right_knee", "head", "pelvis")
FALLOFF = 6  # frames on each side of a pin over which an edit fades out
TOLERANCE = 0.0005  # m: a goal nearer than this is met
ROUNDS = 4  # of ``iterations`` L-BFGS steps at most
CONTACT_MARGIN = 0.8  # a violated contact is pulled to this fraction of its distance (inside, not onto the edge)


@dataclass(frozen=True)
class Pin:
    """Joint ``joint`` of ``person`` at world position ``target`` (m) over frames ``[start, stop)``."""

    person: str
    joint: str
    start: int
    stop: int
    target: tuple[float, float, float]

    def __post_init__(self) -> None:
        if self.person not in PERSON_IDS:
            raise MotionError(f"pin: person must be one of {PERSON_IDS}, got {self.person!r}")
        if self.joint not in PINNABLE:
            raise MotionError(f"pin: joint must be one of {PINNABLE}, got {self.joint!r}")
        if not 0 <= self.start < self.stop:
            raise MotionError(f"pin: needs 0 <= start < stop, got [{self.start}, {self.stop})")
        target = tuple(float(v) for v in self.target)
        if len(target) != 3 or not np.isfinite(target).all():
            raise MotionError(f"pin: target must be three finite numbers, got {self.target!r}")
        object.__setattr__(self, "target", target)

    @property
    def person_index(self) -> int:
        return PERSON_IDS.index(self.person)

    def label(self) -> str:
        frames = f"frame {self.start}" if self.stop == self.start + 1 else f"frames {self.start}–{self.stop - 1}"
        return f"{self.person} {self.joint.replace('_', ' ')} pinned · {frames}"

    def to_json(self) -> dict[str, Any]:
        return {"person": self.person, "joint": self.joint, "start": self.start, "stop": self.stop,
                "target": list(self.target)}

    @classmethod
    def from_json(cls, d: Any) -> "Pin":
        try:
            return cls(d["person"], d["joint"], int(d["start"]), int(d["stop"]), tuple(d["target"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise MotionError(f"pin {d!r} is not valid ({exc})") from None


@dataclass(frozen=True)
class Goal:
    """Joint ``joint`` of person index ``person`` should be at ``targets[k]`` on ``frames[k]``."""

    person: int
    joint: int
    frames: np.ndarray  # (N,) int
    targets: np.ndarray  # (N, 3)


def limb_joints(joint: int) -> tuple[int, ...]:
    """The joints whose rotations move ``joint``: its three nearest ancestors below the root (none for the root)."""
    out = []
    j = int(BODY_PARENTS[joint]) if joint > 0 else -1
    while j > 0 and len(out) < 3:
        out.append(j)
        j = int(BODY_PARENTS[j])
    return tuple(out)


def pin_goals(pins: Iterable[Pin], joints: np.ndarray, editable: Optional[np.ndarray] = None,
              falloff: int = FALLOFF) -> list[Goal]:
    """Goals for ``pins`` on world joints ``(T, 2, 22, 3)``; the target fades in over ``falloff`` frames on each
    side. ``editable`` ``(T, 2)`` limits which frames may change (default: all)."""
    goals = []
    num = joints.shape[0]
    for pin in pins:
        i, j = pin.person_index, JOINT_INDEX[pin.joint]
        frames = np.arange(max(0, pin.start - falloff), min(num, pin.stop + falloff))
        if frames.size == 0:
            continue
        gap = np.maximum(pin.start - frames, frames - (pin.stop - 1)).clip(0)
        weight = 0.5 * (1 + np.cos(np.pi * gap / (falloff + 1)))
        targets = (1 - weight[:, None]) * joints[frames, i, j] + weight[:, None] * np.asarray(pin.target)
        keep = np.ones(frames.size, bool) if editable is None else editable[frames, i]
        if keep.any():
            goals.append(Goal(i, j, frames[keep], targets[keep]))
    return goals


def contact_goals(contacts: Iterable[Any], joints: np.ndarray, editable: np.ndarray) -> list[Goal]:
    """Goals that bring violated engine contacts (``joint_a`` of A within ``distance`` of ``joint_b`` of B on
    ``[start, stop)``) inside their distance, moving whichever person may change there (A first)."""
    goals = []
    for c in contacts:
        frames = np.arange(max(0, c.start), min(joints.shape[0], c.stop))
        a, b = joints[frames, 0, c.joint_a], joints[frames, 1, c.joint_b]
        gap = np.linalg.norm(a - b, axis=-1)
        violated = gap > c.distance
        for mover, joint, mine, theirs in ((0, c.joint_a, a, b), (1, c.joint_b, b, a)):
            rows = violated & editable[frames, mover]
            if rows.any():
                direction = (mine[rows] - theirs[rows]) / gap[rows, None]
                goals.append(Goal(mover, joint, frames[rows], theirs[rows] + direction * c.distance * CONTACT_MARGIN))
                violated = violated & ~rows
    return goals


def solve(recon: Reconstruction, rest: np.ndarray, goals: Sequence[Goal], iterations: int = 30,
          regularisation: float = 1e-2) -> Reconstruction:
    """``recon`` with the limbs of ``goals`` rotated (and the root moved, for pelvis goals) so each goal's joint
    reaches its targets; nothing else changes. ``rest`` is the pair's ``(2, 22, 3)`` rest joints."""
    people = list(recon.people)
    for i in range(2):
        mine = [g for g in goals if g.person == i and g.frames.size]
        if mine:
            people[i] = _solve_person(people[i], rest[i], mine, iterations, regularisation)
    return recon.replace_people(*people)


def _solve_person(person, rest: np.ndarray, goals: list[Goal], iterations: int, regularisation: float):
    frames = np.unique(np.concatenate([g.frames for g in goals]))
    row = {int(f): k for k, f in enumerate(frames)}
    rotated = sorted({j for g in goals for j in limb_joints(g.joint)})
    moves_root = any(not limb_joints(g.joint) for g in goals)  # the pelvis, hips, lower spine: the root moves
    f32 = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
    orient, body, transl = f32(person.global_orient[frames]), f32(person.body_pose[frames]), f32(person.transl[frames])
    limb0 = body[:, [j - 1 for j in rotated]].clone()
    limb = limb0.clone().requires_grad_(True)
    shift = torch.zeros_like(transl, requires_grad=True)
    rest_t = f32(rest)
    index = [(torch.as_tensor([row[int(f)] for f in g.frames]), g.joint, f32(g.targets)) for g in goals]

    def posed() -> torch.Tensor:
        full = body.clone()
        full[:, [j - 1 for j in rotated]] = limb
        return pose_joints(orient, full, transl + shift, rest_t)

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        joints = posed()
        # in cm²: at metres the loss is so small that L-BFGS's tolerances stop it centimetres short
        loss = sum(((joints[rows, j] - target) ** 2).sum() for rows, j, target in index) * 1e4
        loss = loss + regularisation * ((limb - limb0) ** 2).sum()
        loss.backward()
        return loss

    # The limb alone first; where a target lies out of the limb's reach (the engine placed the body elsewhere),
    # the root follows too, so a pin is met rather than pointed at.
    for params in (([limb] if rotated else []) + ([shift] if moves_root else []), [limb, shift]):
        optimiser = torch.optim.LBFGS(params, lr=1.0, max_iter=iterations, line_search_fn="strong_wolfe")
        with torch.enable_grad():
            for _ in range(ROUNDS):  # L-BFGS stops on its tolerances; check the error in mm, go on only if needed
                optimiser.step(closure)
                with torch.no_grad():
                    joints = posed()
                    worst = max(float((joints[rows, j] - target).norm(dim=-1).max()) for rows, j, target in index)
                if worst < TOLERANCE:
                    break
        if worst < TOLERANCE or moves_root:
            break
    out = person.copy()
    body_np = out.body_pose[frames].copy()
    body_np[:, [j - 1 for j in rotated]] = limb.detach().numpy()
    out.body_pose[frames] = body_np
    out.transl[frames] = (transl + shift).detach().numpy()
    return out


def enforce(recon: Reconstruction, rest: np.ndarray, joints: np.ndarray, pins: Iterable[Pin] = (),
            contacts: Iterable[Any] = (), editable: Optional[np.ndarray] = None) -> Reconstruction:
    """``recon`` with ``pins`` held and violated ``contacts`` (engine constraints) closed by limb IK, on the
    ``editable`` ``(T, 2)`` frames only (default: all). ``joints`` are ``recon``'s world joints."""
    editable = np.ones(joints.shape[:2], bool) if editable is None else editable
    goals = pin_goals(pins, joints, editable) + contact_goals(contacts, joints, editable)
    return solve(recon, rest, goals) if goals else recon

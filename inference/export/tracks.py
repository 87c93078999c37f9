"""What every exporter writes: one person's skeleton (and optionally skinned mesh) plus per-frame local rotations,
already converted to the file's up axis and unit.

Converting once here, not in each writer, keeps the formats consistent: a joint's world position read back from
an FBX, a GLB or a BVH file is the same number. All bones rest with identity orientation (the T-pose of
``inference.skeleton``), so an axis change ``C`` turns every local rotation ``R`` into ``C R Cᵀ`` and every point
``p`` into ``s C p`` (``s`` the unit scale), and forward kinematics commutes with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Union

import numpy as np
import torch

from ..body.base import BodyModel
from ..body.kinematics import forward_kinematics
from ..motion import PERSON_IDS, MotionError, Reconstruction
from ..rotations import axis_angle_to_matrix
from ..skeleton import BODY_JOINT_NAMES, BODY_PARENTS


class ExportError(MotionError):
    """An export request cannot be carried out (unknown format, bad frame range, unknown person, …)."""


# One body model for everyone, or one per person (SMPL-X has a model per gender; the free body has one).
Bodies = Union[BodyModel, Mapping[str, BodyModel]]


def body_for(bodies: Bodies, pid: str) -> BodyModel:
    return bodies if isinstance(bodies, BodyModel) else bodies[pid]


# Stored motion is +Y up, facing +Z. Z-up (Blender/Unreal): y→z, z→−y, so the person faces −Y (Blender's front).
_AXES: dict[str, np.ndarray] = {
    "y": np.eye(3),
    "z": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]]),
}
_SCALES: dict[str, float] = {"m": 1.0, "cm": 100.0}


@dataclass(frozen=True)
class Frame:
    """The target coordinate frame of a file: up axis (``"y"`` or ``"z"``) and unit (``"m"`` or ``"cm"``)."""

    up: str = "y"
    units: str = "m"

    def __post_init__(self) -> None:
        if self.up not in _AXES:
            raise ExportError(f"up: expected one of {tuple(_AXES)}, got {self.up!r}")
        if self.units not in _SCALES:
            raise ExportError(f"units: expected one of {tuple(_SCALES)}, got {self.units!r}")

    @property
    def axes(self) -> np.ndarray:
        """Rotation taking stored (+Y up) coordinates into this frame's axes."""
        return _AXES[self.up]

    @property
    def scale(self) -> float:
        """Stored metres → this frame's unit."""
        return _SCALES[self.units]

    def points(self, p: np.ndarray) -> np.ndarray:
        return self.scale * (np.asarray(p, np.float64) @ self.axes.T)

    def rotations(self, r: np.ndarray) -> np.ndarray:
        return self.axes @ np.asarray(r, np.float64) @ self.axes.T


@dataclass(frozen=True)
class RestMesh:
    """A skinned body mesh in the T-pose rest, in the export frame."""

    vertices: np.ndarray  # (V, 3)
    faces: np.ndarray  # (F, 3) int
    weights: np.ndarray  # (V, 22) rows summing to 1


@dataclass(frozen=True)
class PersonTrack:
    """One person, ready to write: ``joint_names`` may carry a prefix (``A_pelvis``) when people share a file."""

    person: str  # "A" or "B"
    joint_names: tuple[str, ...]
    parents: np.ndarray  # (22,)
    rest_joints: np.ndarray  # (22, 3) world rest positions, export frame
    local_rotations: np.ndarray  # (T, 22, 3, 3) joint 0 = global orientation
    root_positions: np.ndarray  # (T, 3) world position of the root joint
    fps: float
    mesh: Optional[RestMesh] = None

    @property
    def num_frames(self) -> int:
        return int(self.local_rotations.shape[0])

    @property
    def rest_offsets(self) -> np.ndarray:
        """(22, 3) each joint's rest offset from its parent (the root's is its rest position)."""
        off = self.rest_joints.copy()
        off[1:] -= self.rest_joints[self.parents[1:]]
        return off

    def world_joints(self) -> np.ndarray:
        """(T, 22, 3) joint positions by the shared forward kinematics (what readers must reproduce)."""
        rot = torch.as_tensor(self.local_rotations, dtype=torch.float64)
        rest = torch.as_tensor(self.rest_joints, dtype=torch.float64)
        transl = torch.as_tensor(self.root_positions - self.rest_joints[0], dtype=torch.float64)
        pos, _ = forward_kinematics(rot, rest, transl, self.parents)
        return pos.numpy()


def frame_range(num_frames: int, frames: Optional[Sequence[int] | slice | range]) -> range:
    """Normalise ``None`` (all), a ``slice``/``range`` or an ``(start, stop)`` pair into a non-empty range."""
    if frames is None:
        return range(num_frames)
    if isinstance(frames, (slice, range)):
        if frames.step not in (None, 1):
            raise ExportError(f"frames: only contiguous ranges export (step {frames.step})")
        start, stop = frames.start, frames.stop
    else:
        try:
            start, stop = frames
        except (TypeError, ValueError):
            raise ExportError(f"frames: expected (start, stop), a slice or None, got {frames!r}") from None
    start = 0 if start is None else int(start)
    stop = num_frames if stop is None else int(stop)
    if start < 0:
        start += num_frames
    if stop < 0:
        stop += num_frames
    if not 0 <= start < stop <= num_frames:
        raise ExportError(f"frames: [{start}, {stop}) is empty or outside 0..{num_frames}")
    return range(start, stop)


def check_people(people: Sequence[str]) -> tuple[str, ...]:
    people = tuple(people)
    if not people or len(set(people)) != len(people) or any(p not in PERSON_IDS for p in people):
        raise ExportError(f"people: expected a non-empty subset of {PERSON_IDS}, got {people!r}")
    return people


def build_tracks(recon: Reconstruction, bodies: Bodies, people: Sequence[str] = PERSON_IDS,
                 frames: Optional[Sequence[int] | slice | range] = None, frame: Frame = Frame(),
                 skeleton_only: bool = False, prefix_names: bool = False) -> list[PersonTrack]:
    """Rest skeleton (from ``body.rest(betas)``), local rotations and root path of each chosen person."""
    people = check_people(people)
    rng = frame_range(recon.num_frames, frames)
    tracks = []
    for pid in people:
        person, body = recon.person(pid), body_for(bodies, pid)
        with torch.no_grad():
            rest_v, rest_j = body.rest(body.fit_betas(torch.as_tensor(person.betas, dtype=torch.float32)))
        rest_j = rest_j.detach().cpu().double().numpy()
        aa = torch.as_tensor(person.pose_axis_angle()[rng.start:rng.stop], dtype=torch.float64)
        rot = axis_angle_to_matrix(aa).numpy()
        root = rest_j[0] + person.transl[rng.start:rng.stop].astype(np.float64)
        mesh = None
        if not skeleton_only:
            mesh = RestMesh(vertices=frame.points(rest_v.detach().cpu().double().numpy()),
                            faces=np.asarray(body.faces, np.int64),
                            weights=np.asarray(body.skin_weights, np.float64))
        names = tuple(f"{pid}_{n}" if prefix_names else n for n in BODY_JOINT_NAMES)
        tracks.append(PersonTrack(person=pid, joint_names=names, parents=np.asarray(BODY_PARENTS),
                                  rest_joints=frame.points(rest_j), local_rotations=frame.rotations(rot),
                                  root_positions=frame.points(root), fps=recon.fps, mesh=mesh))
    return tracks

"""The one motion representation of SM Studio: two people's SMPL-X parameters over time, and a camera.

Arrays are numpy ``float32`` (float64 for the camera), frame-major. Everything is validated on construction so
that a bad array is reported where it enters (with the field named), never deep inside a model. Importers and
exporters convert to and from this; nothing else in the code base invents its own layout.

Conventions: world +Y up, metres, SMPL-X rest facing +Z; camera in OpenCV convention (x right, y down, z
forward), ``x_cam = R @ x_world + t``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterator, Optional

import numpy as np

from .skeleton import NUM_BODY_JOINTS, NUM_HAND_JOINTS, UNITS, UP_AXIS

PERSON_IDS: tuple[str, str] = ("A", "B")
GENDERS = ("neutral", "male", "female")


class MotionError(ValueError):
    """A motion, camera or file field is malformed; the message names the field (and file, when there is one)."""


def _check_array(
    name: str, value: object, shape: tuple[Optional[int], ...], dtype: type = np.float32, finite: bool = True
) -> np.ndarray:
    """Coerce to ``dtype`` and check the shape (``None`` = any size) and finiteness, naming ``name`` on failure."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # e.g. ragged lists
        raise MotionError(f"{name}: cannot be read as an array ({exc})") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise MotionError(f"{name}: expected numbers, got dtype {arr.dtype}")
    if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
        want = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
        raise MotionError(f"{name}: expected shape {want}, got {tuple(arr.shape)}")
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if finite and np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise MotionError(f"{name}: non-finite value (NaN or inf) at index {tuple(int(i) for i in bad)}")
    return arr


@dataclass
class PersonMotion:
    """One person's SMPL-X parameters over ``T`` frames, plus per-frame evidence.

    ``keypoints_2d`` holds image-space ``(x, y, confidence)`` of the 22 body joints (our skeleton's order);
    ``reliability`` in [0, 1] says how far each frame's 3D estimate is trusted (0 = occluded / guessed).
    """

    global_orient: np.ndarray  # (T, 3) axis-angle
    body_pose: np.ndarray  # (T, 21, 3) axis-angle
    transl: np.ndarray  # (T, 3) metres
    betas: np.ndarray  # (num_betas,) shape, constant over time
    left_hand_pose: Optional[np.ndarray] = None  # (T, 15, 3)
    right_hand_pose: Optional[np.ndarray] = None  # (T, 15, 3)
    jaw_pose: Optional[np.ndarray] = None  # (T, 3)
    keypoints_2d: Optional[np.ndarray] = None  # (T, 22, 3)
    reliability: Optional[np.ndarray] = None  # (T,)
    gender: str = "neutral"

    def __post_init__(self) -> None:
        self.global_orient = _check_array("global_orient", self.global_orient, (None, 3))
        t = self.global_orient.shape[0]
        self.body_pose = _check_array("body_pose", self.body_pose, (t, NUM_BODY_JOINTS - 1, 3))
        self.transl = _check_array("transl", self.transl, (t, 3))
        self.betas = _check_array("betas", self.betas, (None,))
        for hand in ("left_hand_pose", "right_hand_pose"):
            if getattr(self, hand) is not None:
                setattr(self, hand, _check_array(hand, getattr(self, hand), (t, NUM_HAND_JOINTS, 3)))
        if self.jaw_pose is not None:
            self.jaw_pose = _check_array("jaw_pose", self.jaw_pose, (t, 3))
        if self.keypoints_2d is not None:
            self.keypoints_2d = _check_array("keypoints_2d", self.keypoints_2d, (t, NUM_BODY_JOINTS, 3))
        if self.reliability is None:
            self.reliability = np.ones(t, np.float32)
        self.reliability = _check_array("reliability", self.reliability, (t,))
        if np.any((self.reliability < 0) | (self.reliability > 1)):
            raise MotionError("reliability: values must lie in [0, 1]")
        if self.gender not in GENDERS:
            raise MotionError(f"gender: expected one of {GENDERS}, got {self.gender!r}")

    @property
    def num_frames(self) -> int:
        return int(self.global_orient.shape[0])

    def pose_axis_angle(self) -> np.ndarray:
        """(T, 22, 3): root orientation followed by the 21 body joints, the layout the networks use."""
        return np.concatenate([self.global_orient[:, None], self.body_pose], axis=1)

    def slice(self, start: int, stop: int) -> "PersonMotion":
        """Frames ``[start, stop)``; optional fields follow."""
        per_frame = {
            k: (v[start:stop] if v is not None else None)
            for k, v in self._per_frame_fields().items()
        }
        return replace(self, **per_frame)

    def with_frames(self, start: int, other: "PersonMotion") -> "PersonMotion":
        """A copy whose frames ``[start, start + other.num_frames)`` come from ``other`` (same shape/betas)."""
        stop = start + other.num_frames
        if start < 0 or stop > self.num_frames:
            raise MotionError(f"frames [{start}, {stop}) fall outside 0..{self.num_frames}")
        updated = {}
        for k, mine in self._per_frame_fields().items():
            theirs = getattr(other, k)
            if mine is None or theirs is None:
                updated[k] = mine
                continue
            arr = mine.copy()
            arr[start:stop] = theirs
            updated[k] = arr
        return replace(self, **updated)

    def copy(self) -> "PersonMotion":
        return replace(self, **{k: (None if v is None else v.copy()) for k, v in self._array_fields().items()})

    def _array_fields(self) -> dict[str, Optional[np.ndarray]]:
        return {**self._per_frame_fields(), "betas": self.betas}

    def _per_frame_fields(self) -> dict[str, Optional[np.ndarray]]:
        names = ("global_orient", "body_pose", "transl", "left_hand_pose", "right_hand_pose", "jaw_pose",
                 "keypoints_2d", "reliability")
        return {n: getattr(self, n) for n in names}

    def equals(self, other: "PersonMotion") -> bool:
        """Bit-exact comparison of every field."""
        if self.gender != other.gender:
            return False
        for k, v in self._array_fields().items():
            w = getattr(other, k)
            if (v is None) != (w is None) or (v is not None and not np.array_equal(v, w)):
                return False
        return True


@dataclass
class Camera:
    """Pinhole camera: intrinsics ``K`` (3×3) and per-frame extrinsics (world → camera)."""

    K: np.ndarray  # (3, 3)
    R: np.ndarray  # (T, 3, 3)
    t: np.ndarray  # (T, 3)
    width: int
    height: int

    def __post_init__(self) -> None:
        self.K = _check_array("camera.K", self.K, (3, 3), np.float64)
        self.R = _check_array("camera.R", self.R, (None, 3, 3), np.float64)
        self.t = _check_array("camera.t", self.t, (self.R.shape[0], 3), np.float64)
        if int(self.width) <= 0 or int(self.height) <= 0:
            raise MotionError(f"camera: image size must be positive, got {self.width}×{self.height}")
        self.width, self.height = int(self.width), int(self.height)

    @classmethod
    def static(cls, K: np.ndarray, R: np.ndarray, t: np.ndarray, num_frames: int, width: int, height: int) -> "Camera":
        """A camera that does not move over ``num_frames`` frames."""
        return cls(K, np.repeat(np.asarray(R)[None], num_frames, 0), np.repeat(np.asarray(t)[None], num_frames, 0),
                   width, height)

    @classmethod
    def from_fov(cls, width: int, height: int, fov_deg: float, num_frames: int,
                 R: Optional[np.ndarray] = None, t: Optional[np.ndarray] = None) -> "Camera":
        """Intrinsics from a horizontal field of view (a guess when the user gives none)."""
        f = 0.5 * width / np.tan(np.radians(fov_deg) / 2)
        K = np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1]], np.float64)
        return cls.static(K, np.eye(3) if R is None else R, np.zeros(3) if t is None else t, num_frames, width, height)

    @property
    def num_frames(self) -> int:
        return int(self.R.shape[0])

    def project(self, points: np.ndarray) -> np.ndarray:
        """World points ``(T, N, 3)`` → pixels ``(T, N, 2)`` and depth ``(T, N)`` as ``(T, N, 3)``."""
        cam = np.einsum("tij,tnj->tni", self.R, points) + self.t[:, None]
        z = cam[..., 2:3]
        uv = np.einsum("ij,tnj->tni", self.K, cam / np.where(np.abs(z) < 1e-9, 1e-9, z))[..., :2]
        return np.concatenate([uv, z], -1)

    def slice(self, start: int, stop: int) -> "Camera":
        return replace(self, R=self.R[start:stop], t=self.t[start:stop])

    def equals(self, other: "Camera") -> bool:
        return (self.width, self.height) == (other.width, other.height) and all(
            np.array_equal(getattr(self, k), getattr(other, k)) for k in ("K", "R", "t"))


@dataclass
class Reconstruction:
    """Two people in close interaction over the same ``T`` frames at ``fps``, seen by ``camera``."""

    people: tuple[PersonMotion, PersonMotion]
    fps: float
    camera: Optional[Camera] = None
    up_axis: str = UP_AXIS
    units: str = UNITS
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.people = tuple(self.people)  # type: ignore[assignment]
        if len(self.people) != 2:
            raise MotionError(f"people: expected 2, got {len(self.people)}")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise MotionError(f"fps: expected a positive number, got {self.fps}")
        self.fps = float(self.fps)
        a, b = self.people
        if a.num_frames != b.num_frames:
            raise MotionError(f"people: frame counts differ (A {a.num_frames}, B {b.num_frames})")
        if self.camera is not None and self.camera.num_frames != a.num_frames:
            raise MotionError(f"camera: {self.camera.num_frames} frames, motion has {a.num_frames}")
        if self.up_axis != UP_AXIS or self.units != UNITS:
            raise MotionError(f"only {UP_AXIS}-up metres are stored; convert on import (got {self.up_axis}, {self.units})")

    @property
    def num_frames(self) -> int:
        return self.people[0].num_frames

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.fps

    def person(self, pid: str) -> PersonMotion:
        return self.people[PERSON_IDS.index(pid)]

    def __iter__(self) -> Iterator[tuple[str, PersonMotion]]:
        return iter(zip(PERSON_IDS, self.people))

    def replace_people(self, a: PersonMotion, b: PersonMotion) -> "Reconstruction":
        return replace(self, people=(a, b))

    def swapped(self, from_frame: int = 0) -> "Reconstruction":
        """Identities A and B exchanged from ``from_frame`` on (fixes a tracker's identity switch)."""
        a, b = self.people
        tail_a, tail_b = a.slice(from_frame, a.num_frames), b.slice(from_frame, b.num_frames)
        return self.replace_people(a.with_frames(from_frame, tail_b), b.with_frames(from_frame, tail_a))

    def slice(self, start: int, stop: int) -> "Reconstruction":
        cam = self.camera.slice(start, stop) if self.camera is not None else None
        return replace(self, people=tuple(p.slice(start, stop) for p in self.people), camera=cam)

    def copy(self) -> "Reconstruction":
        return replace(self, people=tuple(p.copy() for p in self.people), meta=dict(self.meta))

    def equals(self, other: "Reconstruction") -> bool:
        cams_equal = (self.camera is None and other.camera is None) or (
            self.camera is not None and other.camera is not None and self.camera.equals(other.camera))
        return (self.fps == other.fps and cams_equal
                and all(p.equals(q) for p, q in zip(self.people, other.people)))

"""The generator's public entry point: ``generate_clip(kind, seed)`` → motion + camera + label + contacts.

A clip is a ``Reconstruction`` of two people (ground truth), a sentence saying what happens, and the list of
contacts (which joint of whom touches which body part of whom, over which frames) with the exact world points the
joints were placed at. Deterministic for ``(kind, seed)``: the random stream is seeded from both, so the same seed
gives different but reproducible clips for different kinds.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..body.base import BodyModel
from ..motion import Camera, Reconstruction
from .body_info import body_info
from .build import pose_people
from .geometry import UP, facing, normalize, rot_y
from .kinds import CHOREOGRAPHIES
from .script import PersonScript

INTERACTION_KINDS: tuple[str, ...] = tuple(CHOREOGRAPHIES)
CONTACT_WEIGHT = 0.999  # arm weight from which the wrist is exactly on its target


@dataclass
class Contact:
    """``person``'s ``joint`` touches ``other``'s ``part`` (skeleton joint nearest the spot, ``region`` in words)
    during frames ``[start, stop)``; ``targets`` are the world points the joint was placed at."""

    person: str
    joint: str
    other: str
    part: str
    region: str
    start: int
    stop: int
    targets: np.ndarray = field(repr=False)  # (stop - start, 3)

    def to_json(self) -> dict[str, Any]:
        return {"person": self.person, "joint": self.joint, "other": self.other, "part": self.part,
                "region": self.region, "start": self.start, "stop": self.stop}


@dataclass
class GeneratedClip:
    kind: str
    seed: int
    reconstruction: Reconstruction
    label: str
    contacts: list[Contact]
    joints: dict[str, np.ndarray] = field(repr=False)  # pid -> (T, 22, 3) world joints (= body model FK of the motion)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "seed": self.seed, "label": self.label,
                "contacts": [c.to_json() for c in self.contacts]}


_BODY: Optional[BodyModel] = None


def default_body() -> BodyModel:
    global _BODY
    if _BODY is None:
        from ..body import load_body_model

        _BODY = load_body_model(device="cpu")
    return _BODY


def _rng(kind: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(kind.encode())])


def _place(script: PersonScript, yaw: float, offset: np.ndarray) -> None:
    """Turn the whole choreography by ``yaw`` about the vertical axis and shift it by ``offset``."""
    script.root = script.root @ rot_y(yaw).T + offset
    script.yaw = script.yaw + yaw


def look_at_camera(eye: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OpenCV extrinsics (``x_cam = R x + t``; x right, y down, z forward) for a camera at ``eye`` looking at
    ``target`` with the world's +Y up. Broadcasts: ``(..., 3)`` points give ``(..., 3, 3)`` and ``(..., 3)``."""
    eye = np.asarray(eye, np.float64)
    fwd = normalize(np.asarray(target, np.float64) - eye)
    right = normalize(np.cross(fwd, UP))
    down = np.cross(fwd, right)
    R = np.stack([right, down, fwd], -2)
    return R, -np.einsum("...ij,...j->...i", R, np.broadcast_to(eye, fwd.shape))


PAN_EXTENT = 2.0  # metres the pair travels beyond which the camera pans to follow them


def pair_camera(rng: np.random.Generator, joints: dict[str, np.ndarray], width: int, height: int,
                eye_height: Optional[float] = None) -> Camera:
    """A camera at eye height (random 1.2–1.8 m unless given) from a random direction, as close as framing both
    people on every frame allows (everything within the central 85% of the image). It stays still, or — when the
    pair travels more than ``PAN_EXTENT`` — stays in place and pans to follow them, as a person filming would."""
    per_frame = np.concatenate(list(joints.values()), axis=1)  # (T, 44, 3)
    T = per_frame.shape[0]
    pts = np.concatenate([per_frame, per_frame + UP * 0.15, per_frame * np.array([1.0, 0.0, 1.0])], 1)
    flat = pts.reshape(-1, 3)
    centre = 0.5 * (flat.min(0) + flat.max(0))
    fov = rng.uniform(50.0, 65.0)
    direction = facing(rng.uniform(0, 2 * np.pi))
    drawn_height = rng.uniform(1.2, 1.8)  # drawn either way, so a given seed's other draws stay the same
    eye_height = drawn_height if eye_height is None else eye_height
    look_height = rng.uniform(0.8, 1.0)
    middle = per_frame.mean(1)
    if np.ptp(middle[:, [0, 2]], axis=0).max() > PAN_EXTENT:
        look = gaussian_filter1d(middle, sigma=0.08 * T, axis=0, mode="nearest")
    else:
        look = np.broadcast_to(centre, (T, 3)).copy()
    look[:, 1] = look_height
    K = Camera.from_fov(width, height, fov, 1).K
    dist = 3.0
    for _ in range(6):  # grow/shrink the distance until the farthest point sits at the margin
        eye = centre + dist * direction
        eye[1] = eye_height
        R, t = look_at_camera(eye, look)
        uvz = Camera(K, R, t, width, height).project(pts)
        if np.any(uvz[..., 2] < 0.3):
            dist *= 1.5
            continue
        spread = max(np.abs(uvz[..., 0] - width / 2).max() / (0.425 * width),
                     np.abs(uvz[..., 1] - height / 2).max() / (0.425 * height))
        dist = max(1.0, dist * (0.3 + 0.7 * spread))
    eye = centre + dist * direction
    eye[1] = eye_height
    R, t = look_at_camera(eye, look)
    return Camera(K, R, t, width, height)


def _contacts(scripts: dict[str, PersonScript], targets: dict[str, dict[str, np.ndarray]]) -> list[Contact]:
    out: list[Contact] = []
    for pid, script in scripts.items():
        for side, arm in script.arms.items():
            if arm.contact is None:
                continue
            on = np.concatenate([[False], arm.weight >= CONTACT_WEIGHT, [False]])
            edges = np.flatnonzero(np.diff(on.astype(np.int8)))
            for start, stop in zip(edges[::2], edges[1::2]):
                c = arm.contact
                out.append(Contact(pid, f"{side}_wrist", c.other, c.part, c.region, int(start), int(stop),
                                   targets[pid][side][start:stop].copy()))
    return out


def generate_clip(kind: str, seed: int, fps: float = 30.0, seconds: float = 4.0, width: int = 640,
                  height: int = 360, body: Optional[BodyModel] = None) -> GeneratedClip:
    """One random clip of ``kind`` (see ``INTERACTION_KINDS``), with a camera of ``width``×``height`` pixels.

    Random per seed: both body shapes, timing, distances, who walks, which hands, placement and heading in the
    world, and the camera. ``body`` defaults to ``load_body_model()`` on the CPU (its rest joints set bone lengths,
    reach and the sole height, so hands land on the partner's actual surface and feet on y = 0).
    """
    if kind not in CHOREOGRAPHIES:
        raise ValueError(f"unknown interaction kind {kind!r}; expected one of {INTERACTION_KINDS}")
    if seconds < 2.0 or fps <= 0:
        raise ValueError(f"need seconds >= 2 and fps > 0, got seconds={seconds}, fps={fps}")
    body = body or default_body()
    rng = _rng(kind, seed)
    num_frames = int(round(seconds * fps))
    t = np.arange(num_frames) / fps
    infos = [body_info(body, np.clip(rng.normal(0.0, 1.0, body.num_betas), -2.5, 2.5)) for _ in range(2)]
    choreo = CHOREOGRAPHIES[kind](rng, infos[0], infos[1], t, num_frames / fps)
    yaw = rng.uniform(-np.pi, np.pi)
    offset = np.array([rng.uniform(-1.0, 1.0), 0.0, rng.uniform(-1.0, 1.0)])
    for script in choreo.scripts.values():
        _place(script, yaw, offset)
    posed = pose_people(choreo.scripts, fps)
    joints = {pid: p.joints for pid, p in posed.items()}
    camera = pair_camera(rng, joints, width, height)
    recon = Reconstruction((posed["A"].motion, posed["B"].motion), fps, camera,
                           meta={"source": "sm-studio generator", "kind": kind, "seed": int(seed),
                                 "label": choreo.label})
    contacts = _contacts(choreo.scripts, {pid: p.arm_targets for pid, p in posed.items()})
    return GeneratedClip(kind, int(seed), recon, choreo.label, contacts, joints)

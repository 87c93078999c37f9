"""Between a Reconstruction and the networks: read a window into pair-frame features, write results back.

Shared by the infiller and the refiner so both see motions, keypoints and cameras the same way, and so the
frames a caller wants kept are copied back bit for bit (never round-tripped through 6D).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional, Sequence

import numpy as np
import torch
from torch import Tensor

from ..body.kinematics import forward_kinematics, pose_joints
from ..motion import Reconstruction
from .guidance import FOOT_JOINTS, ContactConstraint, GuidanceProblem, PinConstraint
from .pair_frame import (PairFrame, decode, encode, from_pair_frame, pair_frame_for, person_arrays, person_tensors,
                         to_pair_frame)
from .root_convention import canonical, reparametrise


@dataclass
class MotionWindow:
    start: int
    stop: int
    frame: PairFrame  # unbatched
    features: Tensor  # (W, 2, F), pair frame
    rest_joints: Tensor  # (2, 22, 3)
    keypoints: Optional[Tensor]  # (W, 2, 22, 3) or None
    camera: Optional[tuple[Tensor, Tensor, Tensor]]  # K, R (W, 3, 3), t (W, 3)
    tilt: Tensor  # (2, 3, 3): the input's pelvis convention relative to the canonical one (root_convention.py)

    @property
    def length(self) -> int:
        return self.stop - self.start


def read_window(recon: Reconstruction, start: int, stop: int, trusted: np.ndarray, rest: np.ndarray) -> MotionWindow:
    """Frames ``[start, stop)`` in the canonical pelvis convention; the pair frame is anchored on the window's
    ``trusted`` ``(W, 2)`` entries, which also define the convention."""
    tensors = [person_tensors(p, rest[i, 0], start, stop) for i, p in enumerate(recon.people)]
    rotmats, tilt = canonical(torch.stack([t[0] for t in tensors], 1)[None], torch.as_tensor(trusted)[None])
    pelvis = torch.stack([t[1] for t in tensors], 1)[None]
    frame = pair_frame_for(rotmats, pelvis, trusted[None], torch.as_tensor(rest)[None])
    features = encode(*to_pair_frame(rotmats, pelvis, frame))[0]
    keypoints = None
    if any(p.keypoints_2d is not None for p in recon.people):
        kp = [p.keypoints_2d[start:stop] if p.keypoints_2d is not None else np.zeros((stop - start, 22, 3))
              for p in recon.people]
        keypoints = torch.as_tensor(np.stack(kp, 1), dtype=torch.float32)
    camera = None
    if recon.camera is not None:
        cam = recon.camera
        camera = (torch.as_tensor(cam.K, dtype=torch.float32), torch.as_tensor(cam.R[start:stop], dtype=torch.float32),
                  torch.as_tensor(cam.t[start:stop], dtype=torch.float32))
    return MotionWindow(start, stop, frame.single(0), features, torch.as_tensor(rest), keypoints, camera, tilt[0])


def window_world(window: MotionWindow, features: Tensor) -> tuple[Tensor, Tensor]:
    """Pair-frame ``features`` ``(W, 2, F)`` of ``window`` → world rotations ``(W, 2, 22, 3, 3)`` in the input's
    own pelvis convention and pelvis ``(W, 2, 3)``."""
    frame = PairFrame(window.frame.rotation[None], window.frame.origin[None])
    rotmats, pelvis = from_pair_frame(*decode(features[None]), frame)
    return reparametrise(rotmats[0], window.tilt[None]), pelvis[0]


def write_window(recon: Reconstruction, window: MotionWindow, features: Tensor, rest: np.ndarray,
                 replace: np.ndarray) -> Reconstruction:
    """A copy of ``recon`` whose entries ``replace`` ``(W, 2)`` come from pair-frame ``features``; all other
    frames stay exactly as they were."""
    return write_world(recon, window.start, *window_world(window, features), rest, replace)


def world_tensors(recon: Reconstruction, rest: np.ndarray) -> tuple[Tensor, Tensor]:
    """All frames in world space: rotations ``(T, 2, 22, 3, 3)`` and pelvis ``(T, 2, 3)``."""
    tensors = [person_tensors(p, rest[i, 0]) for i, p in enumerate(recon.people)]
    return torch.stack([t[0] for t in tensors], 1), torch.stack([t[1] for t in tensors], 1)


def write_world(recon: Reconstruction, start: int, rotmats: Tensor, pelvis: Tensor, rest: np.ndarray,
                replace: np.ndarray) -> Reconstruction:
    """Entries ``replace`` ``(W, 2)`` of frames ``start…`` from world rotations ``(W, 2, 22, 3, 3)`` and pelvis
    ``(W, 2, 3)``; everything else copied unchanged."""
    people = []
    for i, person in enumerate(recon.people):
        rows = np.flatnonzero(replace[:, i])
        if rows.size == 0:
            people.append(person)
            continue
        arrays = person_arrays(rotmats[rows, i], pelvis[rows, i], rest[i, 0])
        out = person.copy()
        frames = start + rows
        out.global_orient[frames] = arrays["global_orient"]
        out.body_pose[frames] = arrays["body_pose"]
        out.transl[frames] = arrays["transl"]
        people.append(out)
    return recon.replace_people(*people)


def recon_joints(recon: Reconstruction, rest: np.ndarray) -> np.ndarray:
    """World joints ``(T, 2, 22, 3)`` of every frame (no mesh)."""
    out = []
    with torch.no_grad():
        for i, p in enumerate(recon.people):
            f = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
            out.append(pose_joints(f(p.global_orient), f(p.body_pose), f(p.transl), f(rest[i])).numpy())
    return np.stack(out, 1)


def foot_floor(recon: Reconstruction, rest: np.ndarray, trusted: np.ndarray) -> Optional[float]:
    """Height the foot joints' centres reach when planted, from trusted frames (a low percentile of the lowest
    foot joint per frame, posed in the canonical pelvis convention like the guidance's bodies); ``None`` without
    trusted frames. Used as the ground for guidance."""
    if not trusted.any():
        return None
    rotmats, pelvis = world_tensors(recon, rest)
    rotmats = canonical(rotmats[None], torch.as_tensor(trusted)[None])[0][0]  # the body the guidance poses
    with torch.no_grad():
        joints = forward_kinematics(rotmats.flatten(0, 1), torch.as_tensor(rest).repeat(len(rotmats), 1, 1),
                                    (pelvis - torch.as_tensor(rest[:, 0])).flatten(0, 1))[0]
    lowest = joints.unflatten(0, rotmats.shape[:2])[:, :, list(FOOT_JOINTS), 1].amin(-1).numpy()  # (T, 2)
    return float(np.percentile(lowest[trusted], 5))


def guidance_problem(window: MotionWindow, free: np.ndarray, contacts: list[ContactConstraint],
                     floor: Optional[float], pins: Sequence[PinConstraint] = ()) -> GuidanceProblem:
    """Guidance inputs for a window; ``contacts`` and ``pins`` in reconstruction frames are shifted into it."""
    shifted = [ContactConstraint(c.start - window.start, c.stop - window.start, c.joint_a, c.joint_b, c.distance)
               for c in contacts if c.start < window.stop and c.stop > window.start]
    pinned = [replace(p, start=p.start - window.start, stop=p.stop - window.start)
              for p in pins if p.start < window.stop and p.stop > window.start]
    return GuidanceProblem(window.rest_joints, window.frame, torch.as_tensor(free), window.keypoints, window.camera,
                           shifted, floor, pins=pinned)

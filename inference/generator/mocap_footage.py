"""Footage of *real* two-person motion capture: a recorded pair (e.g. CMU salsa) framed by a camera of chosen
height, as a :class:`GeneratedClip` the footage renderer takes.

The procedural generator's motions are what the fit was designed around; real dancers turn, lean, hold hands
across and pass behind each other in ways no choreography script covers, so the front end is measured on them.
The pair keeps its recorded placement; only a common vertical shift puts the feet on the floor (y = 0), and the
motion is resampled to the footage's frame rate.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from ..body.base import BodyModel
from ..motion import PERSON_IDS, Reconstruction
from ..resample import frame_times, resample
from .clip import GeneratedClip, default_body, pair_camera


def floor_shift(vertices: list[np.ndarray]) -> float:
    """Vertical shift putting the pair on the floor: the median over frames of the lowest vertex of either
    person (in a dance at least one foot is down on most frames)."""
    lowest = np.minimum(*[v[..., 1].min(-1) for v in vertices])
    return -float(np.median(lowest))


def mocap_clip(recon: Reconstruction, start_s: float, seconds: float, seed: int, eye_height: float,
               width: int = 1280, height: int = 720, fps: float = 30.0, label: str = "recorded motion",
               body: Optional[BodyModel] = None) -> GeneratedClip:
    """``seconds`` of ``recon`` from ``start_s``, at ``fps``, on the floor, with a camera at ``eye_height`` m
    (direction, field of view and framing drawn from ``seed``)."""
    body = body or default_body()
    first = start_s * recon.fps
    stop = first + seconds * recon.fps
    if first < 0 or stop > recon.num_frames - 1:
        raise ValueError(f"{start_s}+{seconds} s lies outside the {recon.duration_s:.1f} s recording")
    times = frame_times(first, stop, recon.fps, fps)[: int(round(seconds * fps))]
    part = resample(recon, times, fps)
    with torch.no_grad():
        verts = [body.pose_motion(p).vertices.numpy() for p in part.people]
    lift = np.array([0.0, floor_shift(verts), 0.0])
    people = [p.copy() for p in part.people]
    for p in people:
        p.transl = p.transl + lift
    part = part.replace_people(*people)
    with torch.no_grad():
        joints = {pid: body.pose_motion(p).joints.numpy() for pid, p in zip(PERSON_IDS, part.people)}
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 5])
    camera = pair_camera(rng, joints, width, height, eye_height=eye_height)
    part = Reconstruction(part.people, fps, camera, meta={"source": label, "seed": int(seed)})
    return GeneratedClip("recorded", int(seed), part, label, [], joints)

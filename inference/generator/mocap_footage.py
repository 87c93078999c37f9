"""Footage of *real* two-person motion capture: a recorded pair (e.g. CMU salsa) framed by a camera of chosen
height, as a :class:`GeneratedClip` the footage renderer takes.

The procedural generator's motions are what the fit was designed around; real dancers turn, lean, hold hands
across and pass behind each other in ways no choreography script covers, so the front end is measured on them.
The pair keeps its recorded placement and joint rotations; each person may be given a body shape of their own
(recorded pairs are often retargeted onto one shape, which would make any size prior exact), and is then shifted
vertically so their feet are on the floor (y = 0); the motion is resampled to the footage's frame rate.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from ..body.base import BodyModel
from ..motion import PERSON_IDS, Reconstruction
from ..resample import frame_times, resample
from .clip import GeneratedClip, default_body, pair_camera


def floor_shift(vertices: np.ndarray) -> float:
    """Vertical shift putting a person ``(T, V, 3)`` on the floor: minus the median over frames of their lowest
    vertex (in a dance at least one foot is down on most frames)."""
    return -float(np.median(vertices[..., 1].min(-1)))


def mocap_clip(recon: Reconstruction, start_s: float, seconds: float, seed: int, eye_height: float,
               width: int = 1280, height: int = 720, fps: float = 30.0, label: str = "recorded motion",
               shape_sigma: float = 0.0, body: Optional[BodyModel] = None) -> GeneratedClip:
    """``seconds`` of ``recon`` from ``start_s``, at ``fps``, on the floor, with a camera at ``eye_height`` m
    (direction, field of view and framing drawn from ``seed``); ``shape_sigma`` > 0 gives each person random
    body-shape coefficients of that spread (clipped at ±2.5), drawn from ``seed`` too."""
    body = body or default_body()
    first = start_s * recon.fps
    stop = first + seconds * recon.fps
    if first < 0 or stop > recon.num_frames - 1:
        raise ValueError(f"{start_s}+{seconds} s lies outside the {recon.duration_s:.1f} s recording")
    times = frame_times(first, stop, recon.fps, fps)[: int(round(seconds * fps))]
    part = resample(recon, times, fps)
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 5])
    people = [p.copy() for p in part.people]
    for p in people:
        if shape_sigma > 0:
            p.betas = np.clip(rng.normal(0.0, shape_sigma, p.betas.shape), -2.5, 2.5).astype(p.betas.dtype)
        with torch.no_grad():
            p.transl = p.transl + np.array([0.0, floor_shift(body.pose_motion(p).vertices.numpy()), 0.0])
    part = part.replace_people(*people)
    with torch.no_grad():
        joints = {pid: body.pose_motion(p).joints.numpy() for pid, p in zip(PERSON_IDS, part.people)}
    camera = pair_camera(rng, joints, width, height, eye_height=eye_height)
    part = Reconstruction(part.people, fps, camera, meta={"source": label, "seed": int(seed)})
    return GeneratedClip("recorded", int(seed), part, label, [], joints)

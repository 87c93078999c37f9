"""A reconstruction evaluated at other times: rotations by SLERP, positions linearly, evidence conservatively.

The engine's networks were trained at one frame rate (30 fps); a 60 fps video fed to them frame by frame looks
like slow motion, and a 64-frame window covers half the time it was trained on (on 10 held-out sequences the
infiller's occluded-frame MPJPE rose from 25.5 mm at 30 fps to 30.1 mm at 60 fps). The engine therefore works at
the model's rate and comes back: this module is the one place that moves a motion between frame times.

Times are fractional frame positions of the source (``2.5`` = halfway between frames 2 and 3). Joint rotations
(root, body, hands, jaw) and camera rotations are interpolated on the shortest arc; translations, camera
positions and keypoint pixels linearly; keypoint confidence and reliability take the *lower* neighbour, so an
interpolated frame is never trusted more than either frame it came from.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import numpy as np
import torch

from .motion import Camera, MotionError, PersonMotion, Reconstruction
from .rotations import (axis_angle_to_quaternion, matrix_to_quaternion, quaternion_slerp, quaternion_to_axis_angle,
                        quaternion_to_matrix)


def neighbours(times: np.ndarray, frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each time, the frames before and after it and the weight of the later one; a time on a frame has that
    frame as both neighbours (so evidence there is the frame's own, not the weaker of it and the next)."""
    times = np.asarray(times, np.float64)
    if times.size and (times.min() < -1e-6 or times.max() > frames - 1 + 1e-6):
        raise MotionError(f"resampling times must lie in [0, {frames - 1}], got [{times.min()}, {times.max()}]")
    times = np.clip(times, 0, frames - 1)
    lo = np.floor(times + 1e-9).astype(int)
    weight = np.clip(times - lo, 0.0, None)
    hi = np.where(weight > 1e-9, np.minimum(lo + 1, frames - 1), lo)
    return lo, hi, weight


def _slerp_axis_angle(aa: np.ndarray, lo: np.ndarray, hi: np.ndarray, w: np.ndarray) -> np.ndarray:
    q = axis_angle_to_quaternion(torch.as_tensor(aa, dtype=torch.float64))
    t = torch.as_tensor(w, dtype=torch.float64).reshape((-1,) + (1,) * (aa.ndim - 2))
    out = quaternion_slerp(q[lo], q[hi], t.expand(q[lo].shape[:-1]))
    return quaternion_to_axis_angle(out).numpy().astype(np.float32)


def _lerp(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, w: np.ndarray) -> np.ndarray:
    w = w.reshape((-1,) + (1,) * (x.ndim - 1))
    return ((1 - w) * x[lo] + w * x[hi]).astype(x.dtype)


def resample_person(person: PersonMotion, times: np.ndarray) -> PersonMotion:
    """``person`` at the fractional frame positions ``times``."""
    lo, hi, w = neighbours(times, person.num_frames)
    rotations = {name: (None if getattr(person, name) is None
                        else _slerp_axis_angle(getattr(person, name), lo, hi, w))
                 for name in ("global_orient", "body_pose", "left_hand_pose", "right_hand_pose", "jaw_pose")}
    keypoints = None
    if person.keypoints_2d is not None:
        kp = person.keypoints_2d
        keypoints = _lerp(kp, lo, hi, w)
        keypoints[..., 2] = np.minimum(kp[lo, :, 2], kp[hi, :, 2])
    return replace(person, **rotations, transl=_lerp(person.transl, lo, hi, w), keypoints_2d=keypoints,
                   reliability=np.minimum(person.reliability[lo], person.reliability[hi]))


def resample_camera(camera: Camera, times: np.ndarray) -> Camera:
    lo, hi, w = neighbours(times, camera.num_frames)
    q = matrix_to_quaternion(torch.as_tensor(camera.R, dtype=torch.float64))
    R = quaternion_to_matrix(quaternion_slerp(q[lo], q[hi], torch.as_tensor(w))).numpy()
    return replace(camera, R=R, t=_lerp(camera.t, lo, hi, w))


def resample(recon: Reconstruction, times: np.ndarray, fps: Optional[float] = None) -> Reconstruction:
    """``recon`` at the fractional frame positions ``times``, labelled ``fps`` (default: unchanged)."""
    people = tuple(resample_person(p, times) for p in recon.people)
    camera = resample_camera(recon.camera, times) if recon.camera is not None else None
    return replace(recon, people=people, camera=camera, fps=float(fps or recon.fps), meta=dict(recon.meta))


def frame_times(start: float, stop: float, fps_from: float, fps_to: float) -> np.ndarray:
    """Source frame positions, from ``start`` up to ``stop`` (inclusive when it falls on the grid), of a clock
    running at ``fps_to``: where a ``fps_to`` resampling of the span puts its frames."""
    step = fps_from / fps_to
    return start + step * np.arange(int(np.floor((stop - start) / step + 1e-6)) + 1)

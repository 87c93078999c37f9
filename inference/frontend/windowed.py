"""The monocular fit of a long video in overlapping windows, so its memory is bounded by the window, not the video.

:func:`~inference.frontend.fit.fit_two_people` optimises every frame at once; its autograd graph and optimiser
state hold ~37 KiB per frame (``bench/bench_reconstruct_memory.py``: 16,000 frames peaked at 1.09 GB, an hour of
video would need ~5 GB). A video longer than :data:`WINDOW` frames is fitted in windows of that length that overlap
by at least :data:`OVERLAP` frames. Each window's result is taken back to the camera's frame, which every window
shares (one static camera), and the windows are joined: across an overlap, rotations are slerped and pelvis
positions blended linearly from one window to the next. The shape is the frame-weighted mean of the windows'
shapes, each frame's root translation re-expressed for it (SMPL rotates about the rest pelvis, which the shape
moves); the world frame (ground plane) is the first window's. Videos of up to :data:`WINDOW` frames (68 s at
30 fps) are fitted exactly as before, in one piece.
"""

from __future__ import annotations

import math
from typing import Callable, Optional

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from ..motion import Camera, PersonMotion, Reconstruction
from .fit import FitConfig, FitResult, camera_joints, fit_two_people

WINDOW = 2048
OVERLAP = 48


def window_starts(frames: int, window: int = WINDOW, overlap: int = OVERLAP) -> list[int]:
    """Starts of equal windows spread over ``frames``, neighbours overlapping by at least ``overlap``."""
    if frames <= window:
        return [0]
    count = math.ceil((frames - overlap) / (window - overlap))
    return [round(i * (frames - window) / (count - 1)) for i in range(count)]


def _blend(a: Rotation, b: Rotation, w: np.ndarray) -> Rotation:
    return a * Rotation.from_rotvec((a.inv() * b).as_rotvec() * w[:, None])


class _Person:
    """One person's joined motion in camera coordinates, filled window by window."""

    def __init__(self, frames: int) -> None:
        self.root = np.zeros((frames, 4))  # quaternions
        self.pose = np.zeros((frames, 21, 3))
        self.pelvis = np.zeros((frames, 3))
        self.betas_sum: Optional[np.ndarray] = None

    def add(self, start: int, filled: int, root: Rotation, pose: np.ndarray, pelvis: np.ndarray,
            betas: np.ndarray) -> None:
        """Window frames ``[start, start + len)``; frames before ``filled`` already hold the previous window."""
        n = len(pelvis)
        shared = max(0, filled - start)
        if shared:
            w = (np.arange(shared) + 1.0) / (shared + 1)
            span = slice(start, filled)
            root_q = _blend(Rotation.from_quat(self.root[span]), root[:shared], w).as_quat()
            joints = pose.shape[1]
            pose_b = _blend(Rotation.from_rotvec(self.pose[span].reshape(-1, 3)),
                            Rotation.from_rotvec(pose[:shared].reshape(-1, 3)), np.repeat(w, joints))
            self.root[span], self.pose[span] = root_q, pose_b.as_rotvec().reshape(shared, joints, 3)
            self.pelvis[span] = (1 - w[:, None]) * self.pelvis[span] + w[:, None] * pelvis[:shared]
        rest = slice(start + shared, start + n)
        self.root[rest], self.pose[rest], self.pelvis[rest] = root[shared:].as_quat(), pose[shared:], pelvis[shared:]
        weighted = betas * n
        self.betas_sum = weighted if self.betas_sum is None else self.betas_sum + weighted


def fit_long(keypoints: np.ndarray, width: int, height: int, fps: float, K: Optional[np.ndarray] = None,
             config: Optional[FitConfig] = None, progress: Optional[Callable[[int, int], None]] = None,
             window: int = WINDOW, overlap: int = OVERLAP, world: Optional[np.ndarray] = None,
             behind: Optional[np.ndarray] = None) -> FitResult:
    """:func:`fit_two_people`'s result for ``keypoints (2, T, 22, 3)`` (and world landmarks
    ``(2, T, 22, 4)`` and person-frames marked behind the partner ``(2, T)``, if any), fitted in windows when
    long (the joined windows are then also the result's initialisation)."""
    frames = keypoints.shape[1]
    starts = window_starts(frames, window, overlap)
    if len(starts) == 1:
        return fit_two_people(keypoints, width, height, fps, K=K, config=config, progress=progress, world=world,
                              behind=behind)
    from ..body import load_body_model

    body = load_body_model()

    def rest_pelvis(betas: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return body.rest(torch.as_tensor(betas, dtype=torch.float32))[1][0].double().numpy()

    people = [_Person(frames), _Person(frames)]
    first: Optional[Reconstruction] = None
    losses: list[dict[str, float]] = []
    filled = 0
    for i, start in enumerate(starts):
        report = None if progress is None else (lambda d, t, i=i: progress(i * t + d, len(starts) * t))
        result = fit_two_people(keypoints[:, start:start + window], width, height, fps, K=K, config=config,
                                progress=report, world=None if world is None else world[:, start:start + window],
                                behind=None if behind is None else behind[:, start:start + window])
        recon = result.reconstruction
        assert recon.camera is not None
        first = first or recon
        losses.append(result.losses)
        R, t = recon.camera.R[0], recon.camera.t[0]
        for person, motion in zip(people, recon.people):
            pelvis_w = motion.transl.astype(np.float64) + rest_pelvis(motion.betas)
            person.add(start, filled, Rotation.from_matrix(R) * Rotation.from_rotvec(motion.global_orient),
                       motion.body_pose.astype(np.float64), pelvis_w @ R.T + t, motion.betas.astype(np.float64))
        filled = start + recon.num_frames
    assert first is not None and first.camera is not None
    R0, t0 = first.camera.R[0], first.camera.t[0]
    joined = []
    for person, motion in zip(people, first.people):
        assert person.betas_sum is not None
        betas = person.betas_sum / sum(min(window, frames - s) for s in starts)
        orient = (Rotation.from_matrix(R0.T) * Rotation.from_quat(person.root)).as_rotvec()
        transl = (person.pelvis - t0) @ R0 - rest_pelvis(betas)
        joined.append(PersonMotion(global_orient=orient, body_pose=person.pose, transl=transl, betas=betas,
                                   gender=motion.gender))
    meta = {**first.meta, "fit_windows": len(starts),
            "fit_losses": {k: float(np.mean([w[k] for w in losses])) for k in losses[0]}}
    camera = Camera.static(first.camera.K, R0, t0, frames, width, height)
    recon = Reconstruction((joined[0], joined[1]), fps, camera, meta=meta)
    return FitResult(recon, recon, meta["fit_losses"], np.stack(camera_joints(recon, body)))


"""Shared test set-up: headless Qt and rendering, and small real motions built in code."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
# caches (descriptions, …) go to a throw-away folder, never into the user's home
import tempfile  # noqa: E402

os.environ.setdefault("SM_STUDIO_CACHE", tempfile.mkdtemp(prefix="sm-studio-test-cache-"))

import numpy as np
import pytest

from inference.motion import Camera, PersonMotion, Reconstruction


def make_person(frames: int, seed: int, with_extras: bool = False) -> PersonMotion:
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, frames, dtype=np.float32)[:, None]
    return PersonMotion(
        global_orient=rng.normal(0, 0.2, (frames, 3)),
        body_pose=rng.normal(0, 0.2, (frames, 21, 3)),
        transl=np.concatenate([t, 0.9 + 0 * t, 2 * t], 1) + rng.normal(0, 0.01, (frames, 3)),
        betas=rng.normal(0, 1, 10),
        left_hand_pose=rng.normal(0, 0.1, (frames, 15, 3)) if with_extras else None,
        right_hand_pose=rng.normal(0, 0.1, (frames, 15, 3)) if with_extras else None,
        jaw_pose=rng.normal(0, 0.1, (frames, 3)) if with_extras else None,
        keypoints_2d=rng.uniform(0, 1, (frames, 22, 3)) if with_extras else None,
        reliability=rng.uniform(0, 1, frames) if with_extras else None,
        gender="female" if with_extras else "neutral",
    )


@pytest.fixture
def recon() -> Reconstruction:
    frames = 24
    cam = Camera.from_fov(640, 360, 60.0, frames, t=np.array([0.0, -1.0, 4.0]))
    return Reconstruction((make_person(frames, 1, True), make_person(frames, 2)), 25.0, cam, meta={"source": "test"})

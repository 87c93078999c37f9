"""The windowed fit of long videos: windows cover every frame with the overlap asked for, a short video is fitted
in one piece exactly as before, and a video fitted in windows is as accurate as in one piece and has no jump at
the seams (a generated clip with its ground truth, noisy keypoints, known intrinsics)."""

from __future__ import annotations

import numpy as np
import pytest

from inference.body import load_body_model
from inference.frontend.evaluate import camera_joints, scores
from inference.frontend.fit import FitConfig, fit_two_people
from inference.frontend.synthetic import synthetic_keypoints
from inference.frontend.windowed import OVERLAP, WINDOW, fit_long, window_starts
from inference.generator import generate_clip


@pytest.mark.parametrize("frames", [1, WINDOW, WINDOW + 1, 3 * WINDOW, 108_000])
def test_windows_cover_every_frame_with_the_overlap(frames: int) -> None:
    starts = window_starts(frames)
    assert starts[0] == 0 and min(frames, starts[-1] + WINDOW) == frames
    assert all(b - a <= WINDOW - OVERLAP for a, b in zip(starts, starts[1:]))


@pytest.fixture(scope="module")
def clip():
    clip = generate_clip("hug", 3, seconds=8.0, fps=15.0)
    cam = clip.reconstruction.camera
    gt = {0: clip.joints["A"], 1: clip.joints["B"]}
    kp, _ = synthetic_keypoints(gt, cam, 2.0, seed=3)
    truth = [np.einsum("tij,tnj->tni", cam.R, gt[p]) + cam.t[:, None] for p in range(2)]
    return kp, cam, truth


def test_a_short_video_is_fitted_in_one_piece(clip) -> None:
    kp, cam, _ = clip
    cfg = FitConfig(steps_root=5, steps_full=10)
    whole = fit_two_people(kp, cam.width, cam.height, 15.0, K=cam.K, config=cfg).reconstruction
    assert fit_long(kp, cam.width, cam.height, 15.0, K=cam.K, config=cfg).reconstruction.equals(whole)


def test_windows_are_as_accurate_as_one_piece_and_join_smoothly(clip) -> None:
    kp, cam, truth = clip
    body = load_body_model()
    cfg = FitConfig(steps_root=20, steps_full=80)
    whole = fit_two_people(kp, cam.width, cam.height, 15.0, K=cam.K, config=cfg).reconstruction
    result = fit_long(kp, cam.width, cam.height, 15.0, K=cam.K, config=cfg, window=48, overlap=12)
    windowed = result.reconstruction
    # the flags read the joined bodies' camera-frame joints, posed without the mesh: the body model's own joints
    cam = windowed.camera
    posed = np.stack([np.einsum("tij,tnj->tni", cam.R, body.pose_motion(p).joints.numpy()[:, :22]) + cam.t[:, None]
                      for p in windowed.people])
    assert result.joints_cam.shape == posed.shape and np.abs(result.joints_cam - posed).max() < 1e-3
    assert windowed.meta["fit_windows"] == len(window_starts(kp.shape[1], 48, 12)) >= 3
    one, parts = scores(camera_joints(whole, body), truth), scores(camera_joints(windowed, body), truth)
    assert parts["mpjpe_mm"] < one["mpjpe_mm"] * 1.15 + 5, (parts, one)
    assert parts["root_mm"] < one["root_mm"] * 1.3 + 20, (parts, one)
    joints = camera_joints(windowed, body)
    for p in range(2):
        step = np.linalg.norm(np.diff(joints[p], axis=0), axis=-1).max(-1)  # largest joint move per frame
        whole_step = np.linalg.norm(np.diff(camera_joints(whole, body)[p], axis=0), axis=-1).max(-1)
        assert step.max() < 2 * whole_step.max() + 0.02, (step.max(), whole_step.max())

"""Monocular two-person fitting on a generated clip: keypoints projected from the truth (with noise and
occlusion), fitted, and compared with the truth in the camera frame."""

from __future__ import annotations

import numpy as np
import pytest

from inference.body import load_body_model
from inference.frontend import metrics
from inference.frontend.fit import FitConfig, fit_two_people, world_frame
from inference.frontend.synthetic import hidden_mask, synthetic_keypoints
from inference.generator import generate_clip
from inference.motion import MotionError


def _camera_joints(recon, body):
    cam = recon.camera
    return [np.einsum("tij,tnj->tni", cam.R, body.pose_motion(p).joints.numpy()) + cam.t[:, None]
            for p in recon.people]


@pytest.fixture(scope="module")
def fitted():
    clip = generate_clip("handshake", 4, seconds=2.0, fps=15.0)
    recon = clip.reconstruction
    gt = {0: clip.joints["A"], 1: clip.joints["B"]}
    kp, _ = synthetic_keypoints(gt, recon.camera, noise_px=2.0, seed=1)
    calls = []
    cfg = FitConfig(steps_root=25, steps_full=120)
    result = fit_two_people(kp, recon.camera.width, recon.camera.height, recon.fps, K=recon.camera.K,
                            config=cfg, progress=lambda done, total: calls.append((done, total)))
    return clip, kp, result, calls


def test_fit_recovers_poses_better_than_its_start(fitted):
    clip, kp, result, calls = fitted
    body = load_body_model()
    cam = clip.reconstruction.camera
    truth = [np.einsum("tij,tnj->tni", cam.R, clip.joints[p]) + cam.t[:, None] for p in "AB"]
    fit = _camera_joints(result.reconstruction, body)
    init = _camera_joints(result.initial, body)
    for p in range(2):
        assert metrics.mpjpe(fit[p], truth[p]) < 0.8 * metrics.mpjpe(init[p], truth[p])
        assert metrics.pa_mpjpe(fit[p], truth[p]) < 150.0
        assert metrics.root_error(fit[p], truth[p]) < 600.0  # monocular depth: tens of cm
    # the fitted people reproject onto their keypoints (a few pixels, as noisy as the input)
    for p, person in enumerate(result.reconstruction.people):
        uv = result.reconstruction.camera.project(body.pose_motion(person).joints.numpy())[..., :2]
        assert np.median(np.linalg.norm(uv - kp[p, ..., :2], axis=-1)) < 12.0
        np.testing.assert_allclose(person.keypoints_2d, kp[p], atol=1e-4)
    # ground: the world is upright with feet near y = 0
    feet = np.concatenate([body.pose_motion(p).joints.numpy()[:, [7, 8, 10, 11], 1]
                           for p in result.reconstruction.people])
    assert abs(np.median(feet.min(-1))) < 0.1
    assert calls[-1][0] == calls[-1][1] and len(calls) > 5


def test_fit_input_errors():
    with pytest.raises(MotionError, match=r"keypoints: expected shape \(2, T, 22, 3\)"):
        fit_two_people(np.zeros((1, 5, 22, 3)), 640, 480, 30.0)
    bad = np.zeros((2, 5, 22, 3))
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(MotionError, match="non-finite"):
        fit_two_people(bad, 640, 480, 30.0)


def test_world_frame_is_a_rotation_with_ground_at_zero():
    normal = np.array([0.0, -0.9, -0.2])
    R, t = world_frame(normal, 1.5, np.array([0.3, 0.2, 4.0]))
    np.testing.assert_allclose(R.T @ R, np.eye(3), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)
    # a point on the plane n·x + d = 0 (camera coordinates) has world height 0
    n = normal / np.linalg.norm(normal)
    on_plane = np.array([1.0, 0.0, 3.0])
    on_plane -= (n @ on_plane + 1.5) * n
    assert (R.T @ (on_plane - t))[1] == pytest.approx(0.0, abs=1e-9)


def test_hidden_mask_flags_the_person_behind():
    clip = generate_clip("hug", 0, seconds=2.0, fps=10.0)
    hidden = hidden_mask({0: clip.joints["A"], 1: clip.joints["B"]}, clip.reconstruction.camera)
    assert 0.02 < hidden.mean() < 0.6
    # a hidden joint is farther from the camera than some joint of the other person
    cam = clip.reconstruction.camera
    depth = [cam.project(clip.joints[p])[..., 2] for p in "AB"]
    p, t, j = np.argwhere(hidden)[0]
    assert depth[p][t, j] > depth[1 - p][t].min()


def test_short_sequence_and_a_person_never_seen():
    """Fewer frames than the smoothing windows, and B with no keypoints at all: a result, not a crash."""
    rng = np.random.default_rng(0)
    kp = np.zeros((2, 4, 22, 3))
    kp[0, ..., :2] = rng.uniform(100, 300, (4, 22, 2))
    kp[0, ..., 2] = 0.9
    result = fit_two_people(kp, 640, 480, 30.0, config=FitConfig(steps_root=3, steps_full=5))
    assert result.reconstruction.num_frames == 4
    assert np.all(np.isfinite(result.joints_cam))
    assert result.reconstruction.people[1].reliability.max() == 0.0

"""Monocular two-person fitting on a generated clip: keypoints projected from the truth (with noise and
occlusion), fitted, and compared with the truth in the camera frame."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from inference.body import load_body_model
from inference.frontend import metrics
from inference.frontend.evaluate import camera_joints
from inference.frontend.fit import FitConfig, fit_two_people, world_frame
from inference.frontend.synthetic import hidden_mask, synthetic_keypoints
from inference.generator import generate_clip
from inference.motion import MotionError


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
    fit = camera_joints(result.reconstruction, body)
    init = camera_joints(result.initial, body)
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


def test_floor_from_feet_recovers_camera_tilt_and_places_both_people():
    """Both people's feet and torso sizes over a clip give the camera's tilt (and, through the size prior, its
    height) above their floor; depths read off the feet place the two people relative to each other far better
    than their sizes do (the generator's people have random shapes, so sizes mislead)."""
    from inference.frontend.fit import torso_depth
    from inference.frontend.floor import CONTACT_JOINTS, estimate_floor, floor_depths
    from inference.skeleton import JOINT_INDEX

    clip = generate_clip("walk_together", 3, seconds=3.0, fps=10.0)
    cam = clip.reconstruction.camera
    kp, _ = synthetic_keypoints({0: clip.joints["A"], 1: clip.joints["B"]}, cam, noise_px=1.0, seed=2)
    body = load_body_model()
    rest_v, rest_j = (x.detach().numpy().astype(np.float64) for x in body.rest(torch.zeros(body.num_betas)))
    lifts = {n: float(rest_j[JOINT_INDEX[n], 1] - rest_v[:, 1].min()) for n in CONTACT_JOINTS}
    sizes = [torso_depth(kp[p], cam.K[0, 0], rest_j) for p in range(2)]
    size_depth, size_valid = np.stack([s[0] for s in sizes]), np.stack([s[1] for s in sizes])
    neck = float(rest_j[JOINT_INDEX["neck"], 1] - rest_v[:, 1].min())
    floor = estimate_floor(kp, size_depth, size_valid, cam.K, lifts, neck)
    assert floor is not None
    true_height = float((-cam.R[0].T @ cam.t[0])[1])
    true_up = cam.R[0] @ np.array([0.0, 1.0, 0.0])
    assert abs(floor.height - true_height) < 0.25 * true_height
    assert np.degrees(np.arccos(np.clip(floor.normal @ true_up, -1, 1))) < 5.0
    depth, from_feet = floor_depths(kp, floor, cam.K, lifts, size_depth, size_valid)
    true_depth = np.stack([cam.project(clip.joints[p])[:, 0, 2] for p in "AB"])
    assert from_feet.mean() > 0.8
    assert np.median(np.abs(depth / true_depth - 1)) < 0.1
    relative_floor = np.median(np.abs((depth[1] - depth[0]) - (true_depth[1] - true_depth[0])))
    relative_size = np.median(np.abs((size_depth[1] - size_depth[0]) - (true_depth[1] - true_depth[0])))
    assert relative_floor < 0.5 * relative_size


def test_depth_does_not_depend_on_where_the_clip_starts():
    """B missed on the first 4 frames (as a detector misses a person half hidden): fitting the clip with those
    frames and without them gives the same depths on the frames both fits share (within 0.3 m)."""
    clip = generate_clip("push", 6, seconds=3.0, fps=10.0)
    cam = clip.reconstruction.camera
    kp, _ = synthetic_keypoints({0: clip.joints["A"], 1: clip.joints["B"]}, cam, noise_px=3.0, seed=4)
    kp[1, :4, :, 2] = 0.0
    cfg = FitConfig(steps_root=20, steps_full=60)
    full = fit_two_people(kp, cam.width, cam.height, clip.reconstruction.fps, K=cam.K, config=cfg)
    later = fit_two_people(kp[:, 4:], cam.width, cam.height, clip.reconstruction.fps, K=cam.K, config=cfg)
    shift = np.abs(full.joints_cam[:, 4:, 0, 2] - later.joints_cam[:, :, 0, 2])
    assert shift.max() < 0.3
    true_depth = np.stack([cam.project(clip.joints[p])[4:, 0, 2] for p in "AB"])
    assert np.median(np.abs(later.joints_cam[:, :, 0, 2] / true_depth - 1)) < 0.15


def test_a_person_marked_behind_is_kept_behind_without_moving_the_partner():
    """A is missed on frames 10–19 of a walk side by side (B truly 0.4–0.6 m farther) and marked behind B there,
    as :func:`missed_behind` marks a person lost over their partner: the fit keeps A's pelvis at least
    ``behind_gap`` farther than B's on those frames (in the median; smoothness eases the run's ends), while
    without the mark A is carried nearer than B; B, whose keypoints are seen, stays put (within 5 cm)."""
    clip = generate_clip("walk_together", 3, seconds=3.0, fps=10.0)
    cam = clip.reconstruction.camera
    kp, _ = synthetic_keypoints({0: clip.joints["A"], 1: clip.joints["B"]}, cam, noise_px=1.0, seed=5)
    kp[0, 10:20, :, 2] = 0.0
    behind = np.zeros(kp.shape[:2], bool)
    behind[0, 10:20] = True
    cfg = FitConfig(steps_root=20, steps_full=80)
    fits = [fit_two_people(kp, cam.width, cam.height, clip.reconstruction.fps, K=cam.K, config=cfg, behind=mark)
            for mark in (None, behind)]
    gap = [f.joints_cam[0, 10:20, 0, 2] - f.joints_cam[1, 10:20, 0, 2] for f in fits]  # how much farther A is
    assert np.median(gap[0]) < 0.0
    assert np.median(gap[1]) > cfg.behind_gap - 0.03 and gap[1].min() > 0.1
    assert np.median(np.abs(fits[1].joints_cam[1, :, 0, 2] - fits[0].joints_cam[1, :, 0, 2])) < 0.05  # of 4.4–6.2 m
    off = fit_two_people(kp, cam.width, cam.height, clip.reconstruction.fps, K=cam.K,
                         config=replace(cfg, w_behind=0.0), behind=behind)  # weight 0: neither hinge nor start
    np.testing.assert_allclose(off.joints_cam, fits[0].joints_cam, atol=1e-5)
    with pytest.raises(MotionError, match="behind"):
        fit_two_people(kp, cam.width, cam.height, 10.0, K=cam.K, config=cfg, behind=behind[:, :5])


def test_a_person_marked_behind_starts_behind_along_their_ray():
    """The fit starts a marked person-frame behind the partner by moving the pelvis along its camera ray (the
    image stays where the keypoints put it); frames without a mark, and marks already satisfied, are untouched."""
    from inference.frontend.fit import start_behind

    rest_pelvis = np.array([0.0, 0.9, 0.0])
    pelvis = np.array([[[0.3, 0.2, 4.0], [0.3, 0.2, 4.0], [0.3, 0.2, 5.0]],
                       [[0.1, 0.1, 4.5], [0.1, 0.1, 4.5], [0.1, 0.1, 4.5]]])
    behind = np.array([[False, True, True], [False, False, False]])
    moved = start_behind(pelvis - rest_pelvis, rest_pelvis, behind, 0.2) + rest_pelvis
    assert moved[0, 1, 2] == pytest.approx(4.7)
    np.testing.assert_allclose(moved[0, 1, :2] / moved[0, 1, 2], pelvis[0, 1, :2] / pelvis[0, 1, 2])
    np.testing.assert_allclose(moved[:, [0]], pelvis[:, [0]])
    np.testing.assert_allclose(moved[0, 2], pelvis[0, 2])  # already 0.5 m behind
    np.testing.assert_allclose(moved[1], pelvis[1])

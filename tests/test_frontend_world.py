"""BlazePose world landmarks: mapped onto our joints, carried by tracking, stored in keypoint files (old files
still load), and used by the fit as 3D pose evidence where 2D alone leaves depth open."""

from __future__ import annotations

import json

import numpy as np
import pytest

from inference.frontend import metrics
from inference.frontend.fit import FitConfig, WORLD_BONES, fit_two_people, ray_rotation, world_bone_directions
from inference.frontend.keypoints import Detection, blazepose_to_body22
from inference.frontend.pipeline import VideoKeypoints, load_keypoints, save_keypoints
from inference.frontend.synthetic import synthetic_keypoints
from inference.frontend.tracking import track_detections
from inference.generator import generate_clip
from inference.motion import MotionError
from inference.skeleton import JOINT_INDEX


def _landmarks(rng: np.random.Generator, x: float) -> tuple[np.ndarray, np.ndarray]:
    """A person's 2D landmarks around ``x`` pixels and world landmarks, both random but recognisable."""
    lm = np.c_[rng.uniform(x, x + 80, (33, 1)), rng.uniform(100, 400, (33, 1)), np.full((33, 1), 0.9)]
    world = np.c_[rng.normal(0, 0.3, (33, 3)), np.full((33, 1), 0.8)]
    return lm, world


def test_world_landmarks_map_like_the_2d_ones():
    rng = np.random.default_rng(0)
    lm, world = _landmarks(rng, 0.0)
    kp, wk = blazepose_to_body22(lm), blazepose_to_body22(world)
    assert wk.shape == (22, 4)
    # the same interpolation: x (and y) of the 2D mapping applied to world x, y give the world mapping
    world_xy = np.c_[world[:, :2], world[:, 3]]
    np.testing.assert_allclose(blazepose_to_body22(world_xy)[:, :2], wk[:, :2])
    np.testing.assert_allclose(wk[:, 3] / 0.8, kp[:, 2] / 0.9)  # confidences scaled alike
    with pytest.raises(Exception, match=r"\(\.\.\., 33, 4\)"):
        blazepose_to_body22(np.zeros((33, 5)))


def test_tracking_keeps_each_persons_world_landmarks():
    rng = np.random.default_rng(1)
    a, b = _landmarks(rng, 100.0), _landmarks(rng, 700.0)
    # B is listed first on odd frames and missed on frame 3; A's world landmarks are absent on frame 2
    frames = []
    for t in range(5):
        da = Detection.from_landmarks(a[0] + t, world=None if t == 2 else a[1] + t)
        db = Detection.from_landmarks(b[0] + t, world=b[1] - t)
        frames.append([da] if t == 3 else ([db, da] if t % 2 else [da, db]))
    tracks = track_detections(frames)
    assert tracks.found[0].all() and tracks.found[1].tolist() == [True, True, True, False, True]
    for t in range(5):
        if t != 2:
            np.testing.assert_allclose(tracks.world[0, t], a[1] + t)
        if t != 3:
            np.testing.assert_allclose(tracks.world[1, t], b[1] - t)
    assert not tracks.world[0, 2].any() and not tracks.world[1, 3].any()  # none given / not found: zero weight


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_keypoint_files_with_and_without_world_landmarks(tmp_path, suffix):
    rng = np.random.default_rng(2)
    kp = np.c_[rng.uniform(0, 600, (2, 6, 22, 2)), rng.uniform(0, 1, (2, 6, 22, 1))].astype(np.float32)
    world = np.c_[rng.normal(0, 0.4, (2, 6, 22, 3)), rng.uniform(0, 1, (2, 6, 22, 1))].astype(np.float32)
    found = np.ones((2, 6), bool)
    for w in (world, None):
        path = tmp_path / f"kp{'' if w is None else '_world'}{suffix}"
        save_keypoints(VideoKeypoints(kp, 640, 480, 30.0, found, world=w), path)
        back = load_keypoints(path)
        np.testing.assert_allclose(back.keypoints, kp, atol=1e-5)
        if w is None:
            assert back.world is None
        else:
            assert back.world is not None
            np.testing.assert_allclose(back.world, w, atol=1e-5)
            assert back.frames(2).world.shape == (2, 4, 22, 4)  # type: ignore[union-attr]
            np.testing.assert_allclose(back.swapped().world[0], w[1], atol=1e-5)  # type: ignore[index]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"keypoints": kp.tolist(), "width": 640, "height": 480, "fps": 30,
                               "world": world[..., :3].tolist()}))
    with pytest.raises(MotionError, match=r"bad.json: key 'world' should be \(2, 6, 22, 4\)"):
        load_keypoints(bad)


def test_ray_rotation_turns_the_optical_axis_onto_the_ray():
    K = np.array([[800.0, 0, 640], [0, 800.0, 360], [0, 0, 1]])
    uv = np.array([[1200.0, 100.0], [640.0, 360.0], [10.0, 700.0]])
    R = ray_rotation(uv, K)
    np.testing.assert_allclose(R @ R.transpose(0, 2, 1), np.broadcast_to(np.eye(3), R.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(R), 1.0)
    ray = R[:, :, 2] * 5.0  # the image of +z, scaled to a depth of ~5 m
    np.testing.assert_allclose(ray[:, :2] / ray[:, 2:] * 800.0 + K[:2, 2], uv, atol=1e-9)


@pytest.fixture(scope="module")
def depth_problem():
    """A handshake seen by a camera: exact 2D keypoints, and world landmarks made from the true camera-frame joints
    the way BlazePose reports them (around the hips, as if seen along the ray through them)."""
    clip = generate_clip("handshake", 4, seconds=2.0, fps=4.0)
    cam = clip.reconstruction.camera
    truth = np.stack([np.einsum("tij,tnj->tni", cam.R, clip.joints[p]) + cam.t[:, None] for p in "AB"])
    kp, _ = synthetic_keypoints({0: clip.joints["A"], 1: clip.joints["B"]}, cam, noise_px=0.0, seed=3)
    kp[..., 2] = 0.9
    hips = (kp[..., JOINT_INDEX["left_hip"], :2] + kp[..., JOINT_INDEX["right_hip"], :2]) / 2
    local = np.einsum("ptji,ptnj->ptni", ray_rotation(hips, cam.K), truth - truth[:, :, :1])
    world = np.concatenate([local, np.full(local.shape[:-1] + (1,), 0.9)], -1)
    return clip, truth, kp, world


def _depth_error(fit: np.ndarray, truth: np.ndarray) -> float:
    """Mean error (mm) of the joints' depths relative to the pelvis: what one view's 2D keypoints leave open."""
    rel = lambda x: x[..., 2] - x[..., :1, 2]  # noqa: E731
    return float(np.abs(rel(fit) - rel(truth)).mean() * 1000)


def test_world_term_resolves_depth_that_2d_leaves_open(depth_problem):
    clip, truth, kp, world = depth_problem
    cam = clip.reconstruction.camera
    # the directions the fit is pulled towards are the true bones' in the camera
    direction, weight = world_bone_directions(world, kp, cam.K)
    a, b = (np.array(i) for i in zip(*WORLD_BONES))
    true_bone = truth[..., b, :] - truth[..., a, :]
    np.testing.assert_allclose(direction, true_bone / np.linalg.norm(true_bone, axis=-1, keepdims=True), atol=1e-6)
    assert np.allclose(weight, 0.9)

    def fit(w_world: float) -> np.ndarray:
        cfg = FitConfig(steps_root=20, steps_full=150, w_world=w_world)
        result = fit_two_people(kp, cam.width, cam.height, clip.reconstruction.fps, K=cam.K, config=cfg,
                                world=world)
        assert result.joints_cam is not None
        return result.joints_cam

    plain, with_world = fit(0.0), fit(1.0)
    # the 2D fit matches the image but not the depths of the limbs; the world landmarks give them
    assert _depth_error(with_world, truth) < 0.5 * _depth_error(plain, truth)
    # most of all for bones pointing towards or away from the camera, which 2D sees foreshortened
    steep = np.abs(direction[..., 2]) > 0.5
    assert steep.sum() > 20

    def steep_angle(joints: np.ndarray) -> float:
        bone = joints[..., b, :] - joints[..., a, :]
        cos = (bone * direction).sum(-1) / np.linalg.norm(bone, axis=-1)
        return float(np.degrees(np.arccos(np.clip(cos[steep], -1, 1))).mean())

    assert steep_angle(with_world) < 0.5 * steep_angle(plain)
    for p in range(2):
        assert metrics.pa_mpjpe(with_world[p], truth[p]) < 0.7 * metrics.pa_mpjpe(plain[p], truth[p])
    with pytest.raises(MotionError, match="world landmarks: expected finite values"):
        fit_two_people(kp, cam.width, cam.height, 4.0, K=cam.K, world=world[..., :3])

"""Synthetic footage: a real render with mutual occlusion → video, visibility flags, degraded estimate, segments."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from inference.body import load_body_model
from inference.generator import generate_clip, look_at_camera
from inference.generator.footage import load_segments, make_footage
from inference.io.npz import load_reconstruction
from inference.motion import Camera
from inference.segments import SegmentKind
from inference.skeleton import JOINT_INDEX

W, H = 320, 180
TRUNK = [JOINT_INDEX[n] for n in ("pelvis", "spine1", "spine2", "spine3")]


@pytest.fixture(scope="module")
def footage(tmp_path_factory):
    """A hug filmed from behind A, so A hides B's trunk for the whole clip."""
    body = load_body_model(device="cpu")
    clip = generate_clip("hug", 4, fps=30, seconds=2.0, width=W, height=H, body=body)
    a, b = clip.joints["A"][-1, 0], clip.joints["B"][-1, 0]
    axis = (b - a) * np.array([1.0, 0.0, 1.0])
    axis /= np.linalg.norm(axis)
    eye = a - 3.2 * axis + np.array([0.0, 1.3 - a[1], 0.0])
    R, t = look_at_camera(eye, b)
    cam = Camera.static(Camera.from_fov(W, H, 55.0, 1).K, R, t, clip.reconstruction.num_frames, W, H)
    clip = replace(clip, reconstruction=replace(clip.reconstruction, camera=cam))
    directory = tmp_path_factory.mktemp("footage")
    fo, files = make_footage(clip, directory, body)
    return fo, files


def test_video_is_readable_with_every_frame(footage):
    fo, files = footage
    cap = cv2.VideoCapture(str(files.video))
    count = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        assert frame.shape == (H, W, 3)
        count += 1
    assert count == fo.truth.num_frames == 60


def test_joints_behind_the_other_person_are_flagged_invisible(footage):
    fo, _ = footage
    b_kp = fo.truth.person("B").keypoints_2d
    a_kp = fo.truth.person("A").keypoints_2d
    assert fo.hidden["B"][:, TRUNK].mean() > 0.9  # A stands between the camera and B's trunk
    assert (b_kp[..., 2][fo.hidden["B"]] == 0).all()
    # only B's hands (hugging A's back) can be in front of A: A's pelvis is always seen
    assert not fo.hidden["A"][:, JOINT_INDEX["pelvis"]].any()
    assert (a_kp[:, JOINT_INDEX["pelvis"], 2] == 1).all()
    assert fo.hidden["A"].mean() < 0.3 * fo.hidden["B"].mean()
    # the flag is the only difference: positions are the exact projections either way
    uv = fo.truth.camera.project(fo.clip.joints["B"])[..., :2]
    np.testing.assert_allclose(b_kp[..., :2], uv, atol=1e-3)


def test_occluded_person_gets_segments_and_a_degraded_estimate(footage):
    fo, _ = footage
    occluded_b = fo.occluded["B"]
    assert occluded_b.mean() > 0.8
    assert any(s.who == "B" and s.kind == SegmentKind.OCCLUDED and s.length >= 30 for s in fo.segments)
    rel_b = fo.initial.person("B").reliability
    assert (rel_b[occluded_b] < 1).all()
    assert (fo.initial.person("A").reliability[~fo.occluded["A"]] > 0.6).all()
    # the initial estimate is noisy everywhere, and worse for B's hidden limbs than for A
    for p_true, p_init in zip(fo.truth.people, fo.initial.people):
        assert not np.allclose(p_true.body_pose, p_init.body_pose)
    err = {pid: np.abs(fo.initial.person(pid).body_pose - fo.truth.person(pid).body_pose).mean()
           for pid in "AB"}
    assert err["B"] > err["A"]
    # detector-like confidences: low where hidden, high where seen
    conf_b = fo.initial.person("B").keypoints_2d[..., 2]
    seen_b = fo.truth.person("B").keypoints_2d[..., 2] == 1
    assert seen_b.any()
    assert conf_b[fo.hidden["B"]].max() <= 0.3 < conf_b[seen_b].min()


def test_files_round_trip(footage):
    fo, files = footage
    truth = load_reconstruction(files.truth)
    initial = load_reconstruction(files.initial)
    assert truth.equals(fo.truth) and initial.equals(fo.initial)
    segs = load_segments(files.segments)
    assert [(s.start, s.stop, s.who) for s in segs] == [(s.start, s.stop, s.who) for s in fo.segments]
    assert "hug" in files.clip.read_text()

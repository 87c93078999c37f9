"""Video → session: keypoint files, ``sm-studio reconstruct`` from keypoints, and MediaPipe on real frames."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from inference.frontend.pipeline import VideoKeypoints, load_keypoints, save_keypoints
from inference.frontend.synthetic import synthetic_keypoints
from inference.generator import generate_clip
from inference.motion import MotionError
from inference.session import load_session
from sm_studio.cli import main

DEMO_VIDEO = Path(__file__).resolve().parents[1] / "resources" / "demo" / "video.mp4"


def _clip_keypoints(seconds: float = 2.0, fps: float = 10.0) -> VideoKeypoints:
    clip = generate_clip("hug", 5, seconds=seconds, fps=fps)
    cam = clip.reconstruction.camera
    kp, _ = synthetic_keypoints({0: clip.joints["A"], 1: clip.joints["B"]}, cam, 2.0, seed=5)
    return VideoKeypoints(kp.astype(np.float32), cam.width, cam.height, fps, np.ones((2, kp.shape[1]), bool))


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_keypoint_files_round_trip(tmp_path, suffix):
    vk = _clip_keypoints()
    path = tmp_path / f"kp{suffix}"
    save_keypoints(vk, path)
    back = load_keypoints(path)
    np.testing.assert_allclose(back.keypoints, vk.keypoints, atol=1e-4)
    assert (back.width, back.height, back.fps) == (vk.width, vk.height, vk.fps)
    assert back.found.all()


def test_keypoint_file_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"keypoints": np.zeros((2, 4, 17, 3)).tolist(), "width": 640, "height": 480,
                               "fps": 30}))
    with pytest.raises(MotionError, match=r"bad.json: key 'keypoints' should be \(2, T, 22, 3\)"):
        load_keypoints(bad)
    bad.write_text(json.dumps({"keypoints": np.zeros((2, 4, 22, 3)).tolist(), "width": 640, "fps": 30}))
    with pytest.raises(MotionError, match="bad.json: missing key 'height'"):
        load_keypoints(bad)
    npz = tmp_path / "k.npz"
    np.savez(npz, keypoints=np.zeros((2, 4, 22, 3)), width=640, height=480, fps=-1)
    with pytest.raises(MotionError, match="k.npz: key 'fps' should be one positive number"):
        load_keypoints(npz)


def test_reconstruct_cli_from_keypoints(tmp_path, capsys):
    vk = _clip_keypoints()
    vk.found[1, 5:10] = False  # B missed for five frames
    vk.keypoints[1, 5:10, :, 2] = 0.0
    kp_path = tmp_path / "kp.npz"
    save_keypoints(vk, kp_path)
    out = tmp_path / "s.smsession"
    assert main(["reconstruct", "--keypoints", str(kp_path), "-o", str(out), "--steps", "60"]) == 0
    captured = capsys.readouterr()
    assert "fit" in captured.err and "[" in captured.err  # the progress bar
    assert f"wrote {out}" in captured.out
    session = load_session(out)
    recon = session.current
    assert recon.num_frames == vk.keypoints.shape[1] and recon.fps == vk.fps
    assert recon.camera is not None and recon.camera.width == vk.width
    np.testing.assert_allclose(recon.people[0].keypoints_2d, vk.keypoints[0], atol=1e-5)
    # the frames where B was missed are flagged for review; the hug itself (touching, mostly in view) is not
    assert all(s.stop <= recon.num_frames for s in session.segments)
    reviewed = np.zeros(recon.num_frames, bool)
    for s in session.segments:
        reviewed[s.start:s.stop] |= s.who in ("B", "both")
    assert reviewed[5:10].all()
    # B, dropped from the keypoints: not trusted (occluded or missed in view, by where the fit puts B)
    assert (recon.people[1].reliability[5:10] < 0.5).all()
    assert (recon.people[0].reliability > 0.5).mean() > 0.6
    assert main(["reconstruct", "--keypoints", str(kp_path), "-o", str(tmp_path / "x.npz")]) == 1
    assert "reconstruct writes a session" in capsys.readouterr().err


def test_mediapipe_finds_people_in_rendered_footage(tmp_path):
    pytest.importorskip("mediapipe")
    from inference.frontend.keypoints import MODEL_PATH
    from inference.frontend.pipeline import keypoints_from_video

    if not MODEL_PATH.is_file() or not DEMO_VIDEO.is_file():
        pytest.skip("pose model or demo video not built")
    vk = keypoints_from_video(DEMO_VIDEO, max_frames=6)
    assert vk.keypoints.shape == (2, 6, 22, 3)
    assert vk.found[0].all()  # the first person on every frame
    seen = vk.keypoints[0][..., 2] > 0.5
    xy = vk.keypoints[0][..., :2][seen]
    assert seen.mean() > 0.5
    assert (xy[:, 0] >= -5).all() and (xy[:, 0] <= vk.width + 5).all()
    assert vk.timings["detect_fps"] > 0


def test_redetection_finds_people_the_first_pass_missed():
    """On the demo's hug the first pass misses each person on some of the first 40 frames; the second look around
    the track's prediction (and with the partner painted out) finds more of them, and never loses any."""
    pytest.importorskip("mediapipe")
    from inference.frontend.keypoints import MODEL_PATH
    from inference.frontend.pipeline import keypoints_from_video

    if not MODEL_PATH.is_file() or not DEMO_VIDEO.is_file():
        pytest.skip("pose model or demo video not built")
    t = keypoints_from_video(DEMO_VIDEO, max_frames=40).timings
    assert t["found_A"] >= t["found_first_pass_A"] and t["found_B"] >= t["found_first_pass_B"]
    assert t["found_A"] + t["found_B"] > t["found_first_pass_A"] + t["found_first_pass_B"] + 0.1

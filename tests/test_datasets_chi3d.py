"""CHI3D sequences (SMPL-X rotation matrices in JSON, camera JSON) in the published layout → our reconstruction."""

from __future__ import annotations

import json

import numpy as np
import pytest

from inference.engine.dataset import load_clips
from inference.importers import import_motion
from inference.importers.chi3d import action_label, load_chi3d
from inference.importers.up_axis import rest_skeleton
from inference.motion import MotionError
from tests.dataset_files import truth_people, world_joints, write_chi3d


@pytest.fixture(scope="module")
def rest():
    return rest_skeleton()


@pytest.mark.parametrize("up", ["z", "y"])
def test_sequence_imports_upright_with_joints_hands_camera_and_rate(tmp_path, rest, up):
    subject = tmp_path / "chi3d" / "train" / "s02"
    info = write_chi3d(subject, "HoldingHands 2", truth_people(10), rest, up=up)
    recon = import_motion([subject / "smplx" / "HoldingHands 2.json"])
    assert recon.fps == 50.0 and recon.meta["source_up_axis"] == up
    assert recon.meta["text"] == "holding hands" and recon.meta["sequence"] == "train/s02/HoldingHands 2"
    for person, expected, hands in zip(recon.people, info["joints"], info["hands"]):
        joints, _ = world_joints(person, rest)
        np.testing.assert_allclose(joints, expected, atol=1e-4)
        assert np.all(joints[:, 15, 1] > joints[:, 0, 1] + 0.3)
        np.testing.assert_allclose(person.left_hand_pose, hands, atol=1e-5)
        np.testing.assert_allclose(person.jaw_pose, 0, atol=1e-6)
        assert np.all(person.betas == 0) and person.gender == "neutral"
    cam = recon.camera
    assert cam is not None and (cam.width, cam.height) == (900, 900) and recon.meta["camera_id"] == "50591643"
    src = info["joints"][1] @ info["to_source"]
    in_cam = (src - info["T"]) @ info["R"].T  # the tools' x_cam = R (x - T)
    expected_px = 1100.0 * in_cam[..., :2] / in_cam[..., 2:] + 450.0
    np.testing.assert_allclose(cam.project(info["joints"][1])[..., :2], expected_px, atol=1e-3)


def test_clips_of_a_split_resampled_to_the_model_rate(tmp_path, rest):
    root = tmp_path / "chi3d"
    write_chi3d(root / "train" / "s02", "Hug 1", truth_people(25, seed=1), rest)
    write_chi3d(root / "train" / "s03", "Push 4", truth_people(15, seed=2), rest)
    write_chi3d(root / "test" / "s01", "Kick 2", truth_people(10, seed=3), rest)
    clips = load_clips(f"chi3d:{root}:train")
    assert [(c.name, c.text, c.num_frames, c.fps) for c in clips] == [
        ("train/s02/Hug 1", "hug", 15, 30.0), ("train/s03/Push 4", "push", 9, 30.0)]
    assert len(load_clips(f"chi3d:{tmp_path}")) == 3  # the folder above chi3d works too
    with pytest.raises(MotionError, match="expected one of train, test"):
        load_clips(f"chi3d:{root}:val")


def test_action_labels_read_as_words():
    assert action_label("HoldingHands 2") == "holding hands"
    assert action_label("Grab 10") == "grab"
    assert action_label("Handshake") == "handshake"


def _rewrite(path, change):
    params = json.loads(path.read_text())
    change(params)
    path.write_text(json.dumps(params))


@pytest.mark.parametrize("change, message", [
    (lambda p: p.pop("body_pose"), r"missing key 'body_pose'"),
    (lambda p: p["transl"].pop(), r"key 'transl' should list the two people, got 1"),
    (lambda p: p["global_orient"][1].__setitem__(2, [[[1, 0, 0], [0, 1, 0], [0, 0, -1]]]),
     r"key 'global_orient' \(person 1\) holds a reflection, not a rotation, at index \(2,"),
    (lambda p: p["body_pose"][0][3][5][1].__setitem__(2, float("nan")),
     r"key 'body_pose' \(person 0\) has a non-finite value .* \(3, 5, 1, 2\)"),
    (lambda p: p.__setitem__("left_hand_pose", [[[0.0] * 3] * 4] * 2),
     r"key 'left_hand_pose' \(person 0\) should be \(T, 15, 3, 3\), got \(4, 3\)"),
])
def test_bad_parameters_are_reported_with_file_key_and_person(tmp_path, rest, change, message):
    subject = tmp_path / "train" / "s02"
    write_chi3d(subject, "Grab 1", truth_people(5), rest)
    path = subject / "smplx" / "Grab 1.json"
    _rewrite(path, change)
    with pytest.raises(MotionError, match=message) as err:
        load_chi3d(path)
    assert "Grab 1.json" in str(err.value)


def test_json_outside_the_layout_or_broken_is_refused(tmp_path):
    stray = tmp_path / "params.json"
    stray.write_text("{}")
    with pytest.raises(MotionError, match="CHI3D sequence, which sits in a 'smplx' folder"):
        import_motion([stray])
    (tmp_path / "smplx").mkdir()
    broken = tmp_path / "smplx" / "Hug 1.json"
    broken.write_text('{"transl": [')
    with pytest.raises(MotionError, match="Hug 1.json: not valid JSON"):
        import_motion([broken])

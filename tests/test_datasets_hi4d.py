"""Hi4D sequences (per-frame SMPL files, meta, cameras) in the published layout → our reconstruction and clips."""

from __future__ import annotations

import numpy as np
import pytest

from inference.engine.dataset import load_clips
from inference.importers import import_motion
from inference.importers.hi4d import load_hi4d
from inference.importers.up_axis import TO_Y_UP, rest_skeleton
from inference.motion import MotionError
from tests.dataset_files import truth_people, world_joints, write_hi4d


@pytest.fixture(scope="module")
def rest():
    return rest_skeleton()


@pytest.mark.parametrize("up", ["y", "z", "-x", "-y"])
def test_sequence_imports_upright_with_the_files_joints_whatever_the_source_up_axis(tmp_path, rest, up):
    folder = tmp_path / "pair00" / "hug03"
    info = write_hi4d(folder, truth_people(), rest, up=up)
    recon = import_motion([folder])
    assert recon.fps == 30.0 and recon.meta["source_up_axis"] == up and recon.meta["text"] == "hug"
    assert [p.gender for p in recon.people] == ["female", "male"]
    for person, expected in zip(recon.people, info["joints"]):
        joints, _ = world_joints(person, rest)
        np.testing.assert_allclose(joints, expected, atol=1e-4)
        assert np.all(person.betas == 0)
    # the mono camera sees our Y-up joints where the source camera saw the source-world joints
    cam = recon.camera
    assert cam is not None and (cam.width, cam.height) == (940, 1280) and recon.meta["camera_id"] == 28
    src = info["joints"][0] @ info["to_source"]
    ext = info["extrinsics"]
    seen = np.einsum("ij,tnj->tni", info["K"], src @ ext[:, :3].T + ext[:, 3])
    np.testing.assert_allclose(cam.project(info["joints"][0])[..., :2], seen[..., :2] / seen[..., 2:], atol=1e-3)


def test_every_up_axis_conversion_is_a_proper_rotation_onto_y():
    for axis, rot in TO_Y_UP.items():
        up = np.zeros(3)
        up["xyz".index(axis[-1])] = -1.0 if axis.startswith("-") else 1.0
        np.testing.assert_allclose(rot @ up, [0, 1, 0])
        np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
        assert np.isclose(np.linalg.det(rot), 1.0)


def test_without_joints_the_pelvis_comes_from_transl_and_smpl_rest_pelvis(tmp_path, rest):
    folder = tmp_path / "pair01" / "dance01"
    info = write_hi4d(folder, truth_people(8, seed=2), rest, up="z", with_joints=False)
    recon = load_hi4d(folder / "smpl")  # the smpl folder names its sequence too
    np.testing.assert_allclose(world_joints(recon.people[1], rest)[0], info["joints"][1], atol=1e-4)


def test_an_explicit_up_axis_overrides_detection(tmp_path, rest):
    folder = tmp_path / "pair00" / "hug03"
    write_hi4d(folder, truth_people(), rest, up="z")
    recon = load_hi4d(folder, up_axis="y")  # wrong on purpose: people then lie along -Z
    joints, _ = world_joints(recon.people[0], rest)
    assert np.all(joints[:, 15, 2] > joints[:, 0, 2] + 0.3)


def test_clips_filtered_by_pair_or_action(tmp_path, rest):
    for name, frames in (("pair00/hug03", 9), ("pair00/talk01", 7), ("pair02/hug05", 6)):
        write_hi4d(tmp_path / name, truth_people(frames, seed=frames), rest, up="y")
    clips = load_clips(f"hi4d:{tmp_path}:hug")
    assert [(c.name, c.text, c.num_frames, c.fps) for c in clips] == [
        ("pair00/hug03", "hug", 9, 30.0), ("pair02/hug05", "hug", 6, 30.0)]
    assert len(load_clips(f"hi4d:{tmp_path}")) == 3
    assert [c.name for c in load_clips(f"hi4d:{tmp_path / 'pair00'}:talk")] == ["pair00/talk01"]
    with pytest.raises(MotionError, match="no sequences"):
        load_clips(f"hi4d:{tmp_path}:kiss")


def test_bad_frames_are_reported_with_file_and_key(tmp_path, rest):
    folder = tmp_path / "pair00" / "hug03"
    write_hi4d(folder, truth_people(6), rest, up="y")
    frame = folder / "smpl" / "000013.npz"
    data = dict(np.load(frame))
    data["body_pose"][1, 4] = np.nan
    np.savez(frame, **data)
    with pytest.raises(MotionError, match=r"000013.npz: key 'body_pose' has a non-finite value .*\(1, 4\)"):
        import_motion([folder])
    data["body_pose"] = data["body_pose"][:, :63]
    np.savez(frame, **data)
    with pytest.raises(MotionError, match=r"000013.npz: key 'body_pose' should be \(2, 69\), got \(2, 63\)"):
        import_motion([folder])
    data["body_pose"] = np.zeros((2, 69), np.float32)
    del data["transl"]
    np.savez(frame, **data)
    with pytest.raises(MotionError, match="000013.npz: missing key 'transl'"):
        import_motion([folder])
    frame.unlink()
    with pytest.raises(MotionError, match="frames missing after 000012.npz"):
        import_motion([folder])


def test_cli_import_writes_our_npz_from_a_sequence_folder(tmp_path, rest):
    from inference.io.npz import load_reconstruction
    from sm_studio.cli import main

    folder = tmp_path / "pair00" / "hug03"
    info = write_hi4d(folder, truth_people(6), rest, up="z")
    out = tmp_path / "hug.npz"
    with pytest.raises(MotionError, match="--tracks does not apply"):
        import_motion([folder], tracks=[0, 1])
    assert main(["import", str(folder), "-o", str(out)]) == 0
    recon = load_reconstruction(out)
    assert recon.fps == 30.0 and recon.meta["source"] == "hi4d" and recon.camera is not None
    np.testing.assert_allclose(world_joints(recon.people[0], rest)[0], info["joints"][0], atol=1e-4)

import io
import pickle
import zipfile

import numpy as np
import pytest

from inference.io.npz import (load_person, load_reconstruction, save_person, save_reconstruction,
                              z_up_to_y_up)
from inference.motion import MotionError

from conftest import make_person


def test_two_person_round_trip_is_bit_exact(recon, tmp_path):
    path = tmp_path / "two.npz"
    save_reconstruction(recon, path)
    again = load_reconstruction(path)
    assert again.equals(recon) and again.meta == recon.meta
    save_reconstruction(again, tmp_path / "again.npz")
    a, b = np.load(path), np.load(tmp_path / "again.npz")
    assert a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)


def test_single_person_files_use_smplx_keyword_layout(recon, tmp_path):
    save_person(recon.people[0], recon.fps, tmp_path / "a.npz")
    save_person(recon.people[1], recon.fps, tmp_path / "b.npz")
    f = np.load(tmp_path / "a.npz")
    assert f["body_pose"].shape == (24, 63) and f["betas"].shape == (1, 10) and f["left_hand_pose"].shape == (24, 45)
    assert float(f["mocap_framerate"]) == 25.0 and str(f["gender"]) == "female"
    pair = load_reconstruction([tmp_path / "a.npz", tmp_path / "b.npz"])
    assert pair.people[0].equals(recon.people[0]) and pair.people[1].equals(recon.people[1])


def test_frame_rate_spellings_and_missing_transl(tmp_path):
    p = make_person(6, 0)
    for key in ("mocap_frame_rate", "fps"):
        np.savez(tmp_path / f"{key}.npz", global_orient=p.global_orient, body_pose=p.body_pose.reshape(6, 63),
                 betas=p.betas, **{key: 60.0})
        person, fps = load_person(tmp_path / f"{key}.npz")
        assert fps == 60.0 and np.all(person.transl == 0)


def test_amass_poses_are_converted_from_z_up(tmp_path):
    frames = 4
    poses = np.zeros((frames, 156), np.float32)
    trans = np.tile(np.array([0.5, 2.0, 0.9], np.float32), (frames, 1))  # z-up: 0.9 m above ground
    pelvis = np.array([0.0, -0.35, 0.0])
    np.savez(tmp_path / "amass.npz", poses=poses, trans=trans, betas=np.zeros(16), gender=np.array("male"),
             mocap_framerate=np.array(120.0))
    person, fps = load_person(tmp_path / "amass.npz", pelvis_fn=lambda betas: pelvis)
    assert fps == 120.0 and person.gender == "male" and person.betas.shape == (16,)
    # the pelvis (rest pelvis + transl) must map (x, y, z) -> (x, z, -y)
    world_pelvis_z_up = pelvis + trans[0]
    world_pelvis_y_up = pelvis + person.transl[0]
    np.testing.assert_allclose(world_pelvis_y_up, [world_pelvis_z_up[0], world_pelvis_z_up[2], -world_pelvis_z_up[1]],
                               atol=1e-6)
    # identity orientation becomes -90° about X (Z-up's up axis turns into +Y)
    np.testing.assert_allclose(person.global_orient[0], [-np.pi / 2, 0, 0], atol=1e-6)
    back = z_up_to_y_up(person, lambda b: pelvis)
    assert back.transl.shape == (frames, 3)


def test_missing_key_names_file_and_key(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, A_global_orient=np.zeros((3, 3)))
    with pytest.raises(MotionError, match=r"bad\.npz: missing key 'A_body_pose'"):
        load_reconstruction(path)


def test_wrong_shape_names_key(recon, tmp_path):
    path = tmp_path / "shape.npz"
    save_reconstruction(recon, path)
    data = dict(np.load(path))
    data["B_body_pose"] = data["B_body_pose"][:, :60]
    np.savez(path, **data)
    with pytest.raises(MotionError, match=r"shape\.npz: key 'B_body_pose' has shape \(24, 60\)"):
        load_reconstruction(path)


def test_nan_is_rejected_with_field(recon, tmp_path):
    path = tmp_path / "nan.npz"
    save_reconstruction(recon, path)
    data = dict(np.load(path))
    data["A_transl"][3, 1] = np.nan
    np.savez(path, **data)
    with pytest.raises(MotionError, match=r"nan\.npz: A_transl: non-finite"):
        load_reconstruction(path)


class Boom:
    def __reduce__(self):
        return (exec, ("open('PWNED','w').write('x')",))


def test_object_arrays_and_pickles_are_never_executed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.npz"
    np.savez(path, A_global_orient=np.array([Boom()], dtype=object))
    with pytest.raises(MotionError, match="holds Python objects"):
        load_reconstruction(path)
    raw = tmp_path / "raw.npz"
    raw.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(MotionError, match="not a readable NPZ"):
        load_reconstruction(raw)
    assert not (tmp_path / "PWNED").exists()


def test_truncated_and_missing_files(recon, tmp_path):
    path = tmp_path / "trunc.npz"
    save_reconstruction(recon, path)
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(MotionError, match="trunc.npz"):
        load_reconstruction(path)
    with pytest.raises(MotionError, match="file not found"):
        load_reconstruction(tmp_path / "nope.npz")


def test_failed_write_keeps_previous_file(recon, tmp_path, monkeypatch):
    path = tmp_path / "keep.npz"
    save_reconstruction(recon, path)
    before = path.read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        save_reconstruction(recon.slice(0, 3), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.npz"]  # no temp file left behind

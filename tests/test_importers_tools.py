"""Importers of 4DHumans/PHALP, WHAM, GVHMR and TRAM results: files written in each tool's documented layout from a
generated two-person clip, imported, and compared with the truth (camera-frame joints, projections, tracks)."""

from __future__ import annotations

import os
import pickle

import joblib
import numpy as np
import pytest
import torch

from importer_files import world_pose, write_gvhmr, write_phalp, write_tram, write_wham
from inference.body import load_body_model
from inference.generator import generate_clip
from inference.importers import import_motion
from inference.importers.phalp import load_phalp, phalp_intrinsics
from inference.importers.safe_pickle import safe_load
from inference.importers.wham import load_wham
from inference.motion import Camera, MotionError


@pytest.fixture(scope="module")
def truth():
    """A 2 s hug seen by a camera with PHALP's intrinsics convention, plus each person's rest joints."""
    clip = generate_clip("hug", 3, seconds=2.0)
    recon = clip.reconstruction
    cam = recon.camera
    recon.camera = Camera(phalp_intrinsics(cam.width, cam.height), cam.R, cam.t, cam.width, cam.height)
    body = load_body_model()
    rests = [body.rest(torch.as_tensor(p.betas))[1].numpy().astype(np.float64) for p in recon.people]
    return recon, rests


def _camera_joints(person, camera, rest):
    pos, _ = world_pose(person, rest)
    return np.einsum("tij,tnj->tni", camera.R, pos) + camera.t[:, None]


def _check_same_in_camera(got, truth_recon, rests, order=(0, 1), tol_mm=1.0):
    for k, src in enumerate(order):
        ours = _camera_joints(got.people[k], got.camera, rests[src])
        ref = _camera_joints(truth_recon.people[src], truth_recon.camera, rests[src])
        assert np.abs(ours - ref).max() * 1000 < tol_mm


def test_phalp_round_trip_in_camera_and_image(tmp_path, truth):
    recon, rests = truth
    path = tmp_path / "demo_clip.pkl"
    write_phalp(path, recon, [r[0] for r in rests], ghost_frames=(20, 21, 22))
    got = import_motion([path])
    assert got.meta["tracks"] == [3, 7] and got.meta["source"] == "phalp"
    assert got.num_frames == recon.num_frames and got.fps == 30.0
    _check_same_in_camera(got, recon, rests)
    # the camera intrinsics follow PHALP's convention, so joints project where the truth's do
    for k in range(2):
        ours = got.camera.project(world_pose(got.people[k], rests[k])[0])
        ref = recon.camera.project(world_pose(recon.people[k], rests[k])[0])
        assert np.abs(ours[..., :2] - ref[..., :2]).max() < 0.05  # pixels
    # world is the camera turned upright: people stand along +Y
    pos = world_pose(got.people[0], rests[0])[0]
    assert np.mean(pos[:, 15, 1] - pos[:, 0, 1]) > 0.3  # head above pelvis
    rel = got.people[1].reliability
    assert np.all(rel[20:23] == 0) and rel[19] == 1 and rel[23] == 1


def test_phalp_track_choice(tmp_path, truth):
    recon, rests = truth
    path = tmp_path / "demo.pkl"
    write_phalp(path, recon, [r[0] for r in rests])
    swapped = load_phalp(path, tracks=[7, 3])
    _check_same_in_camera(swapped, recon, rests, order=(1, 0))
    with_short = load_phalp(path, tracks=[3, 99])
    assert with_short.people[1].reliability[:5].tolist() == [1] * 5
    assert with_short.people[1].reliability[5:].max() == 0
    with pytest.raises(MotionError, match="no track 5 .*tracks: 3, 7, 99"):
        load_phalp(path, tracks=[3, 5])
    with pytest.raises(MotionError, match="two different tracks"):
        load_phalp(path, tracks=[3, 3])


class _Touch:
    """Unpickling this with a plain pickle.load would create ``self.path``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


class _Open:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_malicious_pickle_never_runs(tmp_path, truth):
    recon, rests = truth
    for n, evil_cls in enumerate((_Touch, _Open)):
        marker = tmp_path / f"pwned{n}"
        path = tmp_path / f"evil{n}.pkl"
        write_phalp(path, recon.slice(0, 6), [r[0] for r in rests], extra_track=False, evil=evil_cls(marker))
        got = import_motion([path])  # the unused 'embedding' field holds the payload
        assert not marker.exists()
        assert got.meta["refused_objects"] in (["posix.system"], ["io.open"], ["nt.system"])
        # the same payload where a needed value sits is a clear error, still without running it
        joblib.dump({"f.jpg": {"time": 0, "tid": [1, 2], "tracked_ids": [1, 2], "camera": [evil_cls(marker)] * 2,
                               "smpl": [{"global_orient": np.eye(3), "body_pose": np.zeros((23, 3, 3)),
                                         "betas": np.zeros(10)}] * 2}}, path)
        with pytest.raises(MotionError, match=r"evil\d.pkl: frame 'f.jpg' 'camera'\[0\]: holds a .* object"):
            import_motion([path])
        assert not marker.exists()
    # a plain pickle (not joblib) with a payload at the top level
    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps(_Touch(tmp_path / "pwned_plain")))
    obj, refused = safe_load(path)
    assert not (tmp_path / "pwned_plain").exists() and refused
    with pytest.raises(MotionError, match="neither 4DHumans/PHALP results nor WHAM output"):
        import_motion([path])


def test_pickle_errors_name_file_and_key(tmp_path):
    bad = tmp_path / "junk.pkl"
    bad.write_bytes(b"not a pickle at all")
    with pytest.raises(MotionError, match="junk.pkl: not a readable pickle"):
        import_motion([bad])
    with pytest.raises(MotionError, match="missing.pkl: file not found"):
        import_motion([tmp_path / "missing.pkl"])
    p = tmp_path / "shape.pkl"
    joblib.dump({"a.jpg": {"time": 0, "tid": [1], "camera": [np.zeros(3)],
                           "smpl": [{"global_orient": np.eye(3), "body_pose": np.zeros((21, 3, 3)),
                                     "betas": np.zeros(10)}]}}, p)
    with pytest.raises(MotionError, match=r"shape.pkl: frame 'a.jpg' 'smpl'\[0\]\['body_pose'\]: expected shape "
                                          r"\(23, 3, 3\), got \(21, 3, 3\)"):
        import_motion([p])
    p2 = tmp_path / "keys.pkl"
    joblib.dump({"a.jpg": {"time": 0, "tid": [1], "camera": [np.zeros(3)], "smpl": [{"betas": np.zeros(10)}]}}, p2)
    with pytest.raises(MotionError, match=r"keys.pkl: frame 'a.jpg': 'smpl'\[0\] missing key 'global_orient'"):
        import_motion([p2])
    p3 = tmp_path / "one.pkl"
    joblib.dump({0: {"pose": np.zeros((4, 72)), "trans": np.zeros((4, 3)), "betas": np.zeros((4, 10)),
                     "frame_ids": np.arange(4)}}, p3)
    with pytest.raises(MotionError, match="one.pkl: needs two people, found 1 track"):
        import_motion([p3])
    joblib.dump({0: {"pose": np.zeros((4, 69)), "trans": np.zeros((4, 3)), "betas": np.zeros((4, 10)),
                     "frame_ids": np.arange(4)}}, p3)
    with pytest.raises(MotionError, match=r"one.pkl: subject 0 key 'pose': expected shape \(T, 72\), got \(4, 69\)"):
        import_motion([p3])


def test_wham_uses_camera_for_placement_and_world_for_camera(tmp_path, truth):
    recon, rests = truth
    path = tmp_path / "wham_output.pkl"
    yaw, shift = 0.7, np.array([1.0, 0.0, -2.0])
    write_wham(path, recon, [r[0] for r in rests], yaw, shift, frame_ranges=((0, None), (10, None)))
    got = load_wham(path, image_size=(recon.camera.width, recon.camera.height))
    assert got.meta["tracks"] == [0, 1]
    # both people are where the truth puts them, expressed in A's WHAM world (turned by yaw, moved by shift)
    from scipy.spatial.transform import Rotation

    g = Rotation.from_euler("y", yaw).as_matrix()
    for k in range(2):
        ours = world_pose(got.people[k], rests[k])[0]
        ref = world_pose(recon.people[k], rests[k])[0] @ g.T + shift
        start = 0 if k == 0 else 10
        assert np.abs(ours[start:] - ref[start:]).max() * 1000 < 1.0
    assert got.people[1].reliability[:10].max() == 0 and got.people[1].reliability[10:].min() == 1
    # WHAM's default focal length is the image diagonal
    assert got.camera.K[0, 0] == pytest.approx(np.hypot(recon.camera.width, recon.camera.height))
    assert load_wham(path).camera is None  # no image size, no intrinsics


def test_gvhmr_two_files(tmp_path, truth):
    recon, rests = truth
    paths = [tmp_path / "a" / "hmr4d_results.pt", tmp_path / "b" / "hmr4d_results.pt"]
    for pid, p in enumerate(paths):
        p.parent.mkdir()
        write_gvhmr(p, recon, pid, rests[pid][0], yaw=-0.4, shift=np.array([0.5, 0.0, 0.3]))
    got = import_motion(paths, fps=25)
    assert got.fps == 25 and got.meta["source"] == "gvhmr"
    np.testing.assert_allclose(got.camera.K, recon.camera.K, atol=1e-3)
    assert (got.camera.width, got.camera.height) == (recon.camera.width, recon.camera.height)
    _check_same_in_camera(got, recon, rests)
    with pytest.raises(MotionError, match="one person per file: give two files"):
        import_motion(paths[:1])
    bad = tmp_path / "bad.pt"
    torch.save({"smpl_params_incam": {"global_orient": torch.zeros(5, 3), "body_pose": torch.zeros(5, 69),
                                      "betas": torch.zeros(5, 10), "transl": torch.zeros(5, 3)}}, bad)
    with pytest.raises(MotionError, match=r"bad.pt: key 'smpl_params_incam.body_pose': expected shape \(L, 63\)"):
        import_motion([bad, paths[1]])


def test_gvhmr_refuses_code_in_torch_file(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"smpl_params_incam": _Touch(marker)}, path)
    with pytest.raises(MotionError, match="evil.pt: not a readable torch file of tensors"):
        import_motion([path, path])
    assert not marker.exists()


def test_tram_folder_with_torch_tensors_and_slam_camera(tmp_path, truth):
    recon, rests = truth
    folder = tmp_path / "results" / "clip"
    write_tram(folder, recon, [r[0] for r in rests], cam_yaw=0.5, frame_ranges=((0, None), (5, 50)))
    got = import_motion([folder])
    assert got.meta["source"] == "tram" and got.meta["tracks"] == [0, 1]
    assert got.num_frames == recon.num_frames
    np.testing.assert_allclose(got.camera.K, recon.camera.K, atol=1e-6)
    seen = slice(5, 50)
    for k in range(2):
        ours = _camera_joints(got.people[k], got.camera, rests[k])
        ref = _camera_joints(recon.people[k], recon.camera, rests[k])
        sl = slice(None) if k == 0 else seen
        assert np.abs(ours[sl] - ref[sl]).max() * 1000 < 1.0
    rel = got.people[1].reliability
    assert rel[:5].max() == 0 and rel[5:50].min() == 1 and rel[50:].max() == 0
    # the same via its camera.npy, and track choice
    swapped = import_motion([folder / "camera.npy"], tracks=[1, 0])
    assert swapped.meta["tracks"] == [1, 0]
    with pytest.raises(MotionError, match="not a TRAM results folder"):
        import_motion([tmp_path])


def test_tram_refuses_code_in_npy(tmp_path, truth):
    recon, rests = truth
    folder = tmp_path / "r"
    write_tram(folder, recon.slice(0, 5), [r[0] for r in rests], cam_yaw=0.0)
    marker = tmp_path / "pwned"
    np.save(folder / "hps" / "hps_track_0.npy", {"pred_rotmat": _Touch(marker), "frame": np.arange(5)})
    with pytest.raises(MotionError, match=r"hps_track_0.npy: key 'pred_rotmat' holds a .*system object"):
        import_motion([folder])
    assert not marker.exists()

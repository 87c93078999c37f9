"""The export API and CLI: the shipped free body's skinned mesh in FBX/GLB, frame ranges, errors, permissions."""

from __future__ import annotations

import os
import stat

import numpy as np
import pygltflib
import pytest

from export_helpers import (VIDEO_FPS, StickBody, filmed_recon, footage, make_recon, read_video, reference_joints,
                            run_reader)
from inference.body import load_body_model
from inference.export import ExportError, export
from inference.io.npz import load_reconstruction, save_reconstruction
from inference.skeleton import BODY_JOINT_NAMES
from sm_studio.cli import main


@pytest.fixture(scope="module")
def free_body():
    return load_body_model(device="cpu")


def test_free_body_fbx_skinned_mesh_matches_the_model(tmp_path, free_body):
    recon = make_recon(12, 30.0)
    (path,) = export(recon, tmp_path / "a.fbx", people=("A",), body=free_body)
    got = run_reader("ufbx_read.py", str(path), "0.0", repr(7 / 30.0))
    (mesh,) = got["meshes"]
    assert mesh["num_vertices"] == free_body.num_vertices and mesh["num_faces"] == len(free_body.faces)
    np.testing.assert_allclose(mesh["weight_sums"], 1.0, atol=1e-6)
    for f in (0, 7):
        ours = free_body.pose_motion(recon.person("A"), slice(f, f + 1)).vertices[0].numpy()
        theirs = np.array(mesh["skinned"][repr(f / 30.0)])
        assert np.abs(theirs - ours).max() < 1e-3  # every vertex within 1 mm
        joints = np.array([got["world"][repr(f / 30.0)][n] for n in BODY_JOINT_NAMES])
        np.testing.assert_allclose(joints, reference_joints(recon, free_body, "A")[f], atol=1e-3)


def test_free_body_glb_four_influences_stay_close(tmp_path, free_body):
    """glTF engines read four influences per vertex; the rest is dropped and renormalised (measured here)."""
    recon = make_recon(6)
    (path,) = export(recon, tmp_path / "pair.glb", body=free_body)
    gltf = pygltflib.GLTF2().load(str(path))
    blob = gltf.binary_blob()
    prim = gltf.meshes[0].primitives[0]

    def acc(i, dtype, width):
        a = gltf.accessors[i]
        return np.frombuffer(blob, dtype, a.count * width, gltf.bufferViews[a.bufferView].byteOffset).reshape(
            a.count, width)

    verts = acc(prim.attributes.POSITION, np.float32, 3).astype(float)
    joints = acc(prim.attributes.JOINTS_0, np.uint16, 4).astype(int)
    weights = acc(prim.attributes.WEIGHTS_0, np.float32, 4).astype(float)
    out = free_body.pose_motion(recon.person("A"), slice(3, 4))
    world = out.joint_transforms[0].double().numpy()
    ibm = acc(gltf.skins[0].inverseBindMatrices, np.float32, 16).reshape(-1, 4, 4).transpose(0, 2, 1)
    mats = world @ ibm
    homo = np.concatenate([verts, np.ones((len(verts), 1))], 1)
    posed = np.einsum("vk,vkij,vj->vi", weights, mats[joints], homo)[:, :3]
    err = np.linalg.norm(posed - out.vertices[0].double().numpy(), axis=1)
    assert np.percentile(err, 99) < 1e-3 and err.max() < 0.015


def test_cli_export_frame_range_person_and_axes(tmp_path):
    recon = make_recon(40, 24.0)
    src = tmp_path / "take.npz"
    save_reconstruction(recon, src)
    out = tmp_path / "out.fbx"
    assert main(["export", str(src), str(out), "--frames", "5:25", "--person", "B", "--up", "z", "--units", "cm",
                 "--skeleton-only"]) == 0
    got = run_reader("ufbx_read.py", str(out), "0.0", repr(10 / 24.0))
    assert got["fps"] == 24.0 and got["stacks"][0]["end"] == pytest.approx(19 / 24.0)
    assert got["axes"]["up"] == "POSITIVE_Z" and got["unit_meters"] == pytest.approx(0.01)
    assert not got["meshes"]
    body = load_body_model(device="cpu")  # the CLI uses the default body
    ref = reference_joints(load_reconstruction(src), body, "B", up="z", units="cm")
    joints = np.array([got["world"][repr(10 / 24.0)][n] for n in BODY_JOINT_NAMES])
    np.testing.assert_allclose(joints, ref[15], atol=0.1)
    assert main(["export", str(src), str(tmp_path / "both.npz")]) == 0
    assert load_reconstruction(tmp_path / "both.npz").equals(load_reconstruction(src))


def test_cli_reports_bad_requests(tmp_path, capsys):
    src = tmp_path / "take.npz"
    save_reconstruction(make_recon(10), src)
    assert main(["export", str(src), str(tmp_path / "x.abc")]) == 1
    assert "cannot tell the format" in capsys.readouterr().err
    assert main(["export", str(src), str(tmp_path / "x.bvh"), "--frames", "8:40"]) == 1
    assert "outside 0..10" in capsys.readouterr().err
    assert main(["export", str(src), str(tmp_path / "x.bvh"), "--frames", "a-b"]) == 1
    assert "expected A:B" in capsys.readouterr().err
    assert main(["export", str(src), str(tmp_path / "x.fbx"), "--version", "original"]) == 1
    assert "needs a session" in capsys.readouterr().err


def test_api_errors_and_file_permissions(tmp_path):
    recon, body = make_recon(10), StickBody()
    with pytest.raises(ExportError, match="people"):
        export(recon, tmp_path / "x.fbx", body=body, people=("C",))
    with pytest.raises(ExportError, match="up"):
        export(recon, tmp_path / "x.fbx", body=body, up="x")
    with pytest.raises(ExportError, match="format"):
        export(recon, tmp_path / "x.fbx", format="obj", body=body)
    with pytest.raises(ExportError, match="video"):
        export(recon, tmp_path / "x.mp4", body=body)
    (path,) = export(recon, tmp_path / "x.fbx", body=body, people=("A",), frames=slice(2, None))
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_cli_overlay_from_a_session_with_a_relative_video(tmp_path, monkeypatch):
    from inference.session import Session, save_session

    folder = tmp_path / "project"
    folder.mkdir()
    footage(folder / "clip.mp4")
    recon = filmed_recon()
    save_session(Session(current=recon, video_path="clip.mp4"), folder / "take.smsession")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "overlay.mp4"
    assert main(["export", str(folder / "take.smsession"), str(out), "--version", "original", "--frames", "2:8",
                 "--overlay", "skeleton"]) == 0
    frames, stream = read_video(out)
    assert len(frames) == 6 and stream.average_rate == VIDEO_FPS

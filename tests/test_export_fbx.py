"""FBX export, read back by two readers we did not write: ufbx (in a subprocess) and Debian's assimp CLI.

Both must see the SMPL-X bone names and hierarchy, the source frame rate and frame count, and joint world
positions (and, for ufbx, skinned vertices) matching our own forward kinematics within a millimetre.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from export_helpers import StickBody, make_recon, reference_joints, run_reader
from inference.export import export
from inference.skeleton import BODY_JOINT_NAMES, BODY_PARENTS

FRAMES = (0, 4, 11, 23)


def _by_name(nodes: list[dict]) -> dict[str, dict]:
    return {n["name"]: n for n in nodes}


def _check_hierarchy(nodes: dict[str, dict], prefix: str, armature: str) -> None:
    for j, name in enumerate(BODY_JOINT_NAMES):
        parent = armature if j == 0 else prefix + BODY_JOINT_NAMES[BODY_PARENTS[j]]
        assert nodes[prefix + name]["parent"] == parent, name


def test_fbx_both_people_read_by_ufbx(tmp_path):
    fps = 25.0
    recon, body = make_recon(24, fps), StickBody()
    (path,) = export(recon, tmp_path / "pair.fbx", body=body, combined=True)
    times = [f / fps for f in FRAMES]
    got = run_reader("ufbx_read.py", str(path), *map(repr, times))
    assert got["fps"] == fps and got["unit_meters"] == pytest.approx(1.0)  # metres
    assert got["axes"]["up"] == "POSITIVE_Y"
    assert [s["name"] for s in got["stacks"]] == ["Take 001"]
    assert got["stacks"][0]["begin"] == 0.0 and got["stacks"][0]["end"] == pytest.approx(23 / fps)
    nodes = _by_name(got["nodes"])
    assert not any(n.endswith("_end") for n in nodes)  # no leaf bones
    for pid in "AB":
        _check_hierarchy(nodes, f"{pid}_", pid)
        assert all(nodes[f"{pid}_{n}"]["bone"] for n in BODY_JOINT_NAMES)
        ref = reference_joints(recon, body, pid)
        for f, t in zip(FRAMES, times):
            world = got["world"][repr(t)]
            joints = np.array([world[f"{pid}_{n}"] for n in BODY_JOINT_NAMES])
            np.testing.assert_allclose(joints, ref[f], atol=1e-3)
    meshes = {m["name"]: m for m in got["meshes"]}
    assert set(meshes) == {"A_body", "B_body"}
    for pid in "AB":
        mesh = meshes[f"{pid}_body"]
        assert mesh["num_vertices"] == body.num_vertices and mesh["num_faces"] == len(body.faces)
        assert sorted(mesh["clusters"]) == sorted(f"{pid}_{n}" for n in BODY_JOINT_NAMES)
        np.testing.assert_allclose(mesh["weight_sums"], 1.0, atol=1e-9)
        for f, t in zip(FRAMES, times):
            ours = body.pose_motion(recon.person(pid), slice(f, f + 1)).vertices[0].numpy()
            np.testing.assert_allclose(np.array(mesh["skinned"][repr(t)]), ours, atol=1e-3)


@pytest.mark.parametrize("fps", [30.0, 29.97])
def test_fbx_z_up_centimetres_per_person(tmp_path, fps):
    recon, body = make_recon(24, fps), StickBody()
    written = export(recon, tmp_path / "take.fbx", body=body, up="z", units="cm", skeleton_only=True,
                     frames=(4, 20))
    assert [p.name for p in written] == ["take_A.fbx", "take_B.fbx"]
    times = [0.0, 7 / fps, 15 / fps]
    for pid, path in zip("AB", written):
        got = run_reader("ufbx_read.py", str(path), *map(repr, times))
        assert got["fps"] == pytest.approx(fps) and got["unit_meters"] == pytest.approx(0.01)
        assert got["axes"]["up"] == "POSITIVE_Z" and got["axes"]["front"] == "NEGATIVE_Y"
        assert got["stacks"][0]["end"] == pytest.approx(15 / fps)
        nodes = _by_name(got["nodes"])
        _check_hierarchy(nodes, "", pid)  # one person per file: plain SMPL-X names
        assert not got["meshes"]
        ref = reference_joints(recon, body, pid, up="z", units="cm")
        for t in times:
            f = 4 + round(t * fps)
            joints = np.array([got["world"][repr(t)][n] for n in BODY_JOINT_NAMES])
            np.testing.assert_allclose(joints, ref[f], atol=0.1)  # 1 mm in cm


def _assimp_json(path, tmp_path) -> dict:
    out = tmp_path / (path.stem + ".assjson")
    proc = subprocess.run(["assimp", "export", str(path), str(out), "-fassjson"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text())


def _assimp_world(doc: dict, key: int) -> dict[str, np.ndarray]:
    """Walk assimp's node tree, replacing animated nodes' local transforms by their ``key``-th keys."""
    channels = {c["name"]: c for c in doc["animations"][0]["channels"]}
    out: dict[str, np.ndarray] = {}

    def walk(node: dict, parent: np.ndarray) -> None:
        local = np.array(node["transformation"], float).reshape(4, 4)  # row-major, translation in column 3
        ch = channels.get(node["name"])
        if ch is not None:
            w, x, y, z = ch["rotationkeys"][key][1]
            local = np.eye(4)
            local[:3, :3] = Rotation.from_quat([x, y, z, w]).as_matrix()
            local[:3, 3] = ch["positionkeys"][key][1]
        world = parent @ local
        out[node["name"]] = world[:3, 3]
        for child in node.get("children", []):
            walk(child, world)

    walk(doc["rootnode"], np.eye(4))
    return out


@pytest.mark.skipif(shutil.which("assimp") is None, reason="Debian assimp-utils is not installed")
def test_fbx_read_by_assimp(tmp_path):
    fps = 24.0
    recon, body = make_recon(24, fps), StickBody()
    (path,) = export(recon, tmp_path / "pair.fbx", body=body, combined=True)
    info = subprocess.run(["assimp", "info", str(path)], capture_output=True, text=True, timeout=60).stdout
    assert "Bones:              44" in info and "Animations:         1" in info
    doc = _assimp_json(path, tmp_path)
    anim = doc["animations"][0]
    assert anim["tickspersecond"] == fps and anim["duration"] == 23
    channels = {c["name"] for c in anim["channels"]}
    assert channels == {f"{p}_{n}" for p in "AB" for n in BODY_JOINT_NAMES}  # prefixes keep them apart
    assert all(len(c["rotationkeys"]) == 24 for c in anim["channels"])
    for pid in "AB":
        ref = reference_joints(recon, body, pid)
        for f in FRAMES:
            world = _assimp_world(doc, f)
            np.testing.assert_allclose(np.array([world[f"{pid}_{n}"] for n in BODY_JOINT_NAMES]), ref[f],
                                       atol=1e-3)

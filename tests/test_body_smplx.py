"""SmplxBodyModel: a tiny fake model file in SMPL-X's NPZ layout exercises the loading and posing path (checked
against ``smplx.SMPLX`` itself); the real licensed files are tested only when ``SMPLX_MODEL_DIR`` is set."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from inference.body import BodyModelError, FreeBodyModel, load_body_model
from inference.body.smplx_body import NUM_SMPLX_JOINTS, SmplxBodyModel, fold_weights
from inference.skeleton import BODY_PARENTS, JOINT_INDEX as JI

# SMPL-X's kinematic tree past the body: jaw and eyes under the head, then 15 joints per hand (index, middle, pinky,
# ring, thumb; three each) under each wrist (built in smplx_parents).
_FACE_PARENTS = [15, 15, 15]


def smplx_parents() -> np.ndarray:
    parents = list(BODY_PARENTS) + _FACE_PARENTS
    for wrist in (20, 21):
        for finger in range(5):
            base = len(parents)
            parents += [wrist, base, base + 1]
    return np.array(parents, dtype=np.int64)


def write_fake_smplx(path: Path, num_vertices: int = 10475, seed: int = 0, with_object_field: bool = True) -> None:
    """A random SMPL-X-layout model: the keys ``smplx.SMPLX`` reads, shaped like the real 2019 file. The vertex
    count matches the real one because smplx picks extra keypoints by fixed vertex index; pose-corrective blend
    shapes are non-zero on a few hundred vertices only so the compressed file stays small."""
    rng = np.random.default_rng(seed)
    parents = smplx_parents()
    free = FreeBodyModel()
    _, body_joints = free.rest(torch.zeros(10))
    joints = np.zeros((NUM_SMPLX_JOINTS, 3))
    joints[:22] = body_joints.numpy()
    joints[22:25] = joints[15] + [[0, 0.05, 0.08], [0.03, 0.1, 0.08], [-0.03, 0.1, 0.08]]
    for j in range(25, NUM_SMPLX_JOINTS):  # fingers stretch out along the arm
        joints[j] = joints[parents[j]] + [0.03 if j < 40 else -0.03, 0.0, 0.01 * ((j - 25) % 15 // 3 - 2)]
    owner = np.arange(num_vertices) % NUM_SMPLX_JOINTS
    v_template = joints[owner] + rng.normal(0, 0.02, (num_vertices, 3))
    weights = np.zeros((num_vertices, NUM_SMPLX_JOINTS))
    weights[np.arange(num_vertices), owner] = 0.7
    weights[np.arange(num_vertices), np.maximum(parents[owner], 0)] += 0.3
    regressor = np.zeros((NUM_SMPLX_JOINTS, num_vertices))
    regressor[owner, np.arange(num_vertices)] = 1.0
    regressor /= regressor.sum(1, keepdims=True)
    posedirs = np.zeros((num_vertices, 3, (NUM_SMPLX_JOINTS - 1) * 9))
    posedirs[:300] = rng.normal(0, 1e-3, (300, 3, posedirs.shape[2]))
    kintree = np.stack([parents, np.arange(NUM_SMPLX_JOINTS)]).astype(np.int64)
    kintree[0, 0] = 2**32 - 1  # as in the official files
    fields = dict(
        v_template=v_template, f=rng.integers(0, num_vertices, (2 * num_vertices, 3)).astype(np.uint32),
        shapedirs=rng.normal(0, 0.01, (num_vertices, 3, 20)), posedirs=posedirs, J_regressor=regressor,
        weights=weights, kintree_table=kintree,
        lmk_faces_idx=np.arange(51, dtype=np.int64), lmk_bary_coords=np.full((51, 3), 1 / 3),
        hands_componentsl=np.eye(45), hands_componentsr=np.eye(45), hands_meanl=np.zeros(45),
        hands_meanr=np.zeros(45),
    )
    if with_object_field:  # the official files carry pickled dicts that must never be unpickled
        fields["joint2num"] = np.array({"pelvis": 0}, dtype=object)
    np.savez_compressed(path, **fields)


@pytest.fixture(scope="module")
def fake_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("smplx_models")
    (folder / "smplx").mkdir()
    write_fake_smplx(folder / "smplx" / "SMPLX_NEUTRAL.npz")
    return folder


@pytest.fixture(scope="module")
def fake(fake_dir: Path) -> SmplxBodyModel:
    return SmplxBodyModel(fake_dir, device="cpu")


def random_pose(batch: int, seed: int = 0) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, 3, generator=g) * 0.5, torch.randn(batch, 21, 3, generator=g) * 0.3,
            torch.randn(batch, 3, generator=g), torch.randn(batch, 15, 3, generator=g) * 0.3,
            torch.randn(batch, 15, 3, generator=g) * 0.3)


def test_matches_smplx_package_on_the_fake_file(fake: SmplxBodyModel, fake_dir: Path) -> None:
    import smplx

    batch = 3
    go, bp, tr, lh, rh = random_pose(batch)
    betas = torch.randn(10)
    ours = fake.forward(go, bp, tr, betas, lh, rh)
    # the test wrote this file itself, so letting smplx unpickle it is harmless
    reference = smplx.SMPLX(str(fake_dir / "smplx"), gender="neutral", use_pca=False, flat_hand_mean=True,
                            num_betas=10, batch_size=batch)
    out = reference(global_orient=go, body_pose=bp.reshape(batch, -1), transl=tr, betas=betas.expand(batch, -1),
                    left_hand_pose=lh.reshape(batch, -1), right_hand_pose=rh.reshape(batch, -1))
    torch.testing.assert_close(ours.vertices, out.vertices, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours.joints, out.joints[:, :22], atol=1e-5, rtol=1e-5)


def test_same_skeleton_as_the_free_body(fake: SmplxBodyModel) -> None:
    free = FreeBodyModel()
    assert fake.joint_names == free.joint_names
    assert np.array_equal(fake.parents, free.parents)
    out = fake.forward(*random_pose(2)[:3], torch.zeros(10))
    assert out.vertices.shape == (2, 10475, 3) and out.joints.shape == (2, 22, 3)
    assert out.joint_transforms.shape == (2, 22, 4, 4)


def test_skin_weights_fold_hands_into_wrists_and_face_into_head(fake: SmplxBodyModel) -> None:
    w = fake.skin_weights
    assert w.shape == (10475, 22)
    np.testing.assert_allclose(w.sum(1), 1.0, atol=1e-5)
    owner = np.arange(10475) % NUM_SMPLX_JOINTS
    finger = np.flatnonzero(owner == 30)[0]  # a left-hand joint: 0.7 on itself + 0.3 on its parent, both fold
    assert w[finger, JI["left_wrist"]] == pytest.approx(1.0)
    jaw = np.flatnonzero(owner == 22)[0]
    assert w[jaw, JI["head"]] == pytest.approx(1.0)
    parents = smplx_parents()
    folded = fold_weights(np.eye(NUM_SMPLX_JOINTS), parents)
    assert folded[40:].argmax(1).tolist() == [JI["right_wrist"]] * 15


def test_hand_poses_move_only_hand_vertices(fake: SmplxBodyModel) -> None:
    go, bp, tr, lh, _ = random_pose(1)
    flat = fake.forward(go, bp, tr, torch.zeros(10))
    curled = fake.forward(go, bp, tr, torch.zeros(10), left_hand_pose=lh)
    moved = (flat.vertices - curled.vertices).norm(dim=-1)[0] > 1e-6
    owner = torch.as_tensor(np.arange(10475) % NUM_SMPLX_JOINTS)
    assert moved.any()
    # vertices of joints away from the left hand (and its pose blend shapes, on the first 300) stay put
    assert not moved[(owner < 20) & (torch.arange(10475) >= 300)].any()
    torch.testing.assert_close(flat.joints, curled.joints)


def test_rest_is_zero_pose(fake: SmplxBodyModel) -> None:
    betas = torch.randn(10)
    out = fake.forward(torch.zeros(1, 3), torch.zeros(1, 21, 3), torch.zeros(1, 3), betas)
    rest_v, rest_j = fake.rest(betas)
    torch.testing.assert_close(out.vertices[0], rest_v, atol=1e-6, rtol=0)
    torch.testing.assert_close(out.joints[0], rest_j, atol=1e-6, rtol=0)


def test_missing_file_names_directory_and_file(tmp_path: Path) -> None:
    with pytest.raises(BodyModelError, match="SMPLX_FEMALE.npz") as info:
        SmplxBodyModel(tmp_path, gender="female")
    assert str(tmp_path) in str(info.value)
    with pytest.raises(BodyModelError, match="not found"):
        SmplxBodyModel(tmp_path / "absent")


def test_pickle_only_model_is_refused_with_a_hint(tmp_path: Path) -> None:
    (tmp_path / "SMPLX_NEUTRAL.pkl").write_bytes(b"not read")
    with pytest.raises(BodyModelError, match="only the .npz files are read"):
        SmplxBodyModel(tmp_path)


def test_damaged_file_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "SMPLX_NEUTRAL.npz"
    write_fake_smplx(path, with_object_field=False)
    with np.load(path) as npz:
        data = {k: npz[k] for k in npz.files if k != "J_regressor"}
    np.savez(path, **data)
    with pytest.raises(BodyModelError, match="missing field 'J_regressor'") as info:
        SmplxBodyModel(tmp_path)
    assert str(path) in str(info.value)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_fake_runs_on_cuda(fake_dir: Path) -> None:
    model = SmplxBodyModel(fake_dir, device="cuda")
    out = model.forward(*random_pose(2)[:3], torch.zeros(10))
    assert out.vertices.device.type == "cuda"


REAL_DIR = os.environ.get("SMPLX_MODEL_DIR")
needs_real = pytest.mark.skipif(not REAL_DIR, reason="SMPLX_MODEL_DIR is unset: the licensed SMPL-X files are "
                                                     "not available on this machine")


@pytest.mark.smplx
@needs_real
def test_real_smplx_rest_is_a_t_pose_with_left_at_plus_x() -> None:
    model = load_body_model(REAL_DIR, device="cpu")
    assert isinstance(model, SmplxBodyModel) and model.num_vertices == 10475
    _, j = model.rest(torch.zeros(10))
    j = j.numpy()
    for side, sign in (("left", 1.0), ("right", -1.0)):
        assert sign * (j[JI[f"{side}_wrist"], 0] - j[JI[f"{side}_shoulder"], 0]) > 0.4
        assert abs(j[JI[f"{side}_wrist"], 1] - j[JI[f"{side}_shoulder"], 1]) < 0.1
    assert j[JI["left_foot"], 2] > j[JI["left_ankle"], 2]


@pytest.mark.smplx
@needs_real
def test_real_smplx_matches_smplx_package() -> None:
    import smplx

    model = load_body_model(REAL_DIR, device="cpu")
    go, bp, tr, lh, rh = random_pose(2)
    betas = torch.randn(10)
    ours = model.forward(go, bp, tr, betas, lh, rh)
    reference = smplx.SMPLX(str(model.path), use_pca=False, flat_hand_mean=True, num_betas=10, batch_size=2)
    out = reference(global_orient=go, body_pose=bp.reshape(2, -1), transl=tr, betas=betas.expand(2, -1),
                    left_hand_pose=lh.reshape(2, -1), right_hand_pose=rh.reshape(2, -1))
    torch.testing.assert_close(ours.vertices, out.vertices, atol=1e-5, rtol=1e-5)

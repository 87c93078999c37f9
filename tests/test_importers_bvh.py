"""BVH import: files in the CMU, Mixamo and MakeHuman skeleton families (their joint names, extra joints, rest
poses, units and up axes), written from a known motion, checked with bvhio (a reader we did not write) and
retargeted back onto our body."""

from __future__ import annotations

import bvhio
import numpy as np
import pytest
import torch

from importer_files import world_pose, write_family_bvh
from inference.body import load_body_model
from inference.export import export
from inference.generator import generate_clip
from inference.importers import import_motion
from inference.importers.bvh import FOOT, OurBody, load_bvh, sole_heights
from inference.importers.bvh_file import parse_bvh, read_bvh
from inference.motion import MotionError
from inference.skeleton import JOINT_INDEX

FAMILY_CASES = {
    "mixamo": dict(units=100.0, all_positions=True),  # cm, position channels on every joint
    "cmu": dict(units=1 / 0.056444),  # CMU's scaled inches, extra LHipJoint/LowerBack/Neck joints
    "makehuman": dict(units=10.0, z_up=True, a_pose_deg=45.0),  # A-pose rest, Z up
}


@pytest.fixture(scope="module")
def motion():
    clip = generate_clip("dance_hold", 2, seconds=2.0, fps=20.0)
    body = load_body_model()
    betas = clip.reconstruction.people[0].betas
    vertices, joints = body.rest(torch.as_tensor(betas))
    rest = joints.numpy().astype(np.float64)
    return clip.reconstruction, betas, rest, OurBody(rest, float(vertices[:, 1].min()))


def _on_floor(joints: np.ndarray, ours: OurBody) -> np.ndarray:
    """``joints (F, 22, 3)`` lowered so the lower sole rests on y = 0 (5th percentile), as the importer puts a
    source on our floor (person B here is posed on A's skeleton, so its feet are off the generator's floor)."""
    floor = np.percentile(sole_heights(joints, ours.flat_feet, np.arange(len(FOOT))).min(1), 5)
    return joints - np.array([0.0, floor, 0.0])


@pytest.mark.parametrize("family", sorted(FAMILY_CASES))
def test_family_round_trip(tmp_path, motion, family):
    recon, betas, rest, ours = motion
    people = [p.copy() for p in recon.people]
    if family == "cmu":  # CMU has two spine joints for our three: keep the middle one still to compare exactly
        for p in people:
            p.body_pose[:, JOINT_INDEX["spine2"] - 1] = 0
    paths = [tmp_path / f"{family}_{k}.bvh" for k in range(2)]
    for p, path in zip(people, paths):
        write_family_bvh(path, family, p, rest, **FAMILY_CASES[family])
    # our parser and forward kinematics agree with bvhio's
    skel = read_bvh(paths[0])
    pos, _ = skel.forward_kinematics()
    root = bvhio.readAsHierarchy(str(paths[0]))
    for f in (0, skel.num_frames - 1):
        root.loadPose(f)
        ref = {j.Name: np.array(j.PositionWorld) for j, _, _ in root.layout()}
        np.testing.assert_allclose(np.stack([ref[n] for n in skel.names]), pos[f], atol=1e-3)
    report: dict = {}
    got = load_bvh(paths, rest_fn=lambda b: ours, betas=betas, report=report)
    assert got.meta["bvh_family"] == [family, family]
    assert got.fps == pytest.approx(30.0)  # the writers use 30 fps
    for k in range(2):
        mine = world_pose(got.people[k], rest)[0]
        ref = _on_floor(world_pose(people[k], rest)[0], ours)
        assert np.abs(mine - ref).max() * 1000 < 0.5  # mm: units, up axis and rest pose all undone
        r = report[str(paths[k])]
        assert r["rechained_mm"] < 0.5 and r["limbs_deg"] < 0.05 and r["feet_max_mm"] < 0.5


def test_relative_placement_and_scale_shared(tmp_path, motion):
    """Two files recorded together keep their distance on the ground (one scale for both), whatever the file
    units; each stands on the floor."""
    recon, betas, rest, ours = motion
    paths = [tmp_path / f"m{k}.bvh" for k in range(2)]
    for p, path in zip(recon.people, paths):
        write_family_bvh(path, "mixamo", p, rest * 1.2, units=100.0)  # a taller source skeleton
    got = load_bvh(paths, rest_fn=lambda b: ours, betas=betas)
    assert got.meta["bvh_scale"] == pytest.approx(1 / 1.2 / 100, rel=1e-6)
    gap_ours = got.people[1].transl - got.people[0].transl
    gap_source = recon.people[1].transl - recon.people[0].transl  # pelvis gap on the taller skeleton
    np.testing.assert_allclose(gap_ours[:, [0, 2]], gap_source[:, [0, 2]] / 1.2, atol=1e-4)


def test_different_proportions_error_is_measured(tmp_path, motion):
    """A source skeleton with other proportions: directions still match (limb angles and rechained error small),
    joint positions differ by the proportions (larger)."""
    recon, betas, rest, ours = motion
    other = rest.copy()
    other[JOINT_INDEX["left_knee"]] += [0.0, 0.05, 0.0]  # longer shin, shorter thigh on one side
    other[[JOINT_INDEX[n] for n in ("left_shoulder", "left_elbow", "left_wrist")]] += [0.03, 0.0, 0.0]
    paths = [tmp_path / f"p{k}.bvh" for k in range(2)]
    for p, path in zip(recon.people, paths):
        write_family_bvh(path, "mixamo", p, other, units=100.0)
    report: dict = {}
    load_bvh(paths, rest_fn=lambda b: ours, betas=betas, report=report)
    r = report[str(paths[0])]
    assert r["limbs_deg"] < 0.1 and r["rechained_mm"] < 5.0 < r["joints_mm"] < r["joints_max_mm"]


def test_our_own_bvh_export_imports_back(tmp_path, motion):
    recon, betas, rest, ours = motion
    body = load_body_model()
    same = recon.replace_people(recon.people[0], recon.people[1].copy())
    same.people[1].betas = recon.people[0].betas.copy()
    paths = export(same, tmp_path / "take.bvh", body=body, skeleton_only=True)
    assert import_motion(paths).meta["bvh_family"] == ["smplx", "smplx"]  # default body: mean shape
    got = load_bvh(paths, rest_fn=lambda b: ours, betas=betas)
    mine = world_pose(got.people[0], rest)[0]
    ref = _on_floor(world_pose(recon.people[0], rest)[0], ours)
    assert np.abs(mine - ref).max() * 1000 < 1.0


def test_bvh_errors_name_the_file(tmp_path, motion):
    recon, betas, rest, ours = motion
    with pytest.raises(MotionError, match="x.bvh: expected 'HIERARCHY', found 'hello'"):
        parse_bvh("hello", "x.bvh")
    text = "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 3 Xposition Yposition Wrotation\n}\nMOTION\n"
    with pytest.raises(MotionError, match="y.bvh: joint 'Hips' has unknown channel 'Wrotation'"):
        parse_bvh(text, "y.bvh")
    good = tmp_path / "g.bvh"
    write_family_bvh(good, "mixamo", recon.people[0], rest)
    lines = good.read_text().splitlines()
    cut = tmp_path / "cut.bvh"
    cut.write_text("\n".join(lines[:-3]))
    with pytest.raises(MotionError, match=r"cut.bvh: MOTION has \d+ values, 40 frames × \d+ channels need"):
        read_bvh(cut)
    odd = tmp_path / "odd.bvh"
    odd.write_text(good.read_text().replace("mixamorig:LeftArm", "mixamorig:Wing"))
    with pytest.raises(MotionError, match="odd.bvh: skeleton not recognised .*'LeftArm' for our 'left_shoulder'"):
        load_bvh([odd, good], rest_fn=lambda b: ours)
    short = tmp_path / "short.bvh"
    write_family_bvh(short, "mixamo", recon.people[0].slice(0, 10), rest)
    with pytest.raises(MotionError, match="frame counts differ"):
        load_bvh([good, short], rest_fn=lambda b: ours)
    with pytest.raises(MotionError, match="one skeleton per file: give two files"):
        load_bvh([good], rest_fn=lambda b: ours)

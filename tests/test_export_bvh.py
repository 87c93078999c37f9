"""BVH export, read back with bvhio (a reader we did not write) and compared with our forward kinematics."""

from __future__ import annotations

import bvhio
import numpy as np
import pytest

from export_helpers import StickBody, make_recon, reference_joints
from inference.export import ExportError, export
from inference.skeleton import BODY_JOINT_NAMES, BODY_PARENTS, JOINT_INDEX


def _read_world_joints(path, frames) -> tuple[dict, np.ndarray]:
    root = bvhio.readAsHierarchy(str(path))
    out = []
    for f in frames:
        root.loadPose(f)
        out.append({j.Name: np.array(j.PositionWorld) for j, _, _ in root.layout()})
    return root, out


@pytest.mark.parametrize("up,units", [("y", "m"), ("z", "cm")])
def test_bvh_joint_positions_match_forward_kinematics(tmp_path, up, units):
    recon, body = make_recon(30, fps=24.0), StickBody()
    written = export(recon, tmp_path / "take.bvh", body=body, up=up, units=units)
    assert [p.name for p in written] == ["take_A.bvh", "take_B.bvh"]
    tol = 1e-3 * (100.0 if units == "cm" else 1.0)  # 1 mm
    for pid, path in zip("AB", written):
        container = bvhio.readAsBvh(str(path))
        assert container.FrameCount == 30
        assert container.FrameTime == pytest.approx(1 / 24.0, abs=1e-9)
        frames = [0, 7, 13, 29]
        root, posed = _read_world_joints(path, frames)
        ref = reference_joints(recon, body, pid, up, units)
        for f, joints in zip(frames, posed):
            assert set(joints) == set(BODY_JOINT_NAMES)
            got = np.stack([joints[n] for n in BODY_JOINT_NAMES])
            np.testing.assert_allclose(got, ref[f], atol=tol)
        # hierarchy: each joint's parent is the SMPL-X parent
        for joint, _, _ in root.layout():
            if joint.Parent is not None:
                assert JOINT_INDEX[joint.Parent.Name] == BODY_PARENTS[JOINT_INDEX[joint.Name]]


def test_bvh_frame_range_and_person(tmp_path):
    recon, body = make_recon(30), StickBody()
    (path,) = export(recon, tmp_path / "b.bvh", people=("B",), frames=(10, 20), body=body)
    assert path.name == "b.bvh"
    _, posed = _read_world_joints(path, [0, 9])
    ref = reference_joints(recon, body, "B")
    np.testing.assert_allclose(posed[1]["left_wrist"], ref[19, JOINT_INDEX["left_wrist"]], atol=1e-3)
    assert bvhio.readAsBvh(str(path)).FrameCount == 10


def test_bvh_refuses_both_people_in_one_file(tmp_path):
    with pytest.raises(ExportError, match="one skeleton per file"):
        export(make_recon(5), tmp_path / "x.bvh", body=StickBody(), combined=True)

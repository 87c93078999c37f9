"""The pair-relative frame: A at the origin facing +Z, invariant to where the pair stands, exact round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from engine_support import generated, single_thread  # noqa: F401 (fixture)
from inference.engine.bodies import pair_rest_joints
from inference.engine.guidance import window_joints
from inference.engine.pair_frame import body_heading
from inference.engine.window_io import read_window, recon_joints, write_window

pytestmark = pytest.mark.usefixtures("single_thread")


def _moved(recon, yaw, offset, rest):
    """The same pair turned by ``yaw`` about +Y and shifted by ``offset``."""
    turn = Rotation.from_euler("y", yaw)
    people = []
    for i, p in enumerate(recon.people):
        q = p.copy()
        q.global_orient = (turn * Rotation.from_rotvec(p.global_orient)).as_rotvec().astype(np.float32)
        pelvis = p.transl + rest[i, 0]
        q.transl = (turn.apply(pelvis) + offset - rest[i, 0]).astype(np.float32)
        people.append(q)
    return recon.replace_people(*people)


def test_features_put_a_at_the_origin_facing_forward_and_ignore_world_placement():
    recon = generated("push", 1, seconds=2.0)
    rest = pair_rest_joints(recon)
    trusted = np.ones((30, 2), bool)
    w = read_window(recon, 10, 40, trusted, rest)
    a_pelvis = w.features[0, 0, -3:]
    assert abs(a_pelvis[0]) < 1e-5 and abs(a_pelvis[2]) < 1e-5 and a_pelvis[1] > 0.5
    a_joints = window_joints(w.features[:1], w.rest_joints)[0, 0]
    assert abs(body_heading(a_joints).item()) < 1e-5
    moved = _moved(recon, 1.3, np.array([2.0, 0.0, -3.0]), rest)
    w2 = read_window(moved, 10, 40, trusted, rest)
    assert torch.allclose(w.features, w2.features, atol=1e-4)


def test_anchor_moves_to_b_when_a_is_hidden_in_the_whole_window():
    recon = generated("push", 1, seconds=2.0)
    rest = pair_rest_joints(recon)
    trusted = np.ones((30, 2), bool)
    trusted[:, 0] = False
    w = read_window(recon, 10, 40, trusted, rest)
    b_pelvis = w.features[0, 1, -3:]
    assert abs(b_pelvis[0]) < 1e-5 and abs(b_pelvis[2]) < 1e-5


def test_window_round_trip_reproduces_the_motion():
    recon = generated("dance_hold", 2, seconds=2.0)
    rest = pair_rest_joints(recon)
    trusted = np.ones((40, 2), bool)
    w = read_window(recon, 5, 45, trusted, rest)
    back = write_window(recon, w, w.features, rest, np.ones((40, 2), bool))
    assert np.abs(recon_joints(back, rest) - recon_joints(recon, rest)).max() < 1e-5
    assert np.array_equal(back.people[0].transl[:5], recon.people[0].transl[:5])


def _reframed(recon, pelvis_tilt, yaw, rest):
    """The pair with each pelvis frame turned by ``pelvis_tilt`` (root R·Q, hips and lower spine Qᵀ·L, as a rig
    with another pelvis convention stores the same motion) and the whole scene turned by ``yaw`` about +Y."""
    turn = Rotation.from_euler("y", yaw)
    people = []
    for i, p in enumerate(recon.people):
        q = p.copy()
        q.global_orient = (turn * Rotation.from_rotvec(p.global_orient) * pelvis_tilt).as_rotvec().astype(np.float32)
        for child in (0, 1, 2):  # body_pose rows of left_hip, right_hip, spine1
            q.body_pose[:, child] = (pelvis_tilt.inv() * Rotation.from_rotvec(p.body_pose[:, child])).as_rotvec()
        q.transl = (turn.apply(p.transl + rest[i, 0]) - rest[i, 0]).astype(np.float32)
        people.append(q)
    return recon.replace_people(*people)


@pytest.mark.parametrize("pitch_roll,yaw,prior", [((25, 0), 0.7, "network"), ((-25, 25), 2.5, "network"),
                                                  ((-25, 25), 2.5, "library")])
def test_infill_ignores_the_pelvis_convention_and_the_scene_heading(pitch_roll, yaw, prior):
    from inference.engine import InfillOptions, infill_segment
    from inference.segments import Segment

    recon = generated("walk_together", 5, seconds=3.0)
    rest = pair_rest_joints(recon)
    tilt = Rotation.from_euler("xz", pitch_roll, degrees=True)
    segment = Segment(30, 60, "B")
    options = InfillOptions(seed=0, prior=prior)
    plain = infill_segment(recon, segment, "", options)
    moved = infill_segment(_reframed(recon, tilt, yaw, rest), segment, "", options)
    expected = recon_joints(_reframed(plain, tilt, yaw, rest), rest)[30:60, 1]
    inputs_differ = np.linalg.norm(recon_joints(_reframed(recon, tilt, 0.0, rest), rest) - recon_joints(recon, rest),
                                   axis=-1).max()
    assert inputs_differ > 0.02  # the tilt really moves the stored root (and the hips with it)
    assert np.linalg.norm(recon_joints(moved, rest)[30:60, 1] - expected, axis=-1).max() < 0.005

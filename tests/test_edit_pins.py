"""Contacts and pins as values, the limb IK behind a dragged joint, the pin guidance term, and the judging
numbers — headless, on real motions posed by the real body model."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
import torch

from inference.body import load_body_model
from inference.describe.contacts import ContactConstraint
from inference.edit.contacts import Contact, SegmentContacts, changes
from inference.edit.judge import difference_mm, pin_distance_mm, segment_metrics
from inference.edit.pins import Pin, enforce, limb_joints
from inference.engine.bodies import pair_rest_joints
from inference.engine.guidance import ContactConstraint as EngineContact
from inference.engine.guidance import GuidanceWeights, PinConstraint, apply_guidance, guidance_terms
from inference.engine.window_io import guidance_problem, read_window, recon_joints
from inference.motion import MotionError
from inference.segments import Segment, TextVersion
from inference.session import Session, SessionError, load_session, save_session
from inference.skeleton import JOINT_INDEX

from app_support import make_reconstruction


@pytest.fixture(scope="module")
def posed():
    body = load_body_model(device="cpu")
    recon = make_reconstruction(40)
    rest = pair_rest_joints(recon, body)
    return recon, rest, recon_joints(recon, rest)


def test_dragged_wrist_is_met_and_the_edit_fades_out(posed) -> None:
    recon, rest, joints = posed
    j = JOINT_INDEX["right_wrist"]
    target = joints[20, 0, j] + np.array([0.05, 0.12, 0.04])
    pin = Pin("A", "right_wrist", 20, 21, tuple(target))
    out = enforce(recon, rest, joints, [pin])
    moved = recon_joints(out, rest)
    assert pin_distance_mm(moved, [pin]) < 1.0
    change = np.abs(moved - joints).max((1, 2, 3))
    assert change[:14].max() < 1e-5 and change[27:].max() < 1e-5  # outside ±6 frames nothing moves
    assert change[17] < change[19] < change[20]  # and it fades in
    assert np.abs(moved[:, 1] - joints[:, 1]).max() < 1e-5  # the other person is untouched


def test_a_pin_out_of_the_limbs_reach_moves_the_root_too(posed) -> None:
    recon, rest, joints = posed
    j = JOINT_INDEX["left_wrist"]
    target = joints[20, 1, j] + np.array([0.9, 0.0, 0.4])  # no arm reaches 1 m further: the body must follow
    pin = Pin("B", "left_wrist", 20, 21, tuple(target))
    out = enforce(recon, rest, joints, [pin])
    moved = recon_joints(out, rest)
    assert pin_distance_mm(moved, [pin]) < 1.0
    assert np.linalg.norm(out.people[1].transl[20] - recon.people[1].transl[20]) > 0.1


@pytest.mark.parametrize("joint", ["pelvis", "head", "left_ankle", "right_knee", "left_elbow"])
def test_every_pinnable_joint_reaches_a_nearby_target(posed, joint: str) -> None:
    recon, rest, joints = posed
    j = JOINT_INDEX[joint]
    bent = recon.people[1].copy()  # a reachable target: where the joint goes when its limb really bends
    for ancestor in limb_joints(j):
        bent.body_pose[:, ancestor - 1] += np.array([0.25, -0.2, 0.15], np.float32)
    bent.transl[:] += np.array([0.05, 0.0, -0.04], np.float32) if j == 0 else 0.0
    target = recon_joints(recon.replace_people(recon.people[0], bent), rest)[10, 1, j]
    assert np.linalg.norm(target - joints[10, 1, j]) > 0.03
    pin = Pin("B", joint, 8, 12, tuple(target))
    assert pin_distance_mm(recon_joints(enforce(recon, rest, joints, [pin]), rest), [pin]) < 2.0


def test_contact_closed_only_on_editable_frames(posed) -> None:
    recon, rest, joints = posed
    a, b = JOINT_INDEX["right_wrist"], JOINT_INDEX["left_wrist"]
    before = np.linalg.norm(joints[5:15, 0, a] - joints[5:15, 1, b], axis=-1)
    distance = float(before.min()) - 0.08  # every frame violates it by 8 cm or more
    contact = EngineContact(5, 15, a, b, distance)
    editable = np.zeros((40, 2), bool)
    editable[5:15, 0] = True
    moved = recon_joints(enforce(recon, rest, joints, contacts=[contact], editable=editable), rest)
    gap = np.linalg.norm(moved[5:15, 0, a] - moved[5:15, 1, b], axis=-1)
    assert gap.max() <= distance + 0.002
    assert np.abs(moved[15:] - joints[15:]).max() < 1e-5 and np.abs(moved[:, 1] - joints[:, 1]).max() < 1e-5


def test_contact_on_the_lower_back_moves_the_body_that_may_change(posed) -> None:
    """A's hand on B's lower back with only B editable (B hidden, A seen): the spine joint has no limb of its own
    between it and the root, so B's body moves to meet the hand (this stopped the app's infill with an L-BFGS
    error on an empty parameter list)."""
    recon, rest, joints = posed
    a, b = JOINT_INDEX["right_wrist"], JOINT_INDEX["spine1"]
    distance = float(np.linalg.norm(joints[5:15, 0, a] - joints[5:15, 1, b], axis=-1).min()) - 0.08
    editable = np.zeros((40, 2), bool)
    editable[5:15, 1] = True
    moved = recon_joints(enforce(recon, rest, joints, contacts=[EngineContact(5, 15, a, b, distance)],
                                 editable=editable), rest)
    assert np.linalg.norm(moved[5:15, 0, a] - moved[5:15, 1, b], axis=-1).max() <= distance + 0.002
    assert np.abs(moved[:, 0] - joints[:, 0]).max() < 1e-5  # A, seen, is untouched


def test_pin_guidance_term_pulls_the_joint_towards_its_target(posed) -> None:
    recon, rest, joints = posed
    window = read_window(recon, 0, 40, np.ones((40, 2), bool), rest)
    j = JOINT_INDEX["left_wrist"]
    target = tuple(joints[20, 0, j] + np.array([0.0, 0.1, 0.0]))
    problem = guidance_problem(window, np.ones((40, 2), bool), [], None, [PinConstraint(18, 23, 0, j, target)])
    weights = GuidanceWeights(**{**GuidanceWeights.none().__dict__, "pin": 1.0})
    before = guidance_terms(window.features, problem, weights)["pin"]
    assert float(before) == pytest.approx(5 * 0.1 ** 2, rel=0.15)  # 10 cm on 5 frames (through the 6D features)
    after = guidance_terms(apply_guidance(window.features, problem, weights, 30), problem, weights)["pin"]
    assert float(after) < 0.5 * float(before)
    assert torch.isfinite(after)


def test_segment_contacts_keep_hand_made_ones_across_text_edits() -> None:
    seg = Segment(10, 30, "both", history=(TextVersion("A hugs B.", "user"),))
    hand = Contact(ContactConstraint("B", "left_wrist", "A", ("head",), 12, 20, "head"), "hand")
    user = SegmentContacts().with_added(hand, seg)
    listed = user.resolve(seg)
    assert [c.origin for c in listed].count("text") == 2 and listed[-1] == hand
    hidden = user.without(listed[0])
    assert listed[0] not in hidden.resolve(seg) and hand in hidden.resolve(seg)
    edited = seg.with_text("A shakes B's hand.", "user")
    added, removed = changes(hidden.resolve(seg), hidden.resolve(edited))
    assert added and removed and hand in hidden.resolve(edited)
    assert SegmentContacts.from_json(hidden.to_json()) == hidden
    with pytest.raises(MotionError, match="inside the segment"):
        user.with_added(hand.with_range(5, 20), seg)
    with pytest.raises(MotionError):
        Pin("C", "head", 0, 1, (0.0, 0.0, 0.0))


def test_judging_numbers_see_a_change(posed) -> None:
    recon, rest, joints = posed
    pin = Pin("A", "right_wrist", 20, 21, tuple(joints[20, 0, JOINT_INDEX["right_wrist"]] + [0.0, 0.1, 0.0]))
    moved_recon = enforce(recon, rest, joints, [pin])
    moved = recon_joints(moved_recon, rest)
    diff = difference_mm(joints, moved)
    assert diff[20] == diff.max() > 1.0 and diff[0] == 0.0
    before = segment_metrics(recon, joints, 14, 27, [0], pins=[pin])
    after = segment_metrics(moved_recon, moved, 14, 27, [0], pins=[pin])
    assert before.pins == pytest.approx(100.0, abs=1.0) and after.pins < 1.0
    assert after.contacts is None and after.reprojection is None  # nothing to measure them against


@pytest.mark.parametrize("key,value", [("pins", [{"person": "C", "joint": "head", "start": 0, "stop": 1,
                                                  "target": [0, 0, 0]}]),
                                       ("pins", {"not": "a list"}),
                                       ("contacts", {"seg": {"added": [{"person": "A"}]}})])
def test_bad_contacts_or_pins_in_a_session_file_are_named(tmp_path, key: str, value) -> None:
    path = tmp_path / "s.smsession"
    save_session(Session(make_reconstruction(10)), path)
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(parts["manifest.json"])
    manifest[key] = value
    parts["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    with pytest.raises(SessionError, match=str(path)):
        load_session(path)

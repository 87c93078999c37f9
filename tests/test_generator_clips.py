"""Procedural interactions: determinism, physical plausibility, hands on their targets, labels matching motion."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from inference.body import load_body_model
from inference.generator import INTERACTION_KINDS, generate_clip
from inference.skeleton import BODY_PARENTS, JOINT_INDEX

REQUIRED_KINDS = {"handshake", "hug", "high_five", "push", "walk_together", "dance_hold"}
SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def body():
    return load_body_model(device="cpu")


@pytest.fixture(scope="module")
def clips(body):
    return {(k, s): generate_clip(k, s, body=body) for k in INTERACTION_KINDS for s in SEEDS}


def _posed(body, clip):
    return [body.pose_motion(p) for p in clip.reconstruction.people]


def test_required_kinds_exist():
    assert REQUIRED_KINDS <= set(INTERACTION_KINDS)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown interaction kind"):
        generate_clip("tango", 0)


@pytest.mark.parametrize("kind", INTERACTION_KINDS)
def test_same_seed_same_clip_other_seed_other_clip(kind, body, clips):
    again = generate_clip(kind, 0, body=body)
    first = clips[(kind, 0)]
    assert again.reconstruction.equals(first.reconstruction)
    assert again.label == first.label
    assert [c.to_json() for c in again.contacts] == [c.to_json() for c in first.contacts]
    other = clips[(kind, 1)].reconstruction
    assert not np.allclose(other.people[0].transl, first.reconstruction.people[0].transl)


@pytest.mark.parametrize("kind", INTERACTION_KINDS)
def test_motion_is_finite_and_reproduces_the_returned_joints(kind, body, clips):
    for seed in SEEDS:
        clip = clips[(kind, seed)]
        rec = clip.reconstruction
        assert rec.num_frames == 120 and rec.fps == 30.0 and rec.camera is not None
        for pid, out in zip("AB", _posed(body, clip)):
            assert torch.isfinite(out.vertices).all()
            # the stored SMPL-X parameters, posed by the body model, give the generator's joints
            np.testing.assert_allclose(out.joints.numpy(), clip.joints[pid], atol=2e-3)


@pytest.mark.parametrize("kind", INTERACTION_KINDS)
def test_feet_on_the_ground(kind, body, clips):
    """The lowest vertex of each body is at floor height on every frame (no floating, no sinking)."""
    for seed in SEEDS:
        for out in _posed(body, clips[(kind, seed)]):
            lowest = out.vertices[..., 1].min(dim=1).values.numpy()
            assert np.abs(lowest).max() < 0.02, lowest


@pytest.mark.parametrize("kind", INTERACTION_KINDS)
def test_bone_lengths_constant_over_time(kind, clips):
    for seed in SEEDS:
        for joints in clips[(kind, seed)].joints.values():
            bones = np.linalg.norm(joints[:, 1:] - joints[:, BODY_PARENTS[1:]], axis=-1)
            assert np.ptp(bones, axis=0).max() < 1e-4


@pytest.mark.parametrize("kind", INTERACTION_KINDS)
def test_hands_reach_their_targets_during_contact(kind, clips):
    for seed in SEEDS:
        clip = clips[(kind, seed)]
        for c in clip.contacts:
            wrist = clip.joints[c.person][c.start:c.stop, JOINT_INDEX[c.joint]]
            err = np.linalg.norm(wrist - c.targets, axis=-1)
            assert err.max() < 0.05, (kind, seed, c.person, c.joint, err.max())


@pytest.mark.parametrize("kind", ["handshake", "hug", "high_five", "push", "dance_hold", "shoulder_tap",
                                  "arm_around_shoulders"])
def test_contact_kinds_have_contacts(kind, clips):
    for seed in SEEDS:
        assert clips[(kind, seed)].contacts, (kind, seed)


def test_waving_is_contact_free(clips):
    for seed in SEEDS:
        clip = clips[("wave", seed)]
        assert not clip.contacts
        gap = np.linalg.norm(clip.joints["A"][:, None] - clip.joints["B"][:, :, None], axis=-1)
        assert gap.min() > 1.0


def test_contacts_are_where_the_label_says(clips):
    """Hand-to-hand contacts: the named hands are close; a hand on a shoulder is on *that* shoulder; hands on a
    back are behind it, on a chest in front."""
    for (kind, seed), clip in clips.items():
        for c in clip.contacts:
            mine = clip.joints[c.person][c.start:c.stop, JOINT_INDEX[c.joint]]
            theirs = clip.joints[c.other][c.start:c.stop, JOINT_INDEX[c.part]]
            if c.part.endswith("wrist"):
                assert np.linalg.norm(mine - theirs, axis=-1).max() < 0.2, (kind, seed, c)
            elif c.part.endswith("shoulder"):  # on top of that shoulder, not the other one
                other_side = c.part.replace("left", "x").replace("right", "left").replace("x", "right")
                elsewhere = clip.joints[c.other][c.start:c.stop, JOINT_INDEX[other_side]]
                assert np.linalg.norm(mine - theirs, axis=-1).max() < 0.12, (kind, seed, c)
                assert (np.linalg.norm(mine - elsewhere, axis=-1) > 0.2).all(), (kind, seed, c)
            elif c.part.startswith("spine"):
                other = clip.joints[c.other][c.start:c.stop]
                forward = _forward(other)
                depth = np.sum((mine - theirs) * forward, -1)
                if "back" in c.region:
                    assert depth.max() < 0.0, (kind, seed, c.region, depth.max())
                else:
                    assert depth.min() > 0.0, (kind, seed, c.region, depth.min())


def _forward(joints: np.ndarray) -> np.ndarray:
    """Facing direction from the hips (left hip − right hip is the person's left; forward = left × up)."""
    left = joints[:, JOINT_INDEX["left_hip"]] - joints[:, JOINT_INDEX["right_hip"]]
    fwd = np.cross(left, np.array([0.0, 1.0, 0.0]))
    return fwd / np.linalg.norm(fwd, axis=-1, keepdims=True)


def test_handshake_uses_right_hands_and_says_so(clips):
    for seed in SEEDS:
        clip = clips[("handshake", seed)]
        assert "right hands" in clip.label
        assert {(c.person, c.joint, c.part) for c in clip.contacts} == {
            ("A", "right_wrist", "right_wrist"), ("B", "right_wrist", "right_wrist")}


def test_hug_label_matches_who_hugs_high(clips):
    for seed in SEEDS:
        clip = clips[("hug", seed)]
        m = re.search(r"([AB]) wraps both arms around ([AB])'s upper back", clip.label)
        assert m, clip.label
        high = m.group(1)
        parts = {c.person: c.part for c in clip.contacts}
        assert parts[high] == "spine3" and parts["B" if high == "A" else "A"] == "spine2"
        assert {c.joint for c in clip.contacts if c.person == high} == {"left_wrist", "right_wrist"}


def test_every_named_hand_has_a_contact_with_that_hand():
    """Labels like "A's left hand ... B's right hand" name exactly the wrists in the contact list."""
    for kind in ("high_five", "walk_together", "dance_hold", "shoulder_tap", "arm_around_shoulders"):
        for seed in range(8):
            clip = generate_clip(kind, seed)
            named = set(re.findall(r"([AB])'s (left|right) hand", clip.label))
            in_contact = {(c.person, c.joint.split("_")[0]) for c in clip.contacts}
            assert named <= in_contact, (kind, seed, clip.label, in_contact)
            if kind == "walk_together" and "holding hands" not in clip.label:
                assert not clip.contacts


def test_other_frame_rates_and_durations():
    clip = generate_clip("handshake", 3, fps=24, seconds=3.0, width=320, height=240)
    assert clip.reconstruction.num_frames == 72
    assert clip.reconstruction.camera.width == 320
    with pytest.raises(ValueError):
        generate_clip("handshake", 3, seconds=1.0)


def test_camera_frames_both_people(clips):
    for (kind, seed), clip in clips.items():
        cam = clip.reconstruction.camera
        for joints in clip.joints.values():
            uvz = cam.project(joints)
            assert (uvz[..., 2] > 0.5).all()
            assert (uvz[..., 0] > 0).all() and (uvz[..., 0] < cam.width).all(), (kind, seed)
            assert (uvz[..., 1] > 0).all() and (uvz[..., 1] < cam.height).all(), (kind, seed)


@pytest.mark.parametrize("kind", ["walk_together", "dance_hold"])
def test_planted_feet_barely_slide(kind, clips):
    """The lower ankle (the one carrying the body) stays nearly still on the ground while the pair moves."""
    speeds = []
    for seed in SEEDS:
        for joints in clips[(kind, seed)].joints.values():
            ankles = joints[:, [JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"]]]
            lower = np.argmin(ankles[..., 1], axis=1)
            planted = ankles[np.arange(len(joints)), lower][:, [0, 2]]
            same_foot = lower[1:] == lower[:-1]
            speeds += list(np.linalg.norm(np.diff(planted, axis=0), axis=-1)[same_foot] * 30.0)
    assert np.median(speeds) < 0.2, np.median(speeds)  # walking pace is ~1.1 m/s


@pytest.mark.parametrize("seconds", [2.0, 4.0])
def test_people_move_at_human_speeds(seconds, body):
    """Approaches shorten rather than rush when the clip is short: the pelvis never outruns a brisk walk."""
    for kind in INTERACTION_KINDS:
        for seed in SEEDS:
            clip = generate_clip(kind, seed, seconds=seconds, body=body)
            for joints in clip.joints.values():
                speed = np.linalg.norm(np.diff(joints[:, 0, [0, 2]], axis=0), axis=-1) * 30.0
                assert speed.max() < 1.6, (kind, seed, seconds, speed.max())

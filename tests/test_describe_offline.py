"""The offline describer on the procedural generator's clips: right interaction, right hands, right sides."""

from __future__ import annotations

import re

import numpy as np
import pytest

from inference.describe import DescribeInput, OfflineDescriber, parse_contacts
from inference.describe.capsules import segment_closest
from inference.describe.parts import lookup
from inference.describe.evaluate import joint_group, parsed_pairs, predicted_pairs, region_group, truth_pairs
from inference.motion import PersonMotion, Reconstruction
from inference.segments import Segment

from describe_support import clip, mirror

OTHER = {"left": "right", "right": "left"}


@pytest.fixture(scope="module")
def describer() -> OfflineDescriber:
    return OfflineDescriber()


def describe(describer: OfflineDescriber, recon, start: int = 0, stop: int | None = None):
    return describer.describe(DescribeInput(recon, Segment(start, stop or recon.num_frames)))


def sentences(text: str) -> set[str]:
    """Contact sentences without their frame ranges (those may shift by a frame under mirroring)."""
    return {re.sub(r" from frame \d+ to \d+", "", s) for s in re.split(r"(?<=\.) ", text) if "'s" in s}


def swap_sides(text: str) -> str:
    return re.sub(r"\b(left|right)\b", lambda m: OTHER[m.group(1)], text)


def test_handshake_names_the_right_hands(describer: OfflineDescriber) -> None:
    c = clip("handshake", 0)
    d = describe(describer, c.reconstruction)
    assert d.details["kind"] == "handshake" and d.text.startswith("A and B shake hands.")
    assert "A's right hand holds B's right hand" in d.text
    assert "facing each other" in d.text


@pytest.mark.parametrize("seed", [0, 2])
def test_high_five_names_each_hand_pair(describer: OfflineDescriber, seed: int) -> None:
    c = clip("high_five", seed)
    d = describe(describer, c.reconstruction)
    assert d.details["kind"] == "high_five" and "high five" in d.text
    for contact in c.contacts:
        if contact.person == "A":
            side, other_side = contact.joint.split("_")[0], contact.part.split("_")[0]
            assert f"A's {side} hand touches B's {other_side} hand" in d.text


def test_hug_puts_both_hands_on_the_back_region_the_label_names(describer: OfflineDescriber) -> None:
    c = clip("hug", 0)
    d = describe(describer, c.reconstruction)
    assert d.details["kind"] == "hug" and "hug" in d.text.split(".")[0]
    for contact in c.contacts:
        said = re.search(rf"{contact.person}'s hands are on {contact.other}'s ([a-z ]+?)(?: from|\.)", d.text)
        assert said and lookup(said.group(1))[0] == lookup(contact.region)[0], (contact.region, d.text)


def test_push_names_pusher_hands_and_who_moves_away(describer: OfflineDescriber) -> None:
    d = describe(describer, clip("push", 0).reconstruction)
    assert d.details["kind"] == "push"
    assert d.text.startswith("A pushes B away.")
    assert "A's hands are on B's chest" in d.text
    assert re.search(r"B moves [0-9.]+ m away from A", d.text)


@pytest.mark.parametrize("seed", [0, 3])
def test_walking_side_by_side_says_on_which_side(describer: OfflineDescriber, seed: int) -> None:
    c = clip("walk_together", seed)
    side = re.search(r"B on A's (left|right)", c.label).group(1)
    d = describe(describer, c.reconstruction)
    assert d.details["kind"] == "walk_together"
    assert d.text.startswith(f"A and B walk side by side, B on A's {side}")
    assert "Both walk forward" in d.text
    holding = [x for x in c.contacts if x.person == "A"]
    for contact in holding:
        assert f"A's {contact.joint.split('_')[0]} hand holds B's {contact.part.split('_')[0]} hand" in d.text
    assert ("holding hands" in d.text) == bool(holding)


def test_wave_from_a_distance_names_the_raised_hands(describer: OfflineDescriber) -> None:
    c = clip("wave", 0)
    a_side, b_side = re.search(r"A waves at B with the (\w+) hand, and B waves back with the (\w+) hand",
                               c.label).groups()
    d = describe(describer, c.reconstruction)
    assert d.details["kind"] == "wave" and d.details["contacts"] == []
    assert d.text.startswith(f"A waves at B with the {a_side} hand, and B waves back with the {b_side} hand.")


def test_arm_around_shoulders_names_arm_and_shoulder(describer: OfflineDescriber) -> None:
    c = clip("arm_around_shoulders", 0)
    side = re.search(r"B on A's (left|right)", c.label).group(1)
    d = describe(describer, c.reconstruction)
    assert d.details["kind"] == "arm_around_shoulders"
    assert f"A puts the {side} arm around B's shoulders." in d.text
    assert f"A's {side} hand is on B's {side} shoulder" in d.text


@pytest.mark.parametrize("kind,seed", [("handshake", 0), ("walk_together", 3), ("dance_hold", 0),
                                       ("shoulder_tap", 0), ("high_five", 0)])
def test_mirroring_a_clip_swaps_left_and_right_in_the_text(describer: OfflineDescriber, kind: str,
                                                           seed: int) -> None:
    recon = clip(kind, seed).reconstruction
    text = describe(describer, recon).text
    mirrored = describe(describer, mirror(recon)).text
    assert re.search(r"\b(left|right)\b", text)
    assert sentences(mirrored) == sentences(swap_sides(text))
    assert sentences(mirrored) != sentences(text)


def test_contacts_agree_with_the_generator_labels(describer: OfflineDescriber) -> None:
    """Every kind, two held-out seeds: contact pairs (who, which hand, whose which part) match the truth."""
    from inference.generator.clip import INTERACTION_KINDS

    tp = fp = fn = 0
    for kind in INTERACTION_KINDS:
        for seed in (2000, 2001):
            c = clip(kind, seed)
            d = describe(describer, c.reconstruction)
            assert d.details["kind"] == kind, (kind, seed, d.text)
            an = describer.analyse(DescribeInput(c.reconstruction, Segment(0, c.reconstruction.num_frames)))
            truth, found = set(truth_pairs(c.contacts)), set(predicted_pairs(an.contacts))
            tp, fp, fn = tp + len(truth & found), fp + len(found - truth), fn + len(truth - found)
    assert tp / (tp + fn) >= 0.9 and tp / (tp + fp) >= 0.85, (tp, fp, fn)


def test_description_round_trips_through_the_contact_parser(describer: OfflineDescriber) -> None:
    for kind, seed in (("dance_hold", 0), ("hug", 1), ("push", 0), ("high_five", 2)):
        recon = clip(kind, seed).reconstruction
        an = describer.analyse(DescribeInput(recon, Segment(0, recon.num_frames)))
        text = describe(describer, recon).text
        parsed = parse_contacts(text, 0, recon.num_frames)
        assert parsed_pairs(parsed) == set(predicted_pairs(an.contacts, ("hand", "arm"))), text
        stated = {(c.person, f"{c.side}_wrist"): (c.start, c.stop) for c in an.contacts if c.part == "hand"}
        for constraint in parsed:  # frame ranges survive the text (inclusive "to" → half-open stop)
            partial = constraint.stop - constraint.start < recon.num_frames
            if (constraint.person, constraint.joint) in stated and partial:
                start, stop = stated[(constraint.person, constraint.joint)]  # a left+right pair shares one span
                assert constraint.start <= start and constraint.stop >= stop
                assert constraint.stop - constraint.start <= 1.25 * (stop - start)


def test_a_segment_describes_only_its_frames(describer: OfflineDescriber) -> None:
    c = clip("handshake", 0)
    (contact,) = [x for x in c.contacts if x.person == "A"]
    before = describe(describer, c.reconstruction, 0, contact.start - 15)
    during = describe(describer, c.reconstruction, contact.start + 5, contact.stop - 5)
    assert "hand" not in before.text and before.details["contacts"] == []
    assert "A's right hand holds B's right hand." in during.text  # the whole segment: no frame range stated


def test_a_hand_about_to_touch_is_near_but_not_in_contact(describer: OfflineDescriber) -> None:
    recon = clip("handshake", 0).reconstruction
    touch = describe(describer, recon).details["contacts"][0]["start"]  # the first frame the hands touch
    d = describe(describer, recon, touch - 20, touch)
    assert d.details["contacts"] == []
    m = re.search(r"A's right hand comes within (\d+) cm of B's right hand at frame (\d+)\.", d.text)
    assert m and 4 <= int(m.group(1)) < 15 and int(m.group(2)) == touch - 1, d.text
    assert parse_contacts(d.text, touch - 20, touch) == []  # "near" is no contact


def frozen(recon: Reconstruction, frames: int, spread: float) -> Reconstruction:
    """Both people held in their first pose for ``frames`` frames, B moved ``spread`` metres along +X."""
    people = []
    for i, p in enumerate(recon.people):
        transl = np.repeat(p.transl[:1], frames, 0) + np.array([spread * i, 0, 0], np.float32)
        people.append(PersonMotion(np.repeat(p.global_orient[:1], frames, 0), np.repeat(p.body_pose[:1], frames, 0),
                                   transl, p.betas))
    return Reconstruction(tuple(people), recon.fps)


def test_people_far_apart_and_still(describer: OfflineDescriber) -> None:
    d = describe(describer, frozen(clip("walk_together", 0).reconstruction, 20, 3.0))
    assert d.details["contacts"] == [] and d.details["zone"] in {"social", "public"}
    assert "Neither moves from their place." in d.text


def test_region_groups_line_up_with_joint_groups() -> None:
    assert joint_group("spine3") == region_group("upper back", None) == "trunk"
    assert joint_group("right_shoulder") == region_group("shoulder", "right") == "right shoulder"
    assert joint_group("left_wrist") == region_group("hand", "left") == "left hand"


def test_segment_closest_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    p1, q1, p2, q2 = (rng.normal(size=(60, 3)) for _ in range(4))
    q2[:10] = p2[:10] + 1e-3 * rng.normal(size=(10, 3))  # nearly degenerate second segments
    q1[10:20] = p1[10:20] + (q2[10:20] - p2[10:20])  # parallel segments
    dist, c1, c2 = segment_closest(p1, q1, p2, q2)
    s = np.linspace(0, 1, 201)
    a = p1[:, None] + s[None, :, None] * (q1 - p1)[:, None]
    b = p2[:, None] + s[None, :, None] * (q2 - p2)[:, None]
    brute = np.linalg.norm(a[:, :, None] - b[:, None], axis=-1).min(axis=(1, 2))
    assert np.all(dist <= brute + 1e-9) and np.allclose(dist, brute, atol=1e-2)
    assert np.allclose(np.linalg.norm(c1 - c2, axis=-1), dist)


def test_evaluation_command_runs_and_reports(capsys: pytest.CaptureFixture[str]) -> None:
    from inference.describe.evaluate import main

    assert main(["--kinds", "handshake", "push", "--per-kind", "1", "--windows", "1"]) == 0
    out = capsys.readouterr().out
    assert "clips: 2" in out and "interaction kind accuracy: 2/2" in out
    assert "hand contacts (describer vs generator): precision 100.0%, recall 100.0%" in out
    assert "in 2 random 1-2 s segments" in out

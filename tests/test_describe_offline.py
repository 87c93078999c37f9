"""The offline describer on the procedural generator's clips: right interaction, right hands, right sides."""

from __future__ import annotations

import re

import numpy as np
import pytest

from inference.describe import DescribeInput, OfflineDescriber, parse_contacts
from inference.describe.capsules import segment_closest
from inference.describe.contact_list import contacts_from_json
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


def swap_sides(text: str) -> str:
    return re.sub(r"(left|right)", lambda m: OTHER[m.group(1)], text)


def clauses(text: str) -> set[str]:
    return set(re.split(r"; | and |\. |, ", text.rstrip(".")))


def stated(d, person: str = "A") -> set[tuple[str, str, str]]:
    """(joint, other, region) of ``person``'s contacts in a description's contact list."""
    return {(c.joint, c.other, c.region) for c in contacts_from_json(d.details["contacts"]) if c.person == person}


def short(text: str) -> bool:
    """A sentence or two a person would edit, without frame numbers or distances."""
    return len(re.findall(r"[.!?](?:\s|$)", text)) <= 2 and len(text) < 220 and not re.search(r"\d", text)


def test_handshake_names_the_right_hands(describer: OfflineDescriber) -> None:
    c = clip("handshake", 0)
    d = describe(describer, c.reconstruction)
    assert d.details["kind"] == "handshake" and d.text.startswith("A and B shake hands.") and short(d.text)
    assert ("right_wrist", "B", "right hand") in stated(d)
    assert d.details["facing"] == "facing each other"


@pytest.mark.parametrize("seed", [0, 2])
def test_high_five_names_each_hand_pair(describer: OfflineDescriber, seed: int) -> None:
    c = clip("high_five", seed)
    d = describe(describer, c.reconstruction)
    assert d.details["kind"] == "high_five" and "high five" in d.text and short(d.text)
    for contact in c.contacts:
        if contact.person == "A":
            other_side = contact.part.split("_")[0]
            assert (contact.joint, "B", f"{other_side} hand") in stated(d)


def test_hug_puts_both_hands_on_the_back_region_the_label_names(describer: OfflineDescriber) -> None:
    c = clip("hug", 0)
    d = describe(describer, c.reconstruction)
    assert d.details["kind"] == "hug" and d.text.startswith("A and B hug each other.") and short(d.text)
    for contact in c.contacts:
        regions = {region for joint, _, region in stated(d, contact.person) if joint == contact.joint}
        assert {lookup(r)[0] for r in regions} == {lookup(contact.region)[0]}, (contact, d.details["contacts"])


def test_push_names_pusher_hands_and_who_moves_away(describer: OfflineDescriber) -> None:
    d = describe(describer, clip("push", 0).reconstruction)
    assert d.details["kind"] == "push"
    assert d.text.startswith("A pushes B away; A's hands are on B's chest.") and short(d.text)
    assert {("left_wrist", "B", "chest"), ("right_wrist", "B", "chest")} <= stated(d)


@pytest.mark.parametrize("seed", [0, 3])
def test_walking_side_by_side_says_on_which_side(describer: OfflineDescriber, seed: int) -> None:
    c = clip("walk_together", seed)
    side = re.search(r"B on A's (left|right)", c.label).group(1)
    d = describe(describer, c.reconstruction)
    assert d.details["kind"] == "walk_together"
    assert d.text.startswith(f"A and B walk side by side, B on A's {side}") and short(d.text)
    holding = [x for x in c.contacts if x.person == "A"]
    for contact in holding:
        assert (contact.joint, "B", f"{contact.part.split('_')[0]} hand") in stated(d)
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
    assert f"A puts the {side} arm around B's shoulders." in d.text and short(d.text)
    assert (f"{side}_wrist", "B", f"{side} shoulder") in stated(d)


@pytest.mark.parametrize("kind,seed", [("handshake", 0), ("walk_together", 3), ("dance_hold", 0),
                                       ("shoulder_tap", 0), ("high_five", 0)])
def test_mirroring_a_clip_swaps_left_and_right_in_the_text(describer: OfflineDescriber, kind: str,
                                                           seed: int) -> None:
    recon = clip(kind, seed).reconstruction
    d, m = describe(describer, recon), describe(describer, mirror(recon))
    both = lambda d: {(c.person, c.joint, c.region) for c in contacts_from_json(d.details["contacts"])}  # noqa: E731
    assert re.search(r"\b(left|right)\b", d.text + m.text)
    if kind != "handshake":  # "shake hands" is right hand in right hand; its mirror image is a left-hand hold
        assert clauses(m.text) == clauses(swap_sides(d.text))
    assert both(m) == {tuple(swap_sides(x) for x in c) for c in both(d)} != both(d)


def test_contacts_agree_with_the_generator_labels(describer: OfflineDescriber) -> None:
    """Every kind, two held-out seeds: contact pairs (who, which hand, whose which part) match the truth."""
    from inference.generator.clip import INTERACTION_KINDS

    tp = fp = fn = 0
    for kind in INTERACTION_KINDS:
        for seed in (2000, 2001):
            c = clip(kind, seed)
            d = describe(describer, c.reconstruction)
            assert d.details["kind"] == kind, (kind, seed, d.text)
            an, _ = describer.analyse(DescribeInput(c.reconstruction, Segment(0, c.reconstruction.num_frames)))
            truth, found = set(truth_pairs(c.contacts)), set(predicted_pairs(an.contacts))
            tp, fp, fn = tp + len(truth & found), fp + len(found - truth), fn + len(truth - found)
    assert tp / (tp + fn) >= 0.9 and tp / (tp + fp) >= 0.85, (tp, fp, fn)


def test_text_and_contact_list_agree_with_the_analysis(describer: OfflineDescriber) -> None:
    """The list holds every intended hand/arm contact with its own frames; everything the short text states is
    in the list (no contact the estimate does not show), and the text names the main hand contact."""
    for kind, seed in (("dance_hold", 0), ("hug", 1), ("push", 0), ("high_five", 2)):
        recon = clip(kind, seed).reconstruction
        an, _ = describer.analyse(DescribeInput(recon, Segment(0, recon.num_frames)))
        d = describe(describer, recon)
        listed = contacts_from_json(d.details["contacts"])
        assert {c.source for c in listed} == {"estimate"}
        assert parsed_pairs(listed) == set(predicted_pairs(an.contacts, ("hand", "arm"))), d.details["contacts"]
        spans = {(c.person, f"{c.side}_wrist", c.start, c.stop) for c in an.active if c.part in ("hand", "arm")}
        assert {(c.person, c.joint, c.start, c.stop) for c in listed} == spans  # frames survive exactly
        from_text = {(c.person, c.joint, c.other) for c in parse_contacts(d.text, 0, recon.num_frames)}
        assert from_text and from_text <= {(c.person, c.joint, c.other) for c in listed}, d.text


def test_a_segment_describes_only_its_frames(describer: OfflineDescriber) -> None:
    c = clip("handshake", 0)
    (contact,) = [x for x in c.contacts if x.person == "A"]
    before = describe(describer, c.reconstruction, 0, contact.start - 15)
    during = describe(describer, c.reconstruction, contact.start + 5, contact.stop - 5)
    assert "hand" not in before.text and before.details["contacts"] == []
    assert during.text.startswith("A and B shake hands.")
    (a_holds,) = [c for c in contacts_from_json(during.details["contacts"]) if c.person == "A"]
    assert (a_holds.joint, a_holds.start, a_holds.stop) == ("right_wrist", contact.start + 5, contact.stop - 5)


def test_a_hand_about_to_touch_is_near_but_not_in_contact(describer: OfflineDescriber) -> None:
    recon = clip("handshake", 0).reconstruction
    touch = describe(describer, recon).details["contacts"][0]["start"]  # the first frame the hands touch
    d = describe(describer, recon, touch - 20, touch)
    assert d.details["contacts"] == []
    near = [n for n in d.details["near"] if n["person"] == "A" and n["side"] == "right" and n["region"] == "hand"]
    assert near and 0.04 <= near[0]["gap"] < 0.15 and near[0]["frame"] == touch - 1, d.details["near"]
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
    assert d.text in ("A and B stand apart.", "A and B stand facing each other.")  # nobody moves: nothing more


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

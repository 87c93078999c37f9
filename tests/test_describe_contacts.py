"""The contact parser on a table of sentences, and the constraint dataclass's checks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference.describe import ContactConstraint, parse_contacts, segment_contacts
from inference.segments import USER_AUTHOR, Segment

BACK = ("spine1", "spine2", "spine3")
SHOULDERS = ("left_collar", "left_shoulder", "right_collar", "right_shoulder")

# sentence -> expected (person, joint, other, target_joints, start, stop) over a segment [0, 50)
TABLE: list[tuple[str, list[tuple]]] = [
    ("A's left hand is on B's back.", [("A", "left_wrist", "B", BACK, 0, 50)]),
    ("B puts her right arm around A's waist.", [("B", "right_wrist", "A", ("pelvis", "spine1"), 0, 50)]),
    ("The right hand of A holds B's left hand.", [("A", "right_wrist", "B", ("left_wrist",), 0, 50)]),
    ("A's hands rest on B's shoulders.", [("A", "left_wrist", "B", SHOULDERS, 0, 50),
                                          ("A", "right_wrist", "B", SHOULDERS, 0, 50)]),
    ("A pats B on the back.", [("A", "right_wrist", "B", BACK, 0, 50)]),
    ("A taps B on the right shoulder with the left hand.",
     [("A", "left_wrist", "B", ("right_collar", "right_shoulder"), 0, 50)]),
    ("Person B grabs A's right forearm at frame 5.", [("B", "right_wrist", "A", ("right_elbow", "right_wrist"), 5, 6)]),
    ("A's right hand touches B's left shoulder from frame 10 to 20.",
     [("A", "right_wrist", "B", ("left_collar", "left_shoulder"), 10, 21)]),
    ("frames 30-12: B's left palm presses against the lower back of A.",
     [("B", "left_wrist", "A", ("pelvis", "spine1"), 12, 31)]),
    ("A's left hand is on B's back and B's right hand is on A's shoulder.",
     [("A", "left_wrist", "B", BACK, 0, 50), ("B", "right_wrist", "A", SHOULDERS, 0, 50)]),
    ("B wraps both arms around A's upper back and A wraps both arms around B's middle back.",
     [("B", "left_wrist", "A", ("spine3",), 0, 50), ("B", "right_wrist", "A", ("spine3",), 0, 50),
      ("A", "left_wrist", "B", ("spine2",), 0, 50), ("A", "right_wrist", "B", ("spine2",), 0, 50)]),
    ("They high-five (A's right hand meets B's left, A's left hand meets B's right).",
     [("A", "right_wrist", "B", ("left_wrist",), 0, 50), ("A", "left_wrist", "B", ("right_wrist",), 0, 50)]),
    ("A's right foot pushes against B's left shin, while B's hand is on the back of A.",
     [("A", "right_foot", "B", ("left_knee", "left_ankle"), 0, 50), ("B", "right_wrist", "A", BACK, 0, 50)]),
    ("A and B shake hands.", [("A", "right_wrist", "B", ("right_wrist",), 0, 50),
                              ("B", "right_wrist", "A", ("right_wrist",), 0, 50)]),
    ("A hugs B.", [("A", "left_wrist", "B", BACK, 0, 50), ("A", "right_wrist", "B", BACK, 0, 50)]),
    ("A and B hug each other.", [("A", "left_wrist", "B", BACK, 0, 50), ("A", "right_wrist", "B", BACK, 0, 50),
                                 ("B", "left_wrist", "A", BACK, 0, 50), ("B", "right_wrist", "A", BACK, 0, 50)]),
    # a stated spot beats the one the verb implies; stated frames beat the whole segment
    ("A hugs B. A's left hand is on B's upper back.",
     [("A", "left_wrist", "B", ("spine3",), 0, 50), ("A", "right_wrist", "B", BACK, 0, 50)]),
    ("A taps B on the right shoulder with the left hand. A's left hand is on B's right shoulder from frame 45 to 81.",
     [("A", "left_wrist", "B", ("right_collar", "right_shoulder"), 45, 82)]),
    # nothing to constrain
    ("A does not touch B.", []),
    ("B's hand is no longer on A's back.", []),
    ("A and B walk side by side, holding hands.", []),
    ("They are 0.85 m apart (personal distance), facing each other.", []),
    ("A puts his left hand on his own knee.", []),
    ("A stands with their back to B.", []),
    ("B's left hand brushes A's right leg.", []),
    ("A's right hand comes within 9 cm of B's left hand at frame 88.", []),
    ("A puts the left arm around B's shoulders: A's left hand rests on B's left shoulder.",
     [("A", "left_wrist", "B", ("left_collar", "left_shoulder"), 0, 50)]),
]


@pytest.mark.parametrize("text,expected", TABLE, ids=[t for t, _ in TABLE])
def test_parse_table(text: str, expected: list[tuple]) -> None:
    got = [(c.person, c.joint, c.other, c.target_joints, c.start, c.stop) for c in parse_contacts(text, 0, 50)]
    assert got == expected


def test_a_segment_yields_the_contacts_of_its_current_text() -> None:
    seg = Segment(10, 40).with_text("A and B shake hands.", "offline describer v1")
    edited = seg.with_text("A's left hand is on B's back.", USER_AUTHOR)
    assert [(c.person, c.joint, c.start, c.stop) for c in segment_contacts(seg)] == [
        ("A", "right_wrist", 10, 40), ("B", "right_wrist", 10, 40)]
    assert [(c.person, c.joint, c.other, c.target_joints) for c in segment_contacts(edited)] == [
        ("A", "left_wrist", "B", BACK)]
    assert segment_contacts(Segment(0, 5)) == []


def test_constraints_carry_their_words_and_indices() -> None:
    (c,) = parse_contacts("B's left hand rests on A's right shoulder.", 3, 9)
    assert c.region == "right shoulder" and "rests on A's right shoulder" in c.clause
    assert c.joint_index == 20 and c.target_indices == (14, 17)


@pytest.mark.parametrize("kwargs,message", [
    (dict(person="A", joint="left_wrist", other="A", target_joints=("head",), start=0, stop=5), "person/other"),
    (dict(person="A", joint="left_paw", other="B", target_joints=("head",), start=0, stop=5), "unknown"),
    (dict(person="A", joint="left_wrist", other="B", target_joints=(), start=0, stop=5), "missing"),
    (dict(person="A", joint="left_wrist", other="B", target_joints=("head",), start=5, stop=5), "start < stop"),
])
def test_constraint_rejects_bad_fields(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ContactConstraint(**kwargs)


WORDS = ["A", "B", "A's", "B's", "person", "his", "her", "their", "own", "the", "other", "other's", "of", "left",
         "right", "both", "hand", "hands", "arm", "arms", "shoulder", "shoulders", "back", "upper", "lower", "waist",
         "head", "foot", "feet", "knee", "on", "around", "holds", "pats", "touches", "with", "and", "hug", "hugs",
         "shake", "not", "frame", "frames", "12", "to", "30", "-", ",", ".", ":", "(", ")", "meets", "at", "near"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=25))
def test_parser_never_fails_on_word_salad(words: list[str]) -> None:
    for c in parse_contacts(" ".join(words), 0, 40):
        assert isinstance(c, ContactConstraint) and c.person != c.other and c.start < c.stop


def test_contact_list_round_trips_through_json_and_reads_words() -> None:
    import json

    from inference.describe.contact_list import contacts_from_json, contacts_to_json

    text = "A hugs B. A's left hand is on B's upper back from frame 5 to 9. A and B shake hands."
    parsed = parse_contacts(text, 0, 50)
    items = json.loads(json.dumps(contacts_to_json(parsed)))  # JSON-safe
    assert contacts_from_json(items) == parsed and {i["source"] for i in items} == {"text"}
    assert items[0]["part"] == "left hand" and items[0]["region"] == "upper back"
    (by_hand,) = contacts_from_json([{"person": "B", "part": "left hand", "other": "A", "region": "right shoulder",
                                      "start": 3, "stop": 9, "source": "hand"}])
    assert (by_hand.joint, by_hand.target_joints, by_hand.source) == (
        "left_wrist", ("right_collar", "right_shoulder"), "hand")
    bad = [({"person": "A", "part": "left nose", "other": "B", "region": "back", "start": 0, "stop": 5},
            "contacts\\[0\\]: unknown body part 'left nose'"),
           ({"person": "A", "part": "hand", "other": "B", "region": "back", "start": 0},
            "contacts\\[0\\]: a contact needs 'stop'"),
           ({"person": "A", "part": "hand", "other": "B", "region": "back", "start": 0, "stop": 5, "source": "guess"},
            "source must be one of text, hand, estimate, vlm"),
           ({"person": "A", "part": "hand", "other": "A", "region": "back", "start": 0, "stop": 5},
            "person/other must be A and B")]
    for item, message in bad:
        with pytest.raises(ValueError, match=message):
            contacts_from_json([item])


def parse_work(text: str) -> int:
    """Python line events executed inside the parser's module while parsing ``text``: work, not wall time."""
    import sys

    from inference.describe import contacts

    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        if frame.f_code.co_filename != contacts.__file__:
            return None
        count += 1
        return tracer

    sys.settrace(tracer)
    try:
        contacts.parse_contacts(text, 0, 100)
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("unit", [
    # many sentences
    "A's left hand is on B's back from frame 10 to 20. A hugs B. B's right hand holds A's left hand. ",
    "A pats and ",  # one run-on clause of relations without a target
])
def test_parsing_work_grows_linearly_with_the_text(unit: str) -> None:
    small, large = parse_work(unit * 25), parse_work(unit * 100)
    assert large < 4.6 * small, (small, large)  # 4x the text; the quadratic parser did 11-12x the work


def test_only_the_first_part_of_a_huge_text_is_read() -> None:
    from inference.describe.contacts import MAX_CHARS

    filler = "They dance. " * (MAX_CHARS // 12 + 1)
    assert parse_contacts(filler + "A hugs B.", 0, 10) == []
    assert len(parse_contacts("A hugs B. " + filler, 0, 10)) == 2

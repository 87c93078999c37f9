"""What the vision-language model is asked, and how its answer becomes a description and a contact list.

The model gets key frames of the segment and of the visible frames around it, numbered in time order, with A and
B boxed in the overlay's colours, and is asked for JSON::

    {"description": "A and B dance holding hands; B turns under A's arm.",
     "contacts": [{"who": "B", "part": "right hand", "other_part": "left hand", "images": [2, 5]}]}

``images`` are the numbers of the first and last image the contact is seen in; they become frames of the segment
(a contact seen only in the context images is not the segment's). Small models answer loosely, so the answer is
repaired where that is safe (code fences, text around the object, trailing commas, single quotes, Python
literals) and each contact is checked on its own: a bad one is dropped with a message saying why, the rest kept.
An answer that is no JSON at all keeps its text as the description, and the contact parser reads what it states.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from ..segments import Segment
from .contact_list import joint_of, region_of
from .contacts import ContactConstraint, parse_contacts

PROMPT_VERSION = 2
PROMPT = (
    "These {n} images are frames, in time order, from a video of two people interacting. Images {first} to {last} "
    "are the moment to describe{context}. Person A is inside the {colour_a} box labelled A; person B is inside the "
    "{colour_b} box labelled B. Answer with JSON only, in exactly this form:\n"
    '{{"description": "<one or two short sentences saying who does what, e.g. A and B dance holding hands; B '
    'turns under A\'s arm.>", "contacts": [{{"who": "A", "part": "<A\'s body part, e.g. left hand>", '
    '"other_part": "<B\'s body part it touches, e.g. right shoulder>", "images": [<first image>, <last image>]}}]}}\n'
    "Left and right are that person's own. List every contact between them that you can see (hand, arm, "
    "shoulder, back, waist, chest, head…), with who as A or B; an empty list if they do not touch."
)
CONTEXT = ", the images before and after show the moments just before and after it"


def build_prompt(n: int, first: int, last: int, colours: tuple[str, str]) -> str:
    """The prompt for ``n`` images of which ``first``..``last`` (1-based) are the segment."""
    context = CONTEXT if (first, last) != (1, n) else ""
    return PROMPT.format(n=n, first=first, last=last, context=context, colour_a=colours[0], colour_b=colours[1])


def clean_answer(text: str) -> str:
    """The model's reply as one tidy paragraph (role echoes and special-token debris removed)."""
    text = re.sub(r"<[^<>\s]{1,40}>", " ", text)
    text = re.sub(r"^\s*(assistant|Assistant|model)\s*:?\s*", "", text)
    return " ".join(text.split())


@dataclass
class Answer:
    """A checked answer: the description, the contacts kept, and a message for everything repaired or dropped."""

    description: str
    contacts: list[ContactConstraint] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    structured: bool = False  # the contacts came from the JSON list (not from reading the text)


def _json_object(text: str) -> tuple[Optional[dict], list[str]]:
    """The JSON object in ``text`` (repaired where safe), and what was repaired."""
    body = re.sub(r"```(?:json)?", " ", text)
    start, stop = body.find("{"), body.rfind("}")
    if start < 0 or stop <= start:
        return None, []
    body = body[start:stop + 1]
    repairs = [("trailing commas", lambda s: re.sub(r",\s*([}\]])", r"\1", s)),
               ("single quotes", lambda s: re.sub(r"(?<![A-Za-z])'|'(?![A-Za-z])", '"', s)),
               ("Python literals", lambda s: re.sub(r"\bTrue\b|\bFalse\b|\bNone\b",
                                                    lambda m: {"True": "true", "False": "false"}.get(m[0], "null"), s))]
    done: list[str] = []
    for name, repair in [("", lambda s: s)] + repairs:
        fixed = repair(body)
        if fixed != body:
            done.append(name)
        body = fixed
        try:
            value = json.loads(body)
        except ValueError:
            continue
        return (value, [f"repaired the answer's JSON ({', '.join(done)})"] if done else []) \
            if isinstance(value, dict) else (None, [])
    return None, []


def _frames_of(item: dict, image_frames: Sequence[int], seg: Segment) -> tuple[int, int]:
    """The segment frames a contact's ``images`` span (the whole segment when it names none)."""
    images = item.get("images")
    if images is None:
        return seg.start, seg.stop
    if isinstance(images, int):
        images = [images, images]
    if not (isinstance(images, list) and len(images) == 2 and all(isinstance(i, int) for i in images)):
        raise ValueError(f"images must be [first, last] image numbers, got {images!r}")
    lo, hi = sorted(images)
    if lo < 1 or hi > len(image_frames):
        raise ValueError(f"images {images} are not among the {len(image_frames)} images shown")
    start, stop = max(image_frames[lo - 1], seg.start), min(image_frames[hi - 1] + 1, seg.stop)
    if start >= stop:
        raise ValueError("seen only in the images before or after the segment")
    return start, stop


def contact_of(item: Any, image_frames: Sequence[int], seg: Segment) -> ContactConstraint:
    """One JSON contact → a constraint (``source="vlm"``); ``ValueError`` says what is wrong with it."""
    if not isinstance(item, dict):
        raise ValueError(f"expected an object, got {item!r}")
    who = str(item.get("who", "")).strip().upper().removeprefix("PERSON ").strip()
    if who not in ("A", "B"):
        raise ValueError(f"who must be A or B, got {item.get('who')!r}")
    if not item.get("part") or not item.get("other_part"):
        raise ValueError("needs both part and other_part")
    joint = joint_of(str(item["part"]))
    targets, region = region_of(str(item["other_part"]))
    start, stop = _frames_of(item, image_frames, seg)
    other = "B" if who == "A" else "A"
    return ContactConstraint(who, joint, other, targets, start, stop, region,
                             f"{who}'s {item['part']} on {other}'s {item['other_part']}", "vlm")


def read_answer(raw: str, image_frames: Sequence[int], seg: Segment) -> Answer:
    """The model's raw reply → a checked ``Answer`` (see the module docstring). ``image_frames[i]`` is the frame of
    image ``i + 1``."""
    obj, problems = _json_object(raw)
    if obj is not None and not obj.get("description") and not obj.get("contacts"):
        obj = None  # an empty or unrelated object: read the text instead
    if obj is None:
        text = clean_answer(raw)
        contacts = [ContactConstraint(c.person, c.joint, c.other, c.target_joints, c.start, c.stop, c.region,
                                      c.clause, "vlm") for c in parse_contacts(text, seg.start, seg.stop)]
        return Answer(text, contacts, ["the answer was not the JSON asked for; its contacts were read from the text"])
    description = obj.get("description")
    if not isinstance(description, str) or not description.strip():
        problems.append("the answer has no description")
        description = ""
    items = obj.get("contacts", [])
    if not isinstance(items, list):
        problems.append(f"contacts must be a list, got {type(items).__name__}: ignored")
        items = []
    contacts = []
    for i, item in enumerate(items):
        try:
            contacts.append(contact_of(item, image_frames, seg))
        except ValueError as exc:
            problems.append(f"contacts[{i}] dropped: {exc}")
    return Answer(" ".join(description.split()), contacts, problems, structured=True)

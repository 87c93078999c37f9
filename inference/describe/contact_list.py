"""The contact list as JSON-safe dicts: what the app shows and edits, a description's ``details`` carries, and the
infiller consumes (``guidance.to_engine_contacts`` on ``contacts_from_json(...)``).

One dict per contact::

    {"person": "A", "part": "left hand", "joint": "left_wrist", "other": "B", "region": "right hand",
     "target_joints": ["right_wrist"], "start": 256, "stop": 300, "source": "estimate", "clause": ""}

``start``/``stop`` are frames, half-open. ``source`` says who stated it: ``text`` (parsed from the description),
``hand`` (the user added it), ``estimate`` (seen in the 3D estimate by the offline describer), ``vlm`` (a
vision-language model's answer). Reading back, ``joint`` may be left out when ``part`` names it in words ("left
hand", "right foot") and ``target_joints`` when ``region`` does ("back", "right shoulder"), so a person or a model
can write a contact in words.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from .contacts import SOURCES, ContactConstraint
from .parts import SIDES, effector_joint, lookup

_JOINT_WORDS = {"wrist": "hand", "ankle": "leg"}


def part_words(joint: str) -> str:
    """The words for an acting joint: ``left_wrist`` → "left hand", ``head`` → "head"."""
    side, _, rest = joint.partition("_")
    if side not in SIDES:
        return joint
    return f"{side} {_JOINT_WORDS.get(rest, rest)}"


def _split_side(words: str) -> tuple[Optional[str], str]:
    words = " ".join(str(words).lower().replace("_", " ").split())
    first, _, rest = words.partition(" ")
    return (first, rest) if first in SIDES and rest else (None, words)


def joint_of(words: str) -> str:
    """The joint a contact pins for a body part in words ("left hand" → ``left_wrist``; a sided part without a
    side is the right one, as in the parser)."""
    side, name = _split_side(words)
    part, plural = lookup(name)
    if part is None or plural:
        raise ValueError(f"unknown body part {words!r}: name one part such as 'left hand', 'right foot', 'head'")
    try:
        return effector_joint(part, side or ("right" if part.sided else None))
    except (KeyError, ValueError):
        raise ValueError(f"{words!r} cannot make a contact: use a hand, arm, elbow, foot, knee, leg, head, "
                         "shoulder or hip") from None


def region_of(words: str) -> tuple[tuple[str, ...], str]:
    """The joints spanning a touched region in words ("right shoulder", "back", "hands"), and its tidy words."""
    side, name = _split_side(words)
    part, plural = lookup(name)
    if part is None:
        raise ValueError(f"unknown body region {words!r}: e.g. 'back', 'right shoulder', 'left hand', 'waist'")
    if plural:
        return part.joints_for(None), part.plural
    joints = part.joints_for(side)
    return joints, f"{side} {part.name}" if side and part.sided else part.name


def contact_to_json(c: ContactConstraint) -> dict[str, Any]:
    return {"person": c.person, "part": part_words(c.joint), "joint": c.joint, "other": c.other,
            "region": c.region, "target_joints": list(c.target_joints), "start": int(c.start), "stop": int(c.stop),
            "source": c.source, "clause": c.clause}


def contacts_to_json(contacts: Iterable[ContactConstraint]) -> list[dict[str, Any]]:
    """JSON-safe dicts, one per contact (see the module docstring)."""
    return [contact_to_json(c) for c in contacts]


def contact_from_json(item: Any, source: Optional[str] = None) -> ContactConstraint:
    """One dict → a constraint; ``source`` fills in a missing ``source``. Raises ``ValueError`` saying what is
    wrong."""
    if not isinstance(item, dict):
        raise ValueError(f"a contact must be an object, got {type(item).__name__}")
    try:
        joint = str(item["joint"]) if item.get("joint") else joint_of(item["part"])
        if item.get("target_joints"):
            targets = tuple(str(j) for j in item["target_joints"])
            region = str(item.get("region") or "")
        else:
            targets, region = region_of(item["region"])
        start, stop = int(item["start"]), int(item["stop"])
    except KeyError as exc:
        raise ValueError(f"a contact needs {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc)) from None
    origin = str(item.get("source") or source or "text")
    if origin not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, got {origin!r}")
    return ContactConstraint(str(item.get("person")), joint, str(item.get("other")), targets, start, stop, region,
                             str(item.get("clause") or ""), origin)


def contacts_from_json(items: Any, source: Optional[str] = None) -> list[ContactConstraint]:
    """A list of dicts → constraints; an error names the entry ("contacts[2]: …")."""
    if not isinstance(items, list):
        raise ValueError(f"contacts must be a list, got {type(items).__name__}")
    out = []
    for i, item in enumerate(items):
        try:
            out.append(contact_from_json(item, source))
        except ValueError as exc:
            raise ValueError(f"contacts[{i}]: {exc}") from None
    return out

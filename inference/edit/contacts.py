"""The contacts one segment's correction uses: those read from its text plus those the user added by hand.

Why a list of its own: the infiller follows the text almost only through the contacts the parser extracts, so a
misparse silently makes a correction worse. The app shows this list, and the infiller uses exactly it. Text
contacts are never stored: they are re-read from the current description, so text and list cannot disagree;
what the user changes is stored as ``added`` (hand-made or taken from the estimate) and ``hidden`` (parsed
contacts the user removed or replaced). Editing the text re-parses; hand-made contacts stay.

The contact itself is the parser's ``ContactConstraint`` (``inference.describe.contacts``); :class:`Contact` only
adds where it came from, so a richer contact type can replace it in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable

from ..describe.contact_list import contact_from_json, contact_to_json
from ..describe.contacts import ContactConstraint, parse_contacts
from ..motion import MotionError
from ..segments import Segment

ORIGINS = ("text", "hand", "estimate")


@dataclass(frozen=True)
class Contact:
    """One contact and where it came from: ``"text"`` (parsed), ``"hand"`` (the user), ``"estimate"``."""

    constraint: ContactConstraint
    origin: str = "hand"

    def __post_init__(self) -> None:
        if self.origin not in ORIGINS:
            raise MotionError(f"contact origin must be one of {ORIGINS}, got {self.origin!r}")
        if self.constraint.source != self.origin:  # one truth: the constraint's own source follows the origin
            object.__setattr__(self, "constraint", replace(self.constraint, source=self.origin))

    @property
    def start(self) -> int:
        return self.constraint.start

    @property
    def stop(self) -> int:
        return self.constraint.stop

    def label(self) -> str:
        """"A right wrist → B back/spine3" style text for lists and tooltips."""
        c = self.constraint
        target = c.region or "/".join(c.target_joints)
        return f"{c.person} {c.joint.replace('_', ' ')} → {c.other} {target.replace('_', ' ')}"

    def with_range(self, start: int, stop: int) -> "Contact":
        return replace(self, constraint=replace(self.constraint, start=int(start), stop=int(stop)))

    def to_json(self) -> dict[str, Any]:
        return {**contact_to_json(self.constraint), "origin": self.origin}

    @classmethod
    def from_json(cls, d: Any) -> "Contact":
        try:
            return cls(contact_from_json(d), str(d.get("origin", "hand")))
        except (AttributeError, ValueError) as exc:
            raise MotionError(f"contact {d!r} is not valid ({exc})") from None


def same_contact(a: Contact, b: Contact) -> bool:
    """Equal up to where it came from and the clause it was read from."""
    return replace(a.constraint, clause="", source="text") == replace(b.constraint, clause="", source="text")


@dataclass(frozen=True)
class SegmentContacts:
    """What the user changed about one segment's contacts (text contacts are derived, see the module doc)."""

    added: tuple[Contact, ...] = ()
    hidden: tuple[Contact, ...] = ()

    def resolve(self, segment: Segment) -> tuple[Contact, ...]:
        """The list the engine uses: the text's contacts the user kept, then the added ones."""
        parsed = [Contact(c, "text") for c in parse_contacts(segment.description, segment.start, segment.stop)]
        kept = [c for c in parsed if not any(same_contact(c, h) for h in self.hidden)]
        return tuple(kept) + self.added

    def with_added(self, contact: Contact, segment: Segment) -> "SegmentContacts":
        _check_inside(contact, segment)
        if contact.origin == "text":
            contact = replace(contact, origin="hand")
        return replace(self, added=self.added + (contact,))

    def without(self, contact: Contact) -> "SegmentContacts":
        """Remove a contact: an added one is dropped, a parsed one is hidden (the text still says it)."""
        if contact.origin == "text":
            return replace(self, hidden=self.hidden + (contact,))
        kept = tuple(c for c in self.added if c != contact)
        if len(kept) == len(self.added):
            raise MotionError(f"contact {contact.label()} is not in this segment's list")
        return replace(self, added=kept)

    def replaced(self, old: Contact, new: Contact, segment: Segment) -> "SegmentContacts":
        """``old`` edited into ``new`` (an edited parsed contact becomes the user's own)."""
        return self.without(old).with_added(new, segment)

    def to_json(self) -> dict[str, Any]:
        return {"added": [c.to_json() for c in self.added], "hidden": [c.to_json() for c in self.hidden]}

    @classmethod
    def from_json(cls, d: Any) -> "SegmentContacts":
        if not isinstance(d, dict):
            raise MotionError(f"segment contacts should be {{'added': [...], 'hidden': [...]}}, got {d!r}")
        return cls(tuple(Contact.from_json(c) for c in d.get("added", [])),
                   tuple(Contact.from_json(c) for c in d.get("hidden", [])))


def _check_inside(contact: Contact, segment: Segment) -> None:
    if not (segment.start <= contact.start < contact.stop <= segment.stop):
        raise MotionError(f"contact frames [{contact.start}, {contact.stop}) must lie inside the segment "
                          f"[{segment.start}, {segment.stop})")


def changes(before: Iterable[Contact], after: Iterable[Contact]) -> tuple[list[Contact], list[Contact]]:
    """(added, removed) between two lists: what a re-parse changed, for the user to see."""
    before, after = list(before), list(after)
    added = [c for c in after if not any(same_contact(c, b) for b in before)]
    removed = [c for c in before if not any(same_contact(c, a) for a in after)]
    return added, removed

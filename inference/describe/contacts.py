"""Contacts stated in a description → contact constraints for the infiller's and refiner's guidance.

A ``ContactConstraint`` says: over frames ``[start, stop)``, joint ``joint`` of ``person`` should touch the body
region of ``other`` spanned by ``target_joints`` (guidance pulls it to the nearest of those joints, so "B's
shoulder" without a side lets either shoulder satisfy it).

What the parser understands (English, one sentence or clause at a time):

* ``[A's|B's|his|her|their] [left|right|both] <part> … <relation> … [A's|B's|the other's] [left|right] <part>``,
  e.g. "A's left hand is on B's back", "B puts her right arm around A's waist", "the right hand of A holds B's
  left hand", "A's hands rest on B's shoulders"; relations: on, onto, upon, around, against, over, across,
  behind, under, at, to, touches, holds, grabs, grips, clasps, cups, strokes, pats, taps, pushes, presses, pulls.
* A person acting without a named limb uses a hand: "A pats B on the back", "B touches A's shoulder"; the
  limb may follow the target: "A taps B on the left shoulder with the right hand". An elided target repeats the
  acting part: "A's right hand meets B's left" (B's left hand).
* "A hugs B" / "A and B hug (each other)" / "embrace": each hugging person's wrists on the other's back.
* "shake hands" / "A shakes B's hand": right hand to right hand, both ways.
* Frame ranges anywhere in the sentence: "frames 10-40", "from frame 10 to 40", "at frame 12" (inclusive, as
  people count); without one the constraint spans the segment.
* When statements overlap, the more specific wins: a stated spot over one a verb implies ("A hugs B. A's left hand
  is on B's upper back"), a narrower region over a wider one for the same joint ("… arm around B's shoulders: A's
  left hand rests on B's left shoulder"), stated frames over the same contact without frames.

Words that state no contact on purpose: "near", "comes within 9 cm of", "brushes", "faces".

Limits (documented, not bugs): person names are only ``A`` and ``B`` (capital letters, optionally "person A");
a limb without a possessive belongs to the person last named before it in the clause (so "his"/"her" resolve to
the subject, not by gender); a singular limb without a side ("a hand") is the right one; plural limbs ("hands",
"arms") give one constraint per side; clauses with a negation (not, never, no longer, n't, without, away from)
are skipped rather than turned into repulsion; "hold hands" without saying whose hand holds which, and relations
across sentences ("… Then she lets go"), are not understood; no synonyms beyond ``parts.SYNONYMS``; an arm
"around" something pins its wrist (the only joint a constraint names).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Optional

from ..motion import PERSON_IDS
from ..segments import Segment
from ..skeleton import JOINT_INDEX
from .parts import ACTING_PARTS, PARTS, Part, effector_joint, lookup, part_words


SOURCES = ("text", "hand", "estimate", "vlm")  # parsed from a description, added by hand, seen in the 3D
# estimate (the offline describer), answered by a vision-language model


@dataclass(frozen=True)
class ContactConstraint:
    """Joint ``joint`` of ``person`` touches ``other``'s region ``target_joints`` over frames ``[start, stop)``."""

    person: str
    joint: str
    other: str
    target_joints: tuple[str, ...]
    start: int
    stop: int
    region: str = ""  # the words for the target region ("right shoulder", "back"), for display
    clause: str = ""  # the clause it was read from, for display
    source: str = "text"  # who stated it: one of ``SOURCES``

    def __post_init__(self) -> None:
        if self.person not in PERSON_IDS or self.other not in PERSON_IDS or self.person == self.other:
            raise ValueError(f"contact: person/other must be A and B, got {self.person!r}/{self.other!r}")
        unknown = [j for j in (self.joint, *self.target_joints) if j not in JOINT_INDEX]
        if unknown or not self.target_joints:
            raise ValueError(f"contact: unknown or missing joints {unknown or 'target_joints'}")
        if not 0 <= self.start < self.stop:
            raise ValueError(f"contact: needs 0 <= start < stop, got [{self.start}, {self.stop})")
        if self.source not in SOURCES:
            raise ValueError(f"contact: source must be one of {', '.join(SOURCES)}, got {self.source!r}")

    @property
    def joint_index(self) -> int:
        return JOINT_INDEX[self.joint]

    @property
    def target_indices(self) -> tuple[int, ...]:
        return tuple(JOINT_INDEX[j] for j in self.target_joints)


_RELATIONS = {
    "on", "onto", "upon", "around", "round", "against", "over", "across", "behind", "under", "at", "to",
    "touch", "touches", "touching", "touched", "hold", "holds", "holding", "held", "grab", "grabs", "grabbing",
    "grip", "grips", "gripping", "grasp", "grasps", "grasping", "clasp", "clasps", "clasping", "cup", "cups",
    "cupping", "stroke", "strokes", "stroking", "pat", "pats", "patting", "tap", "taps", "tapping", "push", "pushes",
    "pushing", "press", "presses", "pressing", "pull", "pulls", "pulling", "reach", "reaches", "reaching",
    "slap", "slaps", "slapping", "meet", "meets", "meeting", "hit", "hits", "hitting", "squeeze", "squeezes",
    "squeezing",
}
# Verbs that imply a hand when no limb is named ("A pats B on the back"): the hand is then the acting part.
_HAND_VERBS = {w for w in _RELATIONS if w not in {"on", "onto", "upon", "around", "round", "against", "over",
                                                   "across", "behind", "under", "at", "to"}}
_NEGATION = re.compile(r"\b(not|never|no longer|without|away from)\b|n't\b", re.IGNORECASE)
_HUG = re.compile(r"\b(hug|hugs|hugging|hugged|embrace|embraces|embracing|embraced)\b", re.IGNORECASE)
_SHAKE = re.compile(r"\b(shake|shakes|shaking|shook)\b[^.;]*?\bhands?\b|\bhandshake\b", re.IGNORECASE)
_RANGE = re.compile(r"\bframes?\s+(\d+)\s*(?:-|–|to|through|until)\s*(\d+)", re.IGNORECASE)
_SINGLE = re.compile(r"\b(?:at|on|in)\s+frame\s+(\d+)", re.IGNORECASE)
_PART_RE = "|".join(re.escape(w) for w in part_words())
_TOKEN = re.compile(rf"\b(?:person\s+)?(?P<person>(?-i:[AB]))(?P<poss>'s|’s)?\b|\b(?P<part>{_PART_RE})\b|"
                    r"\b(?P<side>left|right|both)\b|\b(?P<pron>his|her|their|its|own)\b|"
                    r"\b(?P<other>other's|other’s|other)\b|\b(?P<of>of)\b|\b(?P<word>[a-z]+)\b", re.IGNORECASE)


@dataclass
class _Tok:
    kind: str  # person | part | side | pron | other | of | rel | word
    text: str
    person: Optional[str] = None
    possessive: bool = False


MAX_CHARS = 20_000  # text beyond this is not read: a description is a few sentences, not a document
MAX_CLAUSE_WORDS = 48  # longer run-on clauses are read in pieces of this many words


def parse_contacts(text: str, start: int, stop: int) -> list[ContactConstraint]:
    """Every contact ``text`` states, as constraints over ``[start, stop)`` unless a sentence names frames.

    Sentences that state no contact (or one the parser does not understand, see the module docstring) give
    nothing; duplicates are dropped, order follows the text. The work is linear in the text's length: the
    scans inside a clause are bounded by ``MAX_CLAUSE_WORDS`` and the rules between statements use indexes,
    and only the first ``MAX_CHARS`` characters are read.
    """
    explicit: list[ContactConstraint] = []
    implied: list[ContactConstraint] = []
    ranged: set[tuple] = set()  # (person, joint, other, targets) given with frames somewhere in the text
    for sentence in re.split(r"[.;!?\n]+", text[:MAX_CHARS]):
        if not sentence.strip():
            continue
        frames = _frame_range(sentence)
        s_start, s_stop = frames or (start, stop)
        for clause in re.split(r"[,:()]|\bwhile\b|\bwhereas\b|\bbut\b", sentence):
            if not clause.strip() or _NEGATION.search(clause):
                continue
            for piece in _pieces(clause):
                implied += _implied(piece, s_start, s_stop)
                found = _parse_clause(piece, s_start, s_stop)
                explicit += found
                if frames:
                    ranged |= {(c.person, c.joint, c.other, c.target_joints) for c in found}
    firsts: dict[tuple, ContactConstraint] = {}
    for c in explicit:
        firsts.setdefault(_key(c), c)
    explicit = list(firsts.values())
    # "A hugs B. A's left hand is on B's upper back.": the stated spot beats the one a verb implies, and
    # "… from frame 45 to 81" beats the same contact stated without frames
    stated = _Spans()
    for e in explicit:
        stated.add((e.person, e.joint), e.start, e.stop)
        for t in e.target_joints:  # "A's right hand holds B's right hand" also pins B's right hand to A's
            stated.add((e.person, e.joint, t), e.start, e.stop)
    implied = [c for c in implied if not stated.overlaps((c.person, c.joint), c.start, c.stop)
               and not any(stated.overlaps((c.other, t, c.joint), c.start, c.stop) for t in c.target_joints)]
    # "A puts the left arm around B's shoulders: A's left hand rests on B's left shoulder": the narrower spot wins
    regions: dict[tuple, list[frozenset[str]]] = {}
    for e in explicit:
        regions.setdefault(_spot(e), []).append(frozenset(e.target_joints))
    explicit = [c for c in explicit if not any(r < set(c.target_joints) for r in regions[_spot(c)])]
    out: dict[tuple, ContactConstraint] = {}
    for c in explicit + implied:
        key = (c.person, c.joint, c.other, c.target_joints)
        if key in ranged and (c.start, c.stop) == (start, stop):
            continue
        out.setdefault(key + (c.start, c.stop), c)
    return list(out.values())


def _pieces(clause: str) -> list[str]:
    """The clause, or a run-on clause cut into pieces of ``MAX_CLAUSE_WORDS`` words (bounds the scans in it)."""
    words = clause.split()
    if len(words) <= MAX_CLAUSE_WORDS:
        return [clause]
    return [" ".join(words[i:i + MAX_CLAUSE_WORDS]) for i in range(0, len(words), MAX_CLAUSE_WORDS)]


def _key(c: ContactConstraint) -> tuple:
    return (c.person, c.joint, c.other, c.target_joints, c.start, c.stop)


def _spot(c: ContactConstraint) -> tuple:
    """What a statement pins, without where: the narrower of two regions for the same spot wins."""
    return (c.person, c.joint, c.other, c.start, c.stop)


class _Spans:
    """Frame intervals per key, merged, answering "does ``[start, stop)`` overlap any" in logarithmic time."""

    def __init__(self) -> None:
        self._raw: dict[tuple, list[tuple[int, int]]] = {}
        self._merged: dict[tuple, tuple[list[int], list[int]]] = {}

    def add(self, key: tuple, start: int, stop: int) -> None:
        self._raw.setdefault(key, []).append((start, stop))
        self._merged.pop(key, None)

    def overlaps(self, key: tuple, start: int, stop: int) -> bool:
        if key not in self._raw:
            return False
        if key not in self._merged:
            starts: list[int] = []
            stops: list[int] = []
            for a, b in sorted(self._raw[key]):
                if stops and a <= stops[-1]:
                    stops[-1] = max(stops[-1], b)
                else:
                    starts.append(a)
                    stops.append(b)
            self._merged[key] = (starts, stops)
        starts, stops = self._merged[key]
        i = bisect.bisect_left(starts, stop) - 1  # the last merged interval starting before ``stop``
        return i >= 0 and stops[i] > start


def segment_contacts(segment: Segment) -> list[ContactConstraint]:
    """The contacts a segment's current description states (the user's edit if they made one), over its frames."""
    return parse_contacts(segment.description, segment.start, segment.stop)


def _frame_range(sentence: str) -> Optional[tuple[int, int]]:
    """``[start, stop)`` of the frames a sentence names (inclusive in the text), or ``None``."""
    m = _RANGE.search(sentence)
    if m:
        a, b = sorted((int(m.group(1)), int(m.group(2))))
        return a, b + 1
    m = _SINGLE.search(sentence)
    if m:
        return int(m.group(1)), int(m.group(1)) + 1
    return None


def _tokens(clause: str) -> list[_Tok]:
    toks: list[_Tok] = []
    for m in _TOKEN.finditer(clause):
        if m.group("person"):
            toks.append(_Tok("person", m.group(0), m.group("person"), bool(m.group("poss"))))
        elif m.group("part"):
            toks.append(_Tok("part", m.group("part").lower()))
        elif m.group("side"):
            toks.append(_Tok("side", m.group("side").lower()))
        elif m.group("pron"):
            toks.append(_Tok("pron", m.group("pron").lower()))
        elif m.group("other"):
            toks.append(_Tok("other", m.group("other").lower(), possessive=m.group("other").lower() != "other"))
        elif m.group("of"):
            toks.append(_Tok("of", "of"))
        else:
            word = m.group("word").lower()
            toks.append(_Tok("rel" if word in _RELATIONS else "word", word))
    return toks


def _other(pid: str) -> str:
    return PERSON_IDS[1 - PERSON_IDS.index(pid)]


def _parse_clause(clause: str, start: int, stop: int) -> list[ContactConstraint]:
    toks = _tokens(clause)
    people = [t.person for t in toks if t.kind == "person"]
    if not people:
        return []
    subject = people[0]
    src = " ".join(clause.split())
    out: list[ContactConstraint] = []
    consumed = 0  # tokens before this index belong to an earlier relation
    for r, tok in enumerate(toks):
        if tok.kind != "rel" or r < consumed:
            continue
        actor_i = next((i for i in range(r - 1, consumed - 1, -1) if toks[i].kind == "part"
                        and _acting(toks[i])), None)
        owner = _owner(toks, actor_i, consumed, subject) if actor_i is not None else subject
        target_i = next((i for i in range(r + 1, len(toks)) if toks[i].kind == "part"), None)
        if target_i is None:
            target_i = _elided_target(toks, r)  # "A's right hand meets B's left": the same part
            if target_i is None or actor_i is None:
                continue
            target, target_plural = lookup(toks[actor_i].text)
        else:
            target, target_plural = lookup(toks[target_i].text)
        if actor_i is None:
            actor_i = _with_limb(toks, target_i)
        target_owner, named = _target_owner(toks, target_i, r, owner, consumed)
        if actor_i is None:
            # a verb alone implies a hand ("A pats B on the back"), but only with a named partner:
            # "holding hands" says nothing about whose hand holds which
            if not named or (tok.text not in _HAND_VERBS and not _has_hand_verb(toks, consumed, r)):
                continue
            actor, actor_plural, actor_side = PARTS["hand"], False, None
        else:
            actor, actor_plural = lookup(toks[actor_i].text)
            actor_side = _side_before(toks, actor_i)
        assert actor is not None and target is not None
        if target_owner == owner:
            continue  # touching oneself is no interaction constraint
        target_side = _side_before(toks, target_i) if toks[target_i].kind == "part" else toks[target_i].text
        both = target_side == "both" or target_plural
        target_joints = target.joints_for(None if both else target_side)
        region = target.plural if target_plural else f"{target_side} {target.name}" if target_side and target.sided \
            else target.name
        for side in _acting_sides(actor, actor_plural, actor_side):
            out.append(ContactConstraint(owner, effector_joint(actor, side), target_owner, target_joints,
                                         start, stop, region, src))
        consumed = target_i + 1
    return out


def _elided_target(toks: list[_Tok], rel: int) -> Optional[int]:
    """Index of the side word in "… B's left" (a possessive followed by a bare side), else ``None``."""
    for i in range(rel + 1, len(toks) - 1):
        if toks[i].kind == "person" and toks[i].possessive and toks[i + 1].kind == "side":
            return i + 1
    return None


def _implied(clause: str, start: int, stop: int) -> list[ContactConstraint]:
    """Contacts a verb implies without naming limbs: hugging (wrists on the back), shaking hands."""
    toks = _tokens(clause)
    people = [t.person for t in toks if t.kind == "person" and t.person]
    src = " ".join(clause.split())
    if _HUG.search(clause) and people:
        huggers = {people[0]} | ({_other(people[0])} if len(set(people)) == 2 and _is_mutual(toks) else set())
        back = PARTS["back"].joints_for(None)
        return [ContactConstraint(p, f"{s}_wrist", _other(p), back, start, stop, "back", src)
                for p in sorted(huggers) for s in ("left", "right")]
    if _SHAKE.search(clause) and people:
        return [ContactConstraint(p, "right_wrist", _other(p), ("right_wrist",), start, stop, "right hand", src)
                for p in PERSON_IDS]
    return []


def _acting(tok: _Tok) -> bool:
    part, _ = lookup(tok.text)
    return part is not None and part.name in ACTING_PARTS


def _is_mutual(toks: list[_Tok]) -> bool:
    """'A and B hug' / 'A hugs B and B hugs A' / 'hug each other': both people hug."""
    words = [t.text.lower() for t in toks]
    if "each" in words and "other" in words:
        return True
    for i in range(len(toks) - 2):
        if toks[i].kind == "person" and toks[i + 1].text == "and" and toks[i + 2].kind == "person":
            return True
    return sum(1 for t in toks if _HUG.fullmatch(t.text)) > 1


def _with_limb(toks: list[_Tok], after: int) -> Optional[int]:
    """'… on the back with her left hand': the acting limb named after the target."""
    for i in range(after + 1, len(toks) - 1):
        if toks[i].text == "with":
            part_i = next((j for j in range(i + 1, min(i + 5, len(toks))) if toks[j].kind == "part"), None)
            return part_i if part_i is not None and _acting(toks[part_i]) else None
    return None


def _has_hand_verb(toks: list[_Tok], lo: int, hi: int) -> bool:
    return any(t.kind == "rel" and t.text in _HAND_VERBS for t in toks[lo:hi])


def _side_before(toks: list[_Tok], i: int) -> Optional[str]:
    """A side word directly before the part (skipping nothing but the possessive and 'the')."""
    j = i - 1
    while j >= 0 and toks[j].kind == "word" and toks[j].text in {"the", "a", "an"}:
        j -= 1
    return toks[j].text if j >= 0 and toks[j].kind == "side" else None


def _acting_sides(part: Part, plural: bool, side: Optional[str]) -> tuple[Optional[str], ...]:
    if not part.sided:
        return (None,)
    if plural or side == "both":
        return ("left", "right")
    return (side or "right",)


def _possessor_before(toks: list[_Tok], i: int, lo: int) -> Optional[_Tok]:
    """The possessive directly before a part ('B's left hand', 'her hand', "the other's back")."""
    j = i - 1
    while j >= lo and (toks[j].kind == "side" or (toks[j].kind == "word" and toks[j].text in {"the", "a", "an"})):
        j -= 1
    if j >= lo and (toks[j].kind == "pron" or (toks[j].kind in {"person", "other"} and toks[j].possessive)):
        return toks[j]
    return None


def _of_after(toks: list[_Tok], i: int) -> Optional[_Tok]:
    """'the back of B' / 'the hand of the other'."""
    if i + 2 < len(toks) and toks[i + 1].kind == "of":
        nxt = toks[i + 2] if toks[i + 2].text != "the" or i + 3 >= len(toks) else toks[i + 3]
        if nxt.kind in {"person", "other"}:
            return nxt
    return None


def _owner(toks: list[_Tok], i: int, lo: int, subject: str) -> str:
    """Whose acting part token ``i`` is: a possessive ('B's hand', 'the hand of B'), else the last person named
    since the previous relation ('… and A wraps both arms around …'), else the clause's subject."""
    tok = _possessor_before(toks, i, lo) or _of_after(toks, i)
    if tok is not None and tok.kind == "person" and tok.person:
        return tok.person
    named = [t.person for t in toks[lo:i] if t.kind == "person" and t.person and not t.possessive]
    return named[-1] if named else subject


def _target_owner(toks: list[_Tok], i: int, rel: int, actor_owner: str, lo: int) -> tuple[str, bool]:
    """Whose part token ``i`` is, and whether the text named them (rather than "the other one" by default)."""
    tok = _possessor_before(toks, i, rel) or _of_after(toks, i)
    if tok is not None:
        if tok.kind == "person" and tok.person:
            return tok.person, True
        if tok.text == "own":  # "his own knee"
            return actor_owner, True
        return _other(actor_owner), tok.kind == "other"
    # "A pats B on the back": the person named between the actor and the relation owns the target
    named = [t.person for t in toks[lo:i] if t.kind == "person" and t.person and t.person != actor_owner]
    return (named[-1], True) if named else (_other(actor_owner), False)

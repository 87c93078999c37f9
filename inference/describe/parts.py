"""Body-part words ↔ SMPL-X body joints: the one vocabulary the describers write and the contact parser reads.

Keeping both directions in one table is what lets a description the offline describer wrote be parsed back into
the same contact constraints, and lets a user's edit ("… on B's lower back") reach the infiller's guidance.

Sides are the person's own (SMPL-X: a person's left is +X in their body frame, facing +Z); a ``{s}`` in a joint
template stands for ``left`` or ``right``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..skeleton import JOINT_INDEX

SIDES: tuple[str, str] = ("left", "right")


@dataclass(frozen=True)
class Part:
    """A named body region: the joints that span it (``{s}`` = side for sided parts)."""

    name: str
    joints: tuple[str, ...]
    plural: str

    @property
    def sided(self) -> bool:
        return any("{s}" in j for j in self.joints)

    def joints_for(self, side: Optional[str]) -> tuple[str, ...]:
        """Joints of this region on ``side``; both sides when a sided part gets ``None``."""
        if not self.sided:
            return self.joints
        sides = SIDES if side is None else (side,)
        return tuple(j.format(s=s) for s in sides for j in self.joints)


_PARTS: tuple[Part, ...] = (
    Part("hand", ("{s}_wrist",), "hands"),
    Part("wrist", ("{s}_wrist",), "wrists"),
    Part("forearm", ("{s}_elbow", "{s}_wrist"), "forearms"),
    Part("elbow", ("{s}_elbow",), "elbows"),
    Part("upper arm", ("{s}_shoulder", "{s}_elbow"), "upper arms"),
    Part("arm", ("{s}_shoulder", "{s}_elbow", "{s}_wrist"), "arms"),
    Part("shoulder", ("{s}_collar", "{s}_shoulder"), "shoulders"),
    Part("hip", ("{s}_hip",), "hips"),
    Part("thigh", ("{s}_hip", "{s}_knee"), "thighs"),
    Part("knee", ("{s}_knee",), "knees"),
    Part("shin", ("{s}_knee", "{s}_ankle"), "shins"),
    Part("leg", ("{s}_hip", "{s}_knee", "{s}_ankle"), "legs"),
    Part("ankle", ("{s}_ankle",), "ankles"),
    Part("foot", ("{s}_ankle", "{s}_foot"), "feet"),
    Part("head", ("neck", "head"), "heads"),
    Part("face", ("head",), "faces"),
    Part("neck", ("neck",), "necks"),
    Part("upper back", ("spine3",), "upper backs"),
    Part("middle back", ("spine2",), "middle backs"),
    Part("lower back", ("pelvis", "spine1"), "lower backs"),
    Part("back", ("spine1", "spine2", "spine3"), "backs"),
    Part("chest", ("spine2", "spine3"), "chests"),
    Part("belly", ("spine1", "spine2"), "bellies"),
    Part("waist", ("pelvis", "spine1"), "waists"),
    Part("torso", ("pelvis", "spine1", "spine2", "spine3"), "torsos"),
)
PARTS: dict[str, Part] = {p.name: p for p in _PARTS}

# Other words people use for the same regions.
SYNONYMS: dict[str, str] = {
    "palm": "hand", "palms": "hands", "fist": "hand", "fists": "hands", "fingers": "hand",
    "arm pit": "shoulder", "armpit": "shoulder", "collarbone": "shoulder",
    "cheek": "face", "cheeks": "face", "forehead": "head",
    "stomach": "belly", "tummy": "belly", "abdomen": "belly", "body": "torso", "trunk": "torso",
    "breast": "chest", "shoulder blade": "upper back", "shoulder blades": "upper back",
    "mid back": "middle back", "mid-back": "middle back", "middle of the back": "middle back",
    "small of the back": "lower back", "lap": "thigh", "toes": "foot", "heel": "foot", "heels": "feet",
}

# Parts a person acts with (a constraint's own joint); targets can be any part.
ACTING_PARTS: frozenset[str] = frozenset({"hand", "wrist", "forearm", "elbow", "arm", "upper arm", "foot", "knee",
                                          "leg", "head", "shoulder", "hip"})

# The joint a constraint pins for an acting part (the end effector of that region).
EFFECTOR: dict[str, str] = {
    "hand": "{s}_wrist", "wrist": "{s}_wrist", "forearm": "{s}_wrist", "arm": "{s}_wrist", "elbow": "{s}_elbow",
    "upper arm": "{s}_elbow", "foot": "{s}_foot", "knee": "{s}_knee", "leg": "{s}_ankle", "head": "head",
    "shoulder": "{s}_shoulder", "hip": "{s}_hip",
}


def lookup(word: str) -> tuple[Optional[Part], bool]:
    """The part a (possibly plural, possibly synonym) word names, and whether it was plural."""
    word = SYNONYMS.get(word, word)
    if word in PARTS:
        return PARTS[word], False
    for part in _PARTS:
        if word == part.plural:
            return part, True
    return None, False


def effector_joint(part: Part, side: Optional[str]) -> str:
    """The joint a constraint on ``part`` pins (``side`` required for sided parts)."""
    template = EFFECTOR[part.name]
    joint = template.format(s=side) if "{s}" in template else template
    if joint not in JOINT_INDEX:
        raise ValueError(f"no side given for the {part.name}")
    return joint


def part_words() -> list[str]:
    """Every word or phrase the vocabulary knows, longest first (so 'upper back' wins over 'back')."""
    words = set(PARTS) | set(SYNONYMS) | {p.plural for p in _PARTS}
    return sorted(words, key=lambda w: (-len(w), w))

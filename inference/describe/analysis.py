"""What the current 3D estimate says about an interaction, in numbers: contacts, distance, facing, movement, kind.

The offline describer renders this in English; the evaluation compares it with the procedural generator's labels.
Everything is measured from joint positions, with the body approximated by capsules (``capsules.py``):

* **contacts** — per frame, each capsule of one person against all of the other's (trunk capsules measured on
  each person's rest mesh); a run of frames closer than ``CONTACT_M`` (at least 0.1 s, gaps up to 0.2 s bridged)
  is a contact event, named by the acting part and the touched region (the height of the nearest trunk joint
  and front/back by the partner's facing give "upper back", "chest", …).
* **proxemics** — horizontal pelvis distance, named by Hall's zones (intimate < 0.45 m, personal < 1.2 m,
  social < 3.6 m, public beyond).
* **facing** — forward is ``left × up`` (SMPL-X: left +X, up +Y, forward +Z) from hips and shoulders.
* **movement** — pelvis ground displacement and speed; who closes or opens the distance.
* **kind** — a few rules over the above (hug, handshake, high five, push, walking side by side, …).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..motion import PERSON_IDS
from ..skeleton import JOINT_INDEX
from .capsules import CAPSULES, CAPSULE_INDEX, PosedBody, surface_distances

CONTACT_M = 0.04  # capsule surfaces closer than this touch (capsules are rougher than that)
NEAR_M = 0.15  # a hand this close without touching is worth mentioning ("comes within 9 cm of …")
MIN_CONTACT_FRAMES = 3
RAISED_M = 0.2  # a wrist this far above the shoulders is held up (a wave, a high five)
WAVE_S = 0.5  # … for this long, without touching anyone, is a wave
SMOOTH_S = 0.15  # moving-average window over joints before anything is measured (estimates jitter per frame)
MOVING_SPEED = 0.35  # m/s mean pelvis ground speed above which a person is moving (slow walk ≈ 0.8–1.0)
SHIFT_M = 0.25  # net displacement that counts as moving toward/away
FACING_COS = float(np.cos(np.radians(45)))
UP = np.array([0.0, 1.0, 0.0])
ZONES = ((0.45, "intimate"), (1.2, "personal"), (3.6, "social"), (np.inf, "public"))

# Parts a contact is reported for, in the order a description mentions them, with the regions of the other
# person they may touch (``None`` = any). Feet and legs of two people standing close brush all the time; only a
# foot reaching the other's body (a kick) is worth a sentence. Trunks touching only count trunk against trunk.
ACTING: tuple[tuple[str, Optional[frozenset[str]]], ...] = (
    ("hand", None),
    ("arm", None),
    ("foot", frozenset({"waist", "lower back", "belly", "middle back", "chest", "upper back", "arm", "hand", "head"})),
    ("torso", frozenset({"waist", "lower back", "belly", "middle back", "chest", "upper back"})),
)
# Nearest trunk joint of the touched spot -> (word for its front, word for its back)
_TRUNK_REGIONS = {
    "pelvis": ("waist", "lower back"), "spine1": ("belly", "lower back"), "spine2": ("chest", "middle back"),
    "spine3": ("chest", "upper back"), "neck": ("chest", "upper back"),
}
BACK_REGIONS = frozenset({"back", "upper back", "middle back", "lower back", "waist", "shoulder", "neck"})
FRONT_REGIONS = frozenset({"chest", "belly", "waist"})
LOW_REGIONS = frozenset({"waist", "lower back", "belly", "leg", "foot"})  # where a hanging hand brushes
HANGING_SHARE = 0.85  # wrist below the shoulder by this share of the arm's length: the arm hangs


@dataclass(frozen=True)
class Contact:
    """``person``'s ``part`` (``side``) touches ``other``'s ``region`` (``region_side``) over ``[start, stop)``."""

    person: str
    part: str
    side: Optional[str]
    other: str
    region: str
    region_side: Optional[str]
    start: int
    stop: int
    capsule: str
    other_capsule: str
    distance: float  # smallest surface distance during the contact (m; negative = overlap)
    passive: bool = False  # a hand hanging at the side that brushes the other's hip or leg

    def to_json(self) -> dict:
        keys = ("person", "part", "side", "other", "region", "region_side", "start", "stop", "capsule",
                "other_capsule", "passive")
        return {k: getattr(self, k) for k in keys} | {"distance": round(self.distance, 4)}


@dataclass(frozen=True)
class Near:
    """``person``'s ``side`` hand comes within ``gap`` metres of ``other``'s region at ``frame`` without touching."""

    person: str
    side: str
    other: str
    region: str
    region_side: Optional[str]
    frame: int
    gap: float

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in ("person", "side", "other", "region", "region_side", "frame")} | {
            "gap": round(self.gap, 4)}


@dataclass(frozen=True)
class PersonState:
    forward: np.ndarray  # (T, 3) unit, horizontal
    left: np.ndarray  # (T, 3)
    root: np.ndarray  # (T, 3) pelvis on the ground plane (y = 0)
    speed: float  # mean ground speed, m/s
    displacement: np.ndarray  # (3,) net ground displacement over the segment
    hand_height: dict[str, np.ndarray]  # side -> (T,) wrist height above the shoulders (m)
    hand_drop: dict[str, np.ndarray]  # side -> (T,) how far the wrist hangs below the shoulder, as a share of the arm

    @property
    def moving(self) -> bool:
        return self.speed > MOVING_SPEED


@dataclass
class Analysis:
    start: int
    stop: int
    fps: float
    people: dict[str, PersonState]
    distance: np.ndarray  # (T,) horizontal pelvis distance
    contacts: list[Contact] = field(default_factory=list)
    near: list[Near] = field(default_factory=list)

    @property
    def mean_distance(self) -> float:
        return float(self.distance.mean())

    @property
    def zone(self) -> str:
        return next(name for limit, name in ZONES if self.mean_distance < limit)

    def facing_cos(self, pid: str) -> float:
        """Mean cosine between ``pid``'s forward and the direction to the other person (1 = faces them)."""
        me, other = self.people[pid], self.people[_other(pid)]
        to_other = _unit(other.root - me.root)
        return float(np.einsum("ti,ti->t", me.forward, to_other).mean())

    def heading_cos(self) -> float:
        """Mean cosine between the two people's forward directions (1 = same heading, -1 = opposite)."""
        a, b = self.people["A"], self.people["B"]
        return float(np.einsum("ti,ti->t", a.forward, b.forward).mean())

    def side_of(self, pid: str) -> str:
        """Where the other person mostly is, seen from ``pid``: 'left', 'right', 'front' or 'behind'."""
        me, other = self.people[pid], self.people[_other(pid)]
        rel = other.root - me.root
        lateral = float(np.einsum("ti,ti->t", rel, me.left).mean())
        ahead = float(np.einsum("ti,ti->t", rel, me.forward).mean())
        if abs(lateral) >= abs(ahead):
            return "left" if lateral > 0 else "right"
        return "front" if ahead > 0 else "behind"

    def approach(self, pid: str) -> float:
        """Metres ``pid``'s own movement closed the distance by (negative = moved away)."""
        me, other = self.people[pid], self.people[_other(pid)]
        direction = _unit(other.root[0] - me.root[0])
        return float(me.displacement @ direction)

    @property
    def active(self) -> list[Contact]:
        """Contacts someone makes on purpose (not a hanging hand brushing a hip)."""
        return [c for c in self.contacts if not c.passive]

    def contacts_of(self, pid: str, part: Optional[str] = None) -> list[Contact]:
        """``pid``'s active contacts (of ``part``)."""
        return [c for c in self.active if c.person == pid and (part is None or c.part == part)]

    def kind(self) -> str:
        return classify(self)


def _other(pid: str) -> str:
    return PERSON_IDS[1 - PERSON_IDS.index(pid)]


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _ground(v: np.ndarray) -> np.ndarray:
    out = np.array(v, np.float64)
    out[..., 1] = 0.0
    return out


def _person_state(joints: np.ndarray, fps: float) -> PersonState:
    j = np.asarray(joints, np.float64)
    ji = JOINT_INDEX
    left = _unit(_ground(j[:, ji["left_hip"]] - j[:, ji["right_hip"]]
                         + j[:, ji["left_shoulder"]] - j[:, ji["right_shoulder"]]))
    forward = _unit(np.cross(left, UP))
    root = _ground(j[:, ji["pelvis"]])
    steps = np.linalg.norm(np.diff(root, axis=0), axis=-1)
    speed = float(steps.mean() * fps) if len(steps) else 0.0
    shoulder_y = 0.5 * (j[:, ji["left_shoulder"], 1] + j[:, ji["right_shoulder"], 1])
    hands = {s: j[:, ji[f"{s}_wrist"], 1] - shoulder_y for s in ("left", "right")}
    drop = {}
    for s in ("left", "right"):
        sh, el, wr = (j[:, ji[f"{s}_{n}"]] for n in ("shoulder", "elbow", "wrist"))
        arm = np.linalg.norm(el - sh, axis=-1) + np.linalg.norm(wr - el, axis=-1)
        drop[s] = (sh[:, 1] - wr[:, 1]) / np.maximum(arm, 1e-6)
    return PersonState(forward, left, root, speed, root[-1] - root[0], hands, drop)


def _runs(mask: np.ndarray, min_len: int, bridge: int) -> list[tuple[int, int]]:
    """``[start, stop)`` runs of True at least ``min_len`` long, gaps of up to ``bridge`` frames bridged."""
    runs: list[list[int]] = []
    for i in np.flatnonzero(mask):
        if runs and i - runs[-1][1] <= bridge:
            runs[-1][1] = int(i) + 1
        else:
            runs.append([int(i), int(i) + 1])
    return [(a, b) for a, b in runs if b - a >= min_len]


def _region(other_state: PersonState, other_joints: np.ndarray, capsule: str, point_self: np.ndarray,
            point_other: np.ndarray, frames: slice) -> tuple[str, Optional[str]]:
    """Vocabulary word (and side) for the spot on the other person's ``capsule`` that was touched."""
    cap = CAPSULES[CAPSULE_INDEX[capsule]]
    if cap.part == "torso":
        names = tuple(_TRUNK_REGIONS)
        trunk = other_joints[frames][:, [JOINT_INDEX[n] for n in names]]  # (t, 5, 3)
        nearest = np.linalg.norm(trunk - point_other[:, None], axis=-1).argmin(axis=1)
        joint = names[int(np.bincount(nearest, minlength=len(names)).argmax())]
        toward = point_self - point_other  # from the touched bone axis out to the toucher
        front = float(np.einsum("ti,ti->t", toward, other_state.forward[frames]).mean())
        lateral = float(np.abs(np.einsum("ti,ti->t", toward, other_state.left[frames])).mean())
        if lateral > abs(front) and joint in {"pelvis", "spine1"}:
            return "waist", None  # hands on the flanks of the hips: "around the waist"
        return _TRUNK_REGIONS[joint][0 if front > 0 else 1], None
    return cap.part, cap.side


def _views(bodies: dict[str, PosedBody]) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per person: gaps ``(T, own C, other C)`` and closest points on own and other capsules."""
    gaps, pts_a, pts_b = surface_distances(bodies["A"], bodies["B"])
    return {"A": (gaps, pts_a, pts_b),
            "B": (gaps.transpose(0, 2, 1), pts_b.transpose(0, 2, 1, 3), pts_a.transpose(0, 2, 1, 3))}


def find_contacts(bodies: dict[str, PosedBody], states: dict[str, PersonState], start: int, fps: float,
                  views: Optional[dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]] = None) -> list[Contact]:
    """Contact events of each person's parts against the other, each physical contact reported once: hands
    first, and a part already reported as touching is not reported again as touched."""
    views = views or _views(bodies)
    bridge = max(2, int(round(0.2 * fps)))
    min_len = max(MIN_CONTACT_FRAMES, int(round(0.1 * fps)))
    out: list[Contact] = []
    for part, allowed in ACTING:
        for pid in PERSON_IDS:
            g, mine, theirs = views[pid]
            other = _other(pid)
            for ci, cap in enumerate(CAPSULES):
                if cap.part != part:
                    continue
                nearest = g[:, ci].argmin(axis=1)  # (T,) the other's capsule closest to this one
                closest = g[np.arange(len(g)), ci, nearest]
                for a, b in _runs(closest < CONTACT_M, min_len, bridge):
                    sl = slice(a, b)
                    target_i = _target(g[sl, ci], nearest[sl])
                    target = CAPSULES[target_i]
                    if (_reported(out, other, target.name, a + start, b + start)
                            or _covered(out, pid, cap.name, a + start, b + start)):
                        continue
                    region, region_side = _region(states[other], bodies[other].joints, target.name,
                                                  mine[sl, ci, target_i], theirs[sl, ci, target_i], sl)
                    if allowed is not None and region not in allowed:
                        continue
                    passive = cap.part == "hand" and region in LOW_REGIONS and bool(
                        np.mean(states[pid].hand_drop[cap.side][sl] > HANGING_SHARE) > 0.8)
                    out.append(Contact(pid, cap.part, cap.side, other, region, region_side, a + start, b + start,
                                       cap.name, target.name, float(g[sl, ci, target_i].min()), passive))
    return out


def find_near(bodies: dict[str, PosedBody], states: dict[str, PersonState], start: int, contacts: list[Contact],
              views: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> list[Near]:
    """Hands that never touch the other person in the segment but come within ``NEAR_M`` of them."""
    out: list[Near] = []
    for pid in PERSON_IDS:
        g, mine, theirs = views[pid]
        other = _other(pid)
        for side in ("left", "right"):
            ci = CAPSULE_INDEX[f"{side}_hand"]
            if any((c.person == pid and c.capsule == f"{side}_hand")
                   or (c.other == pid and c.other_capsule == f"{side}_hand") for c in contacts):
                continue
            t, target_i = np.unravel_index(np.argmin(g[:, ci]), g[:, ci].shape)
            gap = float(g[t, ci, target_i])
            if not CONTACT_M <= gap < NEAR_M:
                continue
            sl = slice(int(t), int(t) + 1)
            region, region_side = _region(states[other], bodies[other].joints, CAPSULES[target_i].name,
                                          mine[sl, ci, target_i], theirs[sl, ci, target_i], sl)
            out.append(Near(pid, side, other, region, region_side, int(t) + start, gap))
    return out


_HANDS = np.array([c.part == "hand" for c in CAPSULES])


def _target(gaps: np.ndarray, nearest: np.ndarray) -> int:
    """The other's capsule a run of contact touches: their hand when it is within ``CONTACT_M`` for at least half
    the run (shaking hands in front of the partner's belly touches the hand, not the belly), else the capsule
    most often nearest. ``gaps (t, C)``, ``nearest (t,)``."""
    held = np.flatnonzero(((gaps < CONTACT_M).mean(axis=0) >= 0.5) & _HANDS)
    if len(held):
        return int(min(held, key=lambda i: gaps[:, i].mean()))
    return int(np.bincount(nearest).argmax())


def _reported(found: list[Contact], pid: str, capsule: str, start: int, stop: int) -> bool:
    """``pid``'s ``capsule`` was already reported touching (so "B's arm is on A's hand" would repeat it)."""
    return any(c.person == pid and c.capsule == capsule and c.start < stop and start < c.stop for c in found)


def _covered(found: list[Contact], pid: str, capsule: str, start: int, stop: int) -> bool:
    """An arm touching while its own hand touches adds nothing ("A's hand is on B's back" says it)."""
    if not capsule.endswith(("forearm", "upper_arm")):
        return False
    hand = f"{capsule.split('_')[0]}_hand"
    return any(c.start < stop and start < c.stop and ((c.person == pid and c.capsule == hand)
                                                      or (c.other == pid and c.other_capsule == hand))
               for c in found)


def analyse(bodies: dict[str, PosedBody], fps: float, start: int = 0) -> Analysis:
    """``bodies``: person id → the posed body over frames ``[start, start + T)``."""
    window = max(1, int(round(SMOOTH_S * fps)) | 1)
    bodies = {pid: b.smoothed(window) for pid, b in bodies.items()}
    states = {pid: _person_state(bodies[pid].joints, fps) for pid in PERSON_IDS}
    distance = np.linalg.norm(states["A"].root - states["B"].root, axis=-1)
    views = _views(bodies)
    contacts = find_contacts(bodies, states, start, fps, views)
    near = find_near(bodies, states, start, contacts, views)
    return Analysis(start, start + len(distance), fps, states, distance, contacts, near)


def _overlap(c: Contact, d: Contact) -> bool:
    return c.start < d.stop and d.start < c.stop


def _toucher_bearing(an: Analysis, c: Contact) -> float:
    """Mean cosine between the touched person's forward and the direction to the toucher during the contact:
    1 = toucher in front, 0 = beside, -1 = behind."""
    me, other = an.people[c.person], an.people[c.other]
    sl = slice(c.start - an.start, c.stop - an.start)
    to_toucher = _unit(me.root[sl] - other.root[sl])
    return float(np.einsum("ti,ti->t", other.forward[sl], to_toucher).mean())


def wavers(an: Analysis) -> dict[str, str]:
    """Person → the hand they hold up (wrist ``RAISED_M`` above the shoulders for ``WAVE_S``) without touching."""
    out = {}
    for pid, state in an.people.items():
        for side in ("left", "right"):
            raised = state.hand_height[side] > RAISED_M
            if raised.sum() >= WAVE_S * an.fps and not any(
                    (c.person == pid and c.side == side) or (c.other == pid and c.region_side == side
                                                             and c.region == "hand") for c in an.contacts):
                out[pid] = side
                break
    return out


def classify(an: Analysis) -> str:
    """One label for the segment, using the generator's names where they apply: hug, shoulder_tap,
    arm_around_shoulders, dance_hold, walk_together, high_five, handshake, push, wave; else contact, walk_toward,
    face_to_face or apart.
    Rules, most specific first."""
    active = an.active
    hands = [c for c in active if c.part == "hand"]
    hand_hand = [c for c in hands if c.region == "hand"]
    on_back = [c for c in hands if c.region in BACK_REGIONS - {"shoulder"}]
    for pid in PERSON_IDS:
        mine = [c for c in on_back if c.person == pid]
        if any(c.side != d.side and _overlap(c, d) for c in mine for d in mine):
            return "hug"
    high_on_back = [c for c in hands if c.region in {"shoulder", "upper back", "neck"}]
    if any(_toucher_bearing(an, c) < -0.5 for c in high_on_back):
        return "shoulder_tap"
    if any(abs(_toucher_bearing(an, c)) < 0.5 and c.stop - c.start >= an.fps for c in high_on_back) \
            and an.heading_cos() > FACING_COS:
        return "arm_around_shoulders"
    if any(_overlap(c, d) for c in hand_hand for d in on_back + [h for h in hands if h.region == "shoulder"]):
        return "dance_hold"
    a, b = an.people["A"], an.people["B"]
    if a.moving and b.moving and an.heading_cos() > FACING_COS and an.side_of("A") in {"left", "right"}:
        return "walk_together"
    if hand_hand:
        c = max(hand_hand, key=lambda c: c.stop - c.start)
        raised = np.median(an.people[c.person].hand_height[c.side or "right"][c.start - an.start:c.stop - an.start])
        return "high_five" if raised > 0.0 else "handshake"
    for pid in PERSON_IDS:
        if any(c.person == pid and c.region in FRONT_REGIONS for c in hands) and an.approach(_other(pid)) < -SHIFT_M:
            return "push"
    if active:
        return "contact"
    if wavers(an) and an.mean_distance > 1.0:
        return "wave"
    if max(an.approach("A"), an.approach("B")) > SHIFT_M:
        return "walk_toward"
    if an.facing_cos("A") > FACING_COS and an.facing_cos("B") > FACING_COS:
        return "face_to_face"
    return "apart"

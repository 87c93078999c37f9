"""The offline describer: the interaction in a sentence or two of templated English, read off the 3D motion.

It needs no model download and no video, so it is the default and what every test and CI run exercises. It reads
the estimate where the estimate is trusted; over a person's occluded frames it reads what the frames around them
say instead (``evidence.py``), so a hidden partner's frozen guess is not described as "standing apart".

The text is short — who does what ("A and B hold hands; A's left hand holds B's right hand. B turns under A's
arm.") — and written in the vocabulary the contact parser (``contacts.py``) reads, so an edited text still turns
into contacts. The precise contacts (each with its frames) are in ``details["contacts"]`` as the JSON contact list
(``contact_list.py``, ``source="estimate"``) the app shows and the infiller can take directly. Left and right are
the person's own (SMPL-X: left is +X in the body frame, facing +Z), so mirroring a clip swaps them in the text.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from ..body.base import BodyModel
from ..body.kinematics import forward_kinematics
from ..motion import PERSON_IDS, Reconstruction
from ..rotations import axis_angle_to_matrix
from .analysis import BACK_REGIONS, FACING_COS, SHIFT_M, Analysis, Contact, analyse, wavers
from .base import Describer, DescribeInput, Description
from .contact_list import contacts_to_json
from .contacts import ContactConstraint, parse_contacts
from .parts import EFFECTOR, PARTS, effector_joint
from .capsules import CapsuleShape, PosedBody
from .evidence import Evidence, bridge_untrusted

VERSION = 3  # 3: a hand is placed once (cached descriptions of v2 may place it twice)
MAX_STATED = 2  # contacts the text names; all of them are in the details
TURN_DEG = 270.0  # a heading change this large over a segment is a turn


def segment_bodies(recon: Reconstruction, start: int, stop: int, body: BodyModel,
                   shapes: Optional[dict[bytes, CapsuleShape]] = None) -> dict[str, PosedBody]:
    """Both people over ``[start, stop)`` posed on ``body``'s skeleton: forward kinematics on each person's rest
    joints (no mesh is skinned) and capsules measured on their rest mesh (memoised in ``shapes`` by betas)."""
    def frames(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a[start:stop], dtype=torch.float32, device=body.device)

    shapes = {} if shapes is None else shapes
    out = {}
    with torch.no_grad():
        for pid, person in recon:
            rest_vertices, rest_joints = body.rest(torch.as_tensor(person.betas, dtype=torch.float32,
                                                                   device=body.device))
            key = person.betas.tobytes()
            if key not in shapes:
                shapes[key] = CapsuleShape.measure(rest_vertices.cpu().numpy(), rest_joints.cpu().numpy(),
                                                   body.skin_weights)
            aa = torch.cat([frames(person.global_orient)[:, None], frames(person.body_pose)], dim=1)
            joints, transforms = forward_kinematics(axis_angle_to_matrix(aa), rest_joints, frames(person.transl))
            out[pid] = PosedBody(joints.cpu().numpy().astype(np.float64),
                                 transforms[..., :3, :3].cpu().numpy().astype(np.float64), shapes[key])
    return out


class OfflineDescriber(Describer):
    """Templated English from the 3D estimate (contacts, proxemics, facing, movement)."""

    def __init__(self, body: Optional[BodyModel] = None) -> None:
        self._body = body
        self._shapes: dict[bytes, CapsuleShape] = {}

    @property
    def body(self) -> BodyModel:
        if self._body is None:
            from ..body import load_body_model

            self._body = load_body_model(device="cpu")
        return self._body

    @property
    def backend_id(self) -> str:
        return f"offline-3d/v{VERSION}/{self.body.name}"

    @property
    def author(self) -> str:
        return f"offline describer v{VERSION}"

    def pelvis_offsets(self, recon: Reconstruction) -> dict[str, np.ndarray]:
        """Each person's rest pelvis joint: where ``transl`` puts the pelvis (for 2D keypoint evidence)."""
        with torch.no_grad():
            return {pid: self.body.rest(torch.as_tensor(p.betas, dtype=torch.float32, device=self.body.device))[1][
                0].cpu().numpy().astype(np.float64) for pid, p in recon}

    def analyse(self, inp: DescribeInput) -> tuple[Analysis, Evidence]:
        """The segment's analysis on the motion the evidence supports (``evidence.py``), and that evidence."""
        seg = inp.segment
        recon, evidence = bridge_untrusted(inp.reconstruction, seg, self.pelvis_offsets(inp.reconstruction))
        bodies = segment_bodies(recon, seg.start, seg.stop, self.body, self._shapes)
        return analyse(bodies, recon.fps, seg.start), evidence

    def describe(self, inp: DescribeInput) -> Description:
        an, evidence = self.analyse(inp)
        kind = an.kind()
        details = {"kind": kind, "distance_m": round(an.mean_distance, 3), "zone": an.zone,
                   "facing": _facing_phrase(an), "approach_m": {p: round(an.approach(p), 3) for p in PERSON_IDS},
                   "contacts": contacts_to_json(estimate_contacts(an)),
                   "near": [n.to_json() for n in an.near], "evidence": evidence.to_json()}
        return Description(render(an, kind), self.author, details)


def estimate_contacts(an: Analysis) -> list[ContactConstraint]:
    """Every intended contact of the analysis as a constraint with its own frames (``source="estimate"``): hands,
    arms and feet on the other person; a hanging hand brushing a hip and trunks leaning together are left out,
    as the parser leaves out their sentences."""
    out = []
    for c in an.active:
        if c.part not in EFFECTOR:
            continue
        region = PARTS[c.region]
        words = f"{c.region_side} {c.region}" if c.region_side and region.sided else c.region
        out.append(ContactConstraint(c.person, effector_joint(PARTS[c.part], c.side), c.other,
                                     region.joints_for(c.region_side), c.start, c.stop, words,
                                     _contact_clause(c, False, an.kind()), "estimate"))
    return out


def render(an: Analysis, kind: str) -> str:
    """One or two sentences a person can edit: what they do, naming the main contacts in the parser's words
    where the verb does not already imply them, then who turns or moves. Frames, distances and the full contact
    list are in the description's details, not in the prose."""
    first = _kind_sentence(an, kind)[:-1]
    implied = {(c.person, c.joint) for c in parse_contacts(first, an.start, an.stop)}
    clauses = list(dict.fromkeys(text for key, text in _main_contacts(an, kind) if not key & implied))[:MAX_STATED]
    if kind == "contact" and clauses:
        first, clauses = clauses[0][0].upper() + clauses[0][1:], clauses[1:]
    if clauses:
        first += "; " + " and ".join(clauses)
    second = _motion_sentence(an, kind)
    return " ".join(s for s in (first + ".", second) if s)


def _main_contacts(an: Analysis, kind: str) -> list[tuple[set[tuple[str, str]], str]]:
    """Clauses for the active hand and arm contacts, longest first (a left and right part on one spot share
    one; a hand already placed by a longer contact is not placed again: "A's right hand is on B's lower back;
    A's right hand is on B's waist" reads as two hands), each with the (person, joint) pairs it pins."""
    found: list[tuple[int, set[tuple[str, str]], str]] = []
    used: set[int] = set()
    contacts = [c for c in an.active if c.part in ("hand", "arm")]
    for i, c in enumerate(contacts):
        if i in used:
            continue
        twin = next((j for j, d in enumerate(contacts) if j > i and j not in used and _twins(c, d)), None)
        keys = {(c.person, f"{c.side}_wrist")}
        if twin is not None:
            used.add(twin)
            keys.add((c.person, f"{contacts[twin].side}_wrist"))
        if c.region == "hand":  # the held hand is pinned too
            keys.add((c.other, f"{c.region_side}_wrist"))
        found.append((c.stop - c.start, keys, _contact_clause(c, twin is not None, kind)))
    found.sort(key=lambda f: -f[0])
    stated: set[tuple[str, str]] = set()
    out = []
    for _, keys, text in found:
        if not keys <= stated:
            stated |= keys
            out.append((keys, text))
    return out


def _turns(an: Analysis, pid: str) -> bool:
    """``pid``'s heading turns by at least ``TURN_DEG`` over the segment."""
    f = an.people[pid].forward
    yaw = np.unwrap(np.arctan2(f[:, 0], f[:, 2]))
    return bool(abs(yaw[-1] - yaw[0]) >= np.radians(TURN_DEG))


def _turn_clause(an: Analysis, pid: str) -> str:
    """"B turns under A's arm" when the other holds B's hand with theirs raised above the shoulders."""
    other = _other(pid)
    for c in an.active:
        if c.part == "hand" and c.region == "hand" and pid in (c.person, c.other):
            side = c.side if c.person == other else c.region_side
            sl = slice(c.start - an.start, c.stop - an.start)
            if side and np.median(an.people[other].hand_height[side][sl]) > 0.0:
                return f"{pid} turns under {other}'s arm"
    return f"{pid} turns around"


def _motion_sentence(an: Analysis, kind: str) -> str:
    """Who turns, and who walks toward or away from whom (nothing when nobody does)."""
    clauses = [_turn_clause(an, pid) for pid in PERSON_IDS if _turns(an, pid)]
    a, b = an.people["A"], an.people["B"]
    if a.moving and b.moving and an.heading_cos() > FACING_COS:
        if kind not in ("walk_together", "arm_around_shoulders"):
            clauses.append("both walk forward")
    else:
        for pid in PERSON_IDS:
            shift = an.approach(pid)
            if kind in ("walk_toward", "push") and abs(shift) > SHIFT_M and pid == _mover(an, kind):
                continue  # the first sentence says it
            if shift > SHIFT_M:
                clauses.append(f"{pid} moves toward {_other(pid)}")
            elif shift < -SHIFT_M:
                clauses.append(f"{pid} moves away from {_other(pid)}")
    if not clauses:
        return ""
    text = ", and ".join(clauses) + "."
    return text[0].upper() + text[1:]


def _mover(an: Analysis, kind: str) -> str:
    """Who the first sentence already says moves: the walker, or the one pushed away."""
    if kind == "handshake":
        held = max((c for c in an.active if c.part == "hand" and c.region == "hand"), key=lambda c: c.stop - c.start)
        return "A and B shake hands." if (held.side, held.region_side) == ("right", "right") else "A and B hold hands."
    if kind == "walk_toward":
        return max(PERSON_IDS, key=an.approach)
    return min(PERSON_IDS, key=an.approach)


def _other(pid: str) -> str:
    return PERSON_IDS[1 - PERSON_IDS.index(pid)]


def _kind_sentence(an: Analysis, kind: str) -> str:
    if kind == "hug":
        huggers = [p for p in PERSON_IDS
                   if len({c.side for c in an.contacts_of(p, "hand") if c.region in BACK_REGIONS - {"shoulder"}}) == 2]
        return "A and B hug each other." if len(huggers) == 2 else f"{huggers[0]} hugs {_other(huggers[0])}."
    if kind == "push":
        pusher = next(p for p in PERSON_IDS if an.approach(_other(p)) < -SHIFT_M and an.contacts_of(p, "hand"))
        return f"{pusher} pushes {_other(pusher)} away."
    if kind == "walk_together":
        holding = any(c.part == "hand" and c.region == "hand" for c in an.active)
        return f"A and B walk side by side, B on A's {an.side_of('A')}{', holding hands' if holding else ''}."
    if kind == "arm_around_shoulders":
        c = next(c for c in an.active if c.part == "hand" and c.region in {"shoulder", "upper back", "neck"})
        together = "walk" if an.people["A"].moving and an.people["B"].moving else "stand"
        return (f"A and B {together} side by side, and {c.person} puts the {c.side} arm around {c.other}'s "
                "shoulders.")
    if kind == "wave":
        waving = wavers(an)
        parts = [f"{pid} waves {'back ' if i else 'at ' + _other(pid) + ' '}with the {side} hand"
                 for i, (pid, side) in enumerate(waving.items())]
        return ", and ".join(parts) + "."
    if kind == "shoulder_tap":
        c = next(c for c in an.active if c.part == "hand" and c.region in {"shoulder", "upper back", "neck"})
        where = f"{c.region_side} {c.region}" if c.region_side else c.region
        return f"{c.person} taps {c.other} on the {where} with the {c.side} hand."
    if kind == "handshake":
        held = max((c for c in an.active if c.part == "hand" and c.region == "hand"), key=lambda c: c.stop - c.start)
        return "A and B shake hands." if (held.side, held.region_side) == ("right", "right") else "A and B hold hands."
    if kind == "walk_toward":
        walker = max(PERSON_IDS, key=an.approach)
        return f"{walker} walks toward {_other(walker)}."
    return {
        "dance_hold": "A and B dance in a closed hold.",
        "high_five": "A and B give each other a high five.",
        "contact": "A and B are in contact.",
        "face_to_face": "A and B stand facing each other.",
        "apart": "A and B stand apart.",
    }[kind]


def _facing_phrase(an: Analysis) -> str:
    ca, cb = an.facing_cos("A"), an.facing_cos("B")
    if ca > FACING_COS and cb > FACING_COS:
        return "facing each other"
    if an.heading_cos() > FACING_COS:
        where = an.side_of("A")
        place = {"front": "in front of A", "behind": "behind A"}.get(where, f"on A's {where}")
        return f"facing the same way, B {place}"

    def one(pid: str, c: float) -> str:
        other = _other(pid)
        if c > FACING_COS:
            return f"{pid} facing {other}"
        if c < -FACING_COS:
            return f"{pid} with their back to {other}"
        return f"{pid} turned sideways to {other}"

    return f"{one('A', ca)} and {one('B', cb)}"


def _owned(pid: str, word: str, side: Optional[str], plural: bool = False) -> str:
    if plural:
        return f"{pid}'s {_PLURAL.get(word, word + 's')}"
    return f"{pid}'s {side + ' ' if side else ''}{word}"


_PLURAL = {"foot": "feet"}


def _contact_clause(c: Contact, plural: bool, kind: str) -> str:
    """One contact in the parser's words (``plural``: the left and right part together), without frames."""
    actor = _owned(c.person, "body" if c.part == "torso" else c.part, c.side, plural)
    target = _owned(c.other, c.region, c.region_side)
    if c.part == "torso":
        return f"{actor} is against {target}"
    if c.region == "hand" and c.part == "hand":
        verb = ("touch" if plural else "touches") if kind == "high_five" else ("hold" if plural else "holds")
        return f"{actor} {verb} {target}"
    if c.part == "arm" and c.region in BACK_REGIONS - {"shoulder"}:
        return f"{actor} {'are' if plural else 'is'} around {target}"
    return f"{actor} {'are' if plural else 'is'} on {target}"


def _twins(c: Contact, d: Contact) -> bool:
    overlap = min(c.stop, d.stop) - max(c.start, d.start)
    return (c.person == d.person and c.part == d.part and c.side != d.side and c.region == d.region
            and c.passive == d.passive
            and c.region_side == d.region_side and overlap > 0.7 * max(c.stop - c.start, d.stop - d.start))

"""The offline describer: the interaction in templated English, read off the current 3D estimate.

It needs no model download and no video, so it is the default and what every test and CI run exercises. What it
can say is bounded by the estimate: in an occluded segment it describes the motion the app currently believes,
which is exactly what a user reviewing that segment wants to check or correct.

Its sentences are written in the vocabulary the contact parser (``contacts.py``) reads, so a description can be
turned back into contact constraints whether the user edited it or not. Left and right are the person's own
(SMPL-X: left is +X in the body frame, facing +Z), so mirroring a clip swaps them in the text.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from ..body.base import BodyModel
from ..body.kinematics import forward_kinematics
from ..motion import PERSON_IDS, Reconstruction
from ..rotations import axis_angle_to_matrix
from .analysis import BACK_REGIONS, FACING_COS, SHIFT_M, Analysis, Contact, Near, analyse, wavers
from .base import Describer, DescribeInput, Description
from .capsules import CapsuleShape, PosedBody

VERSION = 1
FULL_SPAN = 0.8  # contacts covering less of the segment than this get their frames stated


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

    def analyse(self, inp: DescribeInput) -> Analysis:
        seg = inp.segment
        bodies = segment_bodies(inp.reconstruction, seg.start, seg.stop, self.body, self._shapes)
        return analyse(bodies, inp.reconstruction.fps, seg.start)

    def describe(self, inp: DescribeInput) -> Description:
        an = self.analyse(inp)
        kind = an.kind()
        details = {"kind": kind, "distance_m": round(an.mean_distance, 3), "zone": an.zone,
                   "contacts": [c.to_json() for c in an.contacts], "near": [n.to_json() for n in an.near]}
        return Description(render(an, kind), self.author, details)


def render(an: Analysis, kind: str) -> str:
    """The whole description: what they do, how they stand, what touches what, who moves."""
    sentences = [_kind_sentence(an, kind), _proxemics_sentence(an)]
    sentences += _contact_sentences(an, kind)
    sentences += [_near_sentence(n) for n in an.near]
    sentences += _movement_sentences(an)
    return " ".join(s for s in sentences if s)


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
    if kind == "walk_toward":
        walker = max(PERSON_IDS, key=an.approach)
        return f"{walker} walks toward {_other(walker)}."
    return {
        "handshake": "A and B shake hands.",
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


def _proxemics_sentence(an: Analysis) -> str:
    return f"They are {an.mean_distance:.2f} m apart ({an.zone} distance), {_facing_phrase(an)}."


def _owned(pid: str, word: str, side: Optional[str], plural: bool = False) -> str:
    if plural:
        return f"{pid}'s {_PLURAL.get(word, word + 's')}"
    return f"{pid}'s {side + ' ' if side else ''}{word}"


_PLURAL = {"foot": "feet"}


def _contact_sentences(an: Analysis, kind: str) -> list[str]:
    """One sentence per contact; a left and a right part on the same spot at the same time share one."""
    out: list[str] = []
    done: set[int] = set()
    span = an.stop - an.start
    for i, c in enumerate(an.contacts):
        if i in done:
            continue
        pair = next((j for j, d in enumerate(an.contacts) if j > i and j not in done and _twins(c, d)), None)
        plural = pair is not None
        if pair is not None:
            done.add(pair)
        actor = _owned(c.person, "body" if c.part == "torso" else c.part, c.side, plural)
        target = _owned(c.other, c.region, c.region_side)
        if c.passive:  # worded without a relation, so the parser does not make it a constraint
            sentence = f"{actor} {'brush' if plural else 'brushes'} {target}"
        elif c.part == "torso":
            sentence = f"{actor} is against {target}"
        elif c.region == "hand" and c.part == "hand":
            verb = ("touch" if plural else "touches") if kind == "high_five" else ("hold" if plural else "holds")
            sentence = f"{actor} {verb} {target}"
        elif c.part == "arm" and c.region in BACK_REGIONS - {"shoulder"}:
            sentence = f"{actor} {'are' if plural else 'is'} around {target}"
        else:
            sentence = f"{actor} {'are' if plural else 'is'} on {target}"
        start, stop = (c.start, c.stop) if pair is None else (min(c.start, an.contacts[pair].start),
                                                               max(c.stop, an.contacts[pair].stop))
        if stop - start < FULL_SPAN * span:
            sentence += f" from frame {start} to {stop - 1}"
        out.append(sentence + ".")
    return out


def _near_sentence(n: Near) -> str:
    """Worded so the contact parser finds no contact in it (no relation word before the target)."""
    target = _owned(n.other, n.region, n.region_side)
    return f"{n.person}'s {n.side} hand comes within {round(n.gap * 100)} cm of {target} at frame {n.frame}."


def _twins(c: Contact, d: Contact) -> bool:
    overlap = min(c.stop, d.stop) - max(c.start, d.start)
    return (c.person == d.person and c.part == d.part and c.side != d.side and c.region == d.region
            and c.passive == d.passive
            and c.region_side == d.region_side and overlap > 0.7 * max(c.stop - c.start, d.stop - d.start))


def _movement_sentences(an: Analysis) -> list[str]:
    a, b = an.people["A"], an.people["B"]
    seconds = (an.stop - an.start) / an.fps
    if a.moving and b.moving and an.heading_cos() > FACING_COS:
        return [f"Both walk forward at about {0.5 * (a.speed + b.speed):.1f} m/s."]
    out = []
    for pid in PERSON_IDS:
        shift = an.approach(pid)
        if shift > SHIFT_M:
            out.append(f"{pid} moves {shift:.1f} m toward {_other(pid)} over {seconds:.1f} s.")
        elif shift < -SHIFT_M:
            out.append(f"{pid} moves {-shift:.1f} m away from {_other(pid)} over {seconds:.1f} s.")
        elif an.people[pid].moving:
            out.append(f"{pid} moves about without closing the distance.")
    if not out:
        out.append("Neither moves from their place.")
    elif len(out) == 1:
        still = next(p for p in PERSON_IDS if not out[0].startswith(p))
        out.append(f"{still} stays in place." if not an.people[still].moving else "")
    return out

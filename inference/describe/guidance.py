"""Text contacts → the engine's contact guidance (joint pairs that must come within a distance).

A ``ContactConstraint`` from the parser names a joint and a *region* of the other person ("B's back" = spine1–3);
the engine's guidance (``inference.engine.guidance.ContactConstraint``) wants one joint of A, one joint of B and a
distance. The region is resolved to the joint of it nearest the acting joint in the current estimate (so "B's
shoulder" picks the shoulder the hand is already closest to), and the distance is what that pair measures when
they touch: for the trunk, the depth of the partner's own body on the side the words name, from their rest mesh
(a wrist on the back of the free body sits ~12 cm from spine3, on the chest ~23 cm from spine2); for limbs, a
fixed allowance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from ..body.base import BodyModel
from ..motion import PERSON_IDS, Reconstruction
from ..skeleton import JOINT_INDEX
from .capsules import CAPSULE_INDEX, CAPSULES, PosedBody
from ..segments import Segment
from .contacts import ContactConstraint, parse_contacts
from .offline import segment_bodies

if TYPE_CHECKING:
    from ..engine.guidance import ContactConstraint as EngineContact

HAND_ALLOWANCE = 0.10  # wrist joint to a surface its palm rests on (~5–8 cm), plus slack (m)
LIMB_DISTANCE = {"wrist": 0.16, "elbow": 0.13, "shoulder": 0.13, "collar": 0.13, "head": 0.17, "neck": 0.12,
                 "hip": 0.15, "knee": 0.13, "ankle": 0.12, "foot": 0.12}  # joint-to-joint when touching (m)
_FRONT_WORDS = ("chest", "belly")
_BACK_WORDS = ("back",)


def _trunk_depth(body: PosedBody, joint: str, region: str) -> float:
    """Distance from trunk ``joint`` to the surface on the side ``region`` names (the nearer side if neither)."""
    caps = [i for i, c in enumerate(CAPSULES) if c.part == "torso" and joint in (c.a, c.b)]
    i = caps[0] if caps else CAPSULE_INDEX["chest_left"]
    cap = CAPSULES[i]
    offset = (body.shape.offset_a if cap.a == joint else body.shape.offset_b)[i][2]
    front, back = body.shape.radii[i] + offset, body.shape.radii[i] - offset
    if any(w in region for w in _BACK_WORDS):
        return float(back)
    if any(w in region for w in _FRONT_WORDS):
        return float(front)
    return float(min(front, back))


def pair_distance(c: ContactConstraint, target: str, other: PosedBody) -> float:
    """How close ``c.joint`` and the other's ``target`` joint are when the contact holds."""
    if target in ("pelvis", "spine1", "spine2", "spine3"):
        return _trunk_depth(other, target, c.region) + HAND_ALLOWANCE
    return LIMB_DISTANCE[target.split("_", 1)[-1]]


def to_engine_contacts(constraints: Iterable[ContactConstraint], recon: Reconstruction,
                       body: BodyModel) -> list["EngineContact"]:
    """The engine's joint-pair constraints for ``constraints`` on ``recon`` (frames are the reconstruction's)."""
    from ..engine.guidance import ContactConstraint as EngineContact

    constraints = list(constraints)
    if not constraints:
        return []
    bodies = segment_bodies(recon, 0, recon.num_frames, body)
    out = []
    for c in constraints:
        stop = min(c.stop, recon.num_frames)
        if c.start >= stop:
            continue
        mine = bodies[c.person].joints[c.start:stop, JOINT_INDEX[c.joint]]
        theirs = bodies[c.other].joints[c.start:stop][:, list(c.target_indices)]
        target = c.target_joints[int(np.linalg.norm(theirs - mine[:, None], axis=-1).mean(axis=0).argmin())]
        distance = pair_distance(c, target, bodies[c.other])
        ja, jb = (c.joint, target) if c.person == PERSON_IDS[0] else (target, c.joint)
        out.append(EngineContact(c.start, stop, JOINT_INDEX[ja], JOINT_INDEX[jb], distance))
    return out



def text_contacts(recon: Reconstruction, segment: Segment, text: str, body: BodyModel) -> list["EngineContact"]:
    """The contacts ``text`` states over ``segment``, as the infiller's contact guidance: the semantic half of
    the infiller's geometric guidance, so every caller (app, batch, command line) turns text into constraints
    the same way."""
    return to_engine_contacts(parse_contacts(text, segment.start, segment.stop), recon, body)


def segments_contacts(recon: Reconstruction, segments: Sequence[Segment], body: BodyModel) -> list["EngineContact"]:
    """The contacts every segment's current description states, for the refiner: it works on the whole
    sequence and, given no contacts, pulls apart hands the infiller brought together (docs/eval/README.md)."""
    return [c for seg in segments for c in text_contacts(recon, seg, seg.description, body)]

"""The user's edits as the engine's constraints, and holding them after the engine has run.

The infiller and refiner take contacts and pins as soft guidance while sampling; :func:`hold` then applies limb
IK (:mod:`inference.edit.pins`) on the frames the engine was allowed to change, so a pin the user placed is met
to the millimetre and a stated contact actually touches.
"""

from __future__ import annotations

from typing import Iterable, Optional

import numpy as np

from ..body.base import BodyModel
from ..describe.guidance import to_engine_contacts
from ..engine.bodies import pair_rest_joints
from ..engine.guidance import ContactConstraint as EngineContact
from ..engine.guidance import PinConstraint
from ..engine.window_io import recon_joints
from ..motion import PERSON_IDS, Reconstruction
from ..segments import Segment
from ..skeleton import JOINT_INDEX
from .contacts import Contact
from .pins import Pin, enforce


def engine_pins(pins: Iterable[Pin]) -> list[PinConstraint]:
    return [PinConstraint(p.start, p.stop, p.person_index, JOINT_INDEX[p.joint], p.target) for p in pins]


def engine_contacts(contacts: Iterable[Contact], recon: Reconstruction, body: BodyModel) -> list[EngineContact]:
    return to_engine_contacts([c.constraint for c in contacts], recon, body)


def hold(recon: Reconstruction, body: BodyModel, contacts: Iterable[EngineContact] = (), pins: Iterable[Pin] = (),
         editable: Optional[np.ndarray] = None) -> Reconstruction:
    """``recon`` with ``pins`` met and ``contacts`` closed on the ``editable`` ``(T, 2)`` frames."""
    pins, contacts = list(pins), list(contacts)
    if not pins and not contacts:
        return recon
    rest = pair_rest_joints(recon, body)
    return enforce(recon, rest, recon_joints(recon, rest), pins, contacts, editable)


def segment_frames(num_frames: int, segment: Segment) -> np.ndarray:
    """``(T, 2)``: the entries an infill of ``segment`` regenerates (its frames, for the people it names)."""
    mask = np.zeros((num_frames, 2), bool)
    for i, pid in enumerate(PERSON_IDS):
        if segment.who in (pid, "both"):
            mask[segment.start:segment.stop, i] = True
    return mask


def pose_with_pin(recon: Reconstruction, body: BodyModel, pin: Pin) -> Reconstruction:
    """The direct edit a drag makes: the pinned limb moved onto the pin, faded in over neighbouring frames."""
    return hold(recon, body, pins=[pin])

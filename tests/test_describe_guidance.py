"""Text contacts → the engine's joint-pair guidance: the ground-truth contacts of generated clips satisfy the
constraints parsed from their own label sentences."""

from __future__ import annotations

import numpy as np
import pytest

from inference.describe import OfflineDescriber, parse_contacts
from inference.describe.guidance import to_engine_contacts
from inference.engine.guidance import ContactConstraint as EngineContact
from inference.skeleton import JOINT_INDEX

from describe_support import clip


@pytest.fixture(scope="module")
def body():
    return OfflineDescriber().body


@pytest.mark.parametrize("kind", ["handshake", "hug", "high_five", "push", "dance_hold", "shoulder_tap",
                                  "arm_around_shoulders"])
def test_label_constraints_hold_on_the_true_contacts(body, kind: str) -> None:
    c = clip(kind, 1)
    recon = c.reconstruction
    engine = to_engine_contacts(parse_contacts(c.label, 0, recon.num_frames), recon, body)
    assert engine and all(isinstance(e, EngineContact) for e in engine)
    for truth in c.contacts:  # every labelled contact is constrained, and the true motion satisfies it
        a_joint, b_joint = (truth.joint, truth.part) if truth.person == "A" else (truth.part, truth.joint)
        ja, jb = JOINT_INDEX[a_joint], JOINT_INDEX[b_joint]
        mine = [e for e in engine if (e.joint_a if truth.person == "A" else e.joint_b) == JOINT_INDEX[truth.joint]]
        assert mine, (kind, truth)
        for e in mine:
            sl = slice(truth.start, truth.stop)
            gap = np.linalg.norm(c.joints["A"][sl, e.joint_a] - c.joints["B"][sl, e.joint_b], axis=-1)
            assert gap.max() <= e.distance, (kind, truth, e)
            assert e.distance < 0.3
        assert any((e.joint_a, e.joint_b) == (ja, jb) for e in mine) or truth.part.startswith("spine")


def test_frames_outside_the_motion_are_dropped(body) -> None:
    recon = clip("push", 0).reconstruction
    far = parse_contacts("A's left hand is on B's chest from frame 500 to 520.", 0, recon.num_frames)
    assert far and to_engine_contacts(far, recon, body) == []
    assert to_engine_contacts([], recon, body) == []


def test_every_segment_description_reaches_the_refiner_as_contacts(body) -> None:
    from inference.describe.guidance import segments_contacts
    from inference.segments import Segment

    recon = clip("handshake", 2).reconstruction
    segments = [Segment(10, 40, "B").with_text("A's right hand holds B's right hand.", "user"),
                Segment(50, 70, "A").with_text("They stand apart.", "user"),  # states no contact
                Segment(80, 100, "both")]  # no description yet
    contacts = segments_contacts(recon, segments, body)
    assert contacts and all(10 <= c.start and c.stop <= 40 for c in contacts)
    assert {(c.joint_a, c.joint_b) for c in contacts} == {(JOINT_INDEX["right_wrist"], JOINT_INDEX["right_wrist"])}

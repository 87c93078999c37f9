"""What pins and hand-made contacts do to an infill on the demo, measured against its ground truth.

A user who sees a wrong wrist drags it to where it really is: the pin is placed at the TRUE position of the
segment person's left wrist on the segment's middle frame, and a contact joins their right wrist to the other
person's joint it is nearest to in the truth (within its distance). Three infills of the demo's first flagged
segment with the shipped model are compared: no constraints, constraints as guidance only (the engine's soft
terms), and guidance + hold (limb IK after the engine, what the app runs). Printed: distance to the pin, contact
gap, and MPJPE of the segment person over the segment against the truth (mm), plus time per infill.

Usage: ``PYTHONPATH=$PWD .venv/bin/python bench/bench_edit_constraints.py``
"""

from __future__ import annotations

import json
import time

import numpy as np

from inference.body import load_body_model
from inference.demo import ensure_demo
from inference.describe.contacts import ContactConstraint
from inference.edit.contacts import Contact
from inference.edit.hold import engine_contacts, engine_pins, hold, segment_frames
from inference.edit.judge import contact_gaps_mm, pin_distance_mm
from inference.edit.pins import Pin
from inference.engine import InfillOptions, infill_segment
from inference.engine.bodies import pair_rest_joints
from inference.engine.window_io import recon_joints
from inference.io.npz import load_reconstruction
from inference.segments import Segment
from inference.skeleton import BODY_JOINT_NAMES, JOINT_INDEX


def main() -> None:
    files = ensure_demo()
    initial, truth = load_reconstruction(files.initial), load_reconstruction(files.truth)
    segments = [Segment.from_json(s) for s in json.loads(files.segments.read_text())["segments"]]
    seg = sorted(segments, key=lambda s: (s.start, s.stop))[0]
    body = load_body_model(device="cpu")
    rest = pair_rest_joints(initial, body)
    true_joints = recon_joints(truth, rest)
    me = 1 if seg.who == "B" else 0
    other, mid = 1 - me, (seg.start + seg.stop) // 2
    wrist, right = JOINT_INDEX["left_wrist"], JOINT_INDEX["right_wrist"]
    pin = Pin("AB"[me], "left_wrist", mid, mid + 1, tuple(true_joints[mid, me, wrist]))
    target = int(np.linalg.norm(true_joints[mid, other] - true_joints[mid, me, right], axis=-1).argmin())
    name = BODY_JOINT_NAMES[target]
    contact = Contact(ContactConstraint("AB"[me], "right_wrist", "AB"[other], (name,), seg.start, seg.stop, name))
    guide = engine_contacts([contact], initial, body)
    editable = segment_frames(initial.num_frames, seg)
    print(f"segment {seg.start}-{seg.stop - 1} person {seg.who}; pin {pin.label()}; contact {contact.label()}")
    print(f"{'variant':<26}{'pin mm':>9}{'contact mm':>12}{'MPJPE mm':>10}{'s':>7}")
    for label, options, held in (("no constraints", InfillOptions(), False),
                                 ("guidance only", InfillOptions(contacts=guide, pins=engine_pins([pin])), False),
                                 ("guidance + hold (app)", InfillOptions(contacts=guide, pins=engine_pins([pin])),
                                  True)):
        start = time.perf_counter()
        out = infill_segment(initial, seg, "", options, body=body)
        if held:
            out = hold(out, body, guide, [pin], editable)
        seconds = time.perf_counter() - start
        joints = recon_joints(out, rest)
        mpjpe = 1000 * np.linalg.norm(joints[seg.start:seg.stop, me] - true_joints[seg.start:seg.stop, me],
                                      axis=-1).mean()
        print(f"{label:<26}{pin_distance_mm(joints, [pin]):>9.1f}{max(contact_gaps_mm(joints, guide)):>12.1f}"
              f"{mpjpe:>10.1f}{seconds:>7.1f}")


if __name__ == "__main__":
    main()

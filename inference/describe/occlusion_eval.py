"""What the offline describer says about occluded segments of real two-person motion, reading the evidence around
them versus reading the frozen estimate inside them.

    python -m inference.describe.occlusion_eval A.bvh B.bvh [--fps 60] [--step 75] [--seconds 1]

Both people are imported (``inference.importers.import_motion``; a synthetic T-pose first frame is dropped), then
windows every ``--step`` frames are described three ways, each person hidden in turn the way the engine's
evaluation hides them (last seen pose frozen, 0.1 rad of noise on the body pose, reliability 0):

* **truth** — the motion as captured;
* **frozen** — the hidden motion with every frame marked reliable (what a describer that ignores reliability
  reads: the behaviour before ``evidence.py``);
* **evidence** — the hidden motion with its reliability (the describer's default).

Reported: how often the text says they merely stand ("A and B stand …") while in truth a hand touches the other,
interaction kind agreement with the truth's, hand contacts (person, hand, touched part and side) against the
truth's, and the mean error of the pelvis distance.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..motion import Reconstruction
from ..segments import Segment
from .base import DescribeInput, Description
from .contact_list import contacts_from_json
from .offline import OfflineDescriber


def hide(recon: Reconstruction, who: int, start: int, stop: int, rng: np.random.Generator) -> Reconstruction:
    """Person ``who`` hidden over ``[start, stop)`` as ``inference.engine.evaluation.make_case`` hides them."""
    from ..engine.evaluation import _noisy_rotations

    people = list(recon.people)
    q = people[who].copy()
    for name in ("global_orient", "body_pose", "transl"):
        getattr(q, name)[start:stop] = getattr(q, name)[start - 1]
    q.body_pose[start:stop] = _noisy_rotations(q.body_pose[start:stop], 0.1, rng)
    q.reliability[start:stop] = 0.0
    people[who] = q
    return recon.replace_people(*people)


def trusting(recon: Reconstruction) -> Reconstruction:
    """Every frame marked reliable."""
    people = [p.copy() for p in recon.people]
    for p in people:
        p.reliability[:] = 1.0
    return recon.replace_people(*people)


def hand_contacts(d: Description) -> set[tuple]:
    return {(c.person, c.joint, c.region) for c in contacts_from_json(d.details["contacts"])
            if c.joint.endswith("wrist")}


def evaluate(recon: Reconstruction, step: int, seconds: float) -> dict[str, Counter]:
    describer = OfflineDescriber()
    length = int(round(seconds * recon.fps))
    tallies: dict[str, Counter] = {"frozen": Counter(), "evidence": Counter()}
    for start in range(max(step, 1), recon.num_frames - length - 1, step):
        seg = Segment(start, start + length)
        truth = describer.describe(DescribeInput(recon, seg))
        for who in (0, 1):
            hidden = hide(recon, who, seg.start, seg.stop, np.random.default_rng(start + who))
            for name, motion in (("frozen", trusting(hidden)), ("evidence", hidden)):
                d = describer.describe(DescribeInput(motion, seg))
                t, found = hand_contacts(truth), hand_contacts(d)
                tally = tallies[name]
                tally["cases"] += 1
                tally["stand"] += d.text.startswith("A and B stand") and bool(t)
                tally["kind"] += d.details["kind"] == truth.details["kind"]
                tally["tp"] += len(t & found)
                tally["fp"] += len(found - t)
                tally["fn"] += len(t - found)
                tally["distance_mm"] += round(1000 * abs(d.details["distance_m"] - truth.details["distance_m"]))
    return tallies


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", type=Path, nargs=2, help="person A's and person B's BVH (or any importable pair)")
    parser.add_argument("--fps", type=float, default=None, help="the true frame rate, when the files' is wrong")
    parser.add_argument("--step", type=int, default=75, help="frames between window starts")
    parser.add_argument("--seconds", type=float, default=1.0, help="how long each person is hidden")
    args = parser.parse_args(argv)
    from ..importers import import_motion

    recon = import_motion(args.files, fps=args.fps)
    frames = next((int(line.split()[1]) for line in args.files[0].read_text(errors="replace").splitlines()
                   if line.startswith("Frames:")), None)
    if frames == recon.num_frames:  # the importer kept the synthetic T-pose of frame 0
        recon = recon.slice(1, recon.num_frames)
    tallies = evaluate(recon, args.step, args.seconds)
    print(f"{args.files[0].name} + {args.files[1].name}: {recon.num_frames} frames at {recon.fps:g} fps, one "
          f"person hidden for {args.seconds:g} s every {args.step} frames")
    for name, t in tallies.items():
        n = max(t["cases"], 1)
        precision = t["tp"] / max(t["tp"] + t["fp"], 1)
        recall = t["tp"] / max(t["tp"] + t["fn"], 1)
        print(f"{name:9s} cases {t['cases']}: says they stand while touching {t['stand']}, kind as truth "
              f"{t['kind']}/{n}, hand contacts precision {precision:.0%} recall {recall:.0%} (tp {t['tp']} fp {t['fp']} fn {t['fn']}), "
              f"distance error {t['distance_mm'] / n:.0f} mm")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Development check of the library default (library_alone_and_solo.log): the 10 salsa training pairs, each filled
from the library without it, and 42 generated validation sequences (seeds 200000-200041), or the validation pair.
The test pair is not read. From the repository root:

    PYTHONPATH=. .venv/bin/python docs/eval/real_cmu/val_choices/library_alone_and_solo.py 0,1,2 [val]

The variants in the log (alone set only, 4 + 4 / 2 + 6 / 6 + 2 matches, per-set or per-part trust, legs from the
alone set) were fills written against commit 7e90983 for the comparison and not kept; "implemented" is this.
"""
import json
import sys

import numpy as np
import torch

from inference.engine import InfillOptions, RefineOptions, infill_segment, interpolate_segment, refine_sequence
from inference.engine import motion_library
from inference.engine.evaluation import contact_constraints, make_case, score
from inference.engine.real_cases import gap_cases
from inference.generator import INTERACTION_KINDS
from inference.importers import dataset_sequences

torch.set_num_threads(1)
seeds = [int(s) for s in sys.argv[1].split(",")]
split = sys.argv[2] if len(sys.argv) > 2 else "train"
every_start = motion_library.MotionLibrary._starts
left_out = {"take": ""}
motion_library.MotionLibrary._starts = lambda self, length: (
    lambda s: s[np.array(self.names)[self.take[s]] != left_out["take"]])(every_start(self, length))
cases = [(name if split == "train" else "", c) for name, r, _ in dataset_sequences(f"cmu:../shared/data/cmu:{split}")
         if "+" in name for c in gap_cases(name, r, seeds)]
if split == "train":
    cases += [("gen", make_case(INTERACTION_KINDS[i % len(INTERACTION_KINDS)], 200000 + i)) for i in range(42)]


def default(case):
    filled = infill_segment(case.observed, case.segment, "", InfillOptions(contacts=contact_constraints(case)))
    return refine_sequence(filled, None, RefineOptions())


for method, run in (("interpolation", lambda c: interpolate_segment(c.observed, c.segment)), ("default", default)):
    rows = []
    for take, case in cases:
        left_out["take"] = take
        s = score(case, run(case))
        rows.append((take == "gen", case.segment.who, case.segment.stop - case.segment.start, s))
    summary = {}
    for group, generated in (("salsa", False), ("gen", True)):
        r = [x for x in rows if x[0] == generated]
        if r:
            one_second = [x[3]["stepping corr."] for x in r if 25 <= x[2] <= 35]
            summary[group] = {"mpjpe": round(float(np.mean([x[3]["MPJPE occluded (mm)"] for x in r])), 1),
                              "root": round(float(np.mean([x[3]["root error occluded (mm)"] for x in r])), 1),
                              "step1s": round(float(np.nanmean(one_second)), 3),
                              **{who: round(float(np.mean([x[3]["MPJPE occluded (mm)"] for x in r if x[1] == who])), 1)
                                 for who in ("A", "B", "both") if not generated}}
    print(method, json.dumps(summary), flush=True)

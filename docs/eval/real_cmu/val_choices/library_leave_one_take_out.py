"""Leave-one-take-out on the training takes: every take's gaps filled from the shipped library *without that
take* (its windows are never candidates), against interpolation. The validation pair is another take of the same
couple and was easy for the library (−35 %); this is the harder, larger development set the later choices
(per-person matching when both are hidden; k, context, joints, library augmentation, chained pieces: see
``library_leave_one_take_out_variants.log``) were made on. The test pair is not read.

    PYTHONPATH=. .venv/bin/python docs/eval/real_cmu/val_choices/library_leave_one_take_out.py 0,1
"""
import sys

import numpy as np
import torch

from inference.engine import InfillOptions, RefineOptions, infill_segment, interpolate_segment, refine_sequence
from inference.engine import motion_library
from inference.engine.evaluation import INTERP, contact_constraints, evaluate, gap_tables
from inference.engine.real_cases import gap_cases
from inference.importers import dataset_sequences

torch.set_num_threads(1)
left_out = {"take": ""}
all_starts = motion_library.MotionLibrary._starts


def starts_without_the_take(self: motion_library.MotionLibrary, length: int) -> np.ndarray:
    starts = all_starts(self, length)
    return starts[np.array(self.names)[self.take[starts]] != left_out["take"]]


motion_library.MotionLibrary._starts = starts_without_the_take
seeds = [int(s) for s in sys.argv[1].split(",")]
cases = [(name, c) for name, r, _ in dataset_sequences("cmu:../shared/data/cmu:train") if "+" in name
         for c in gap_cases(name, r, seeds)]
takes = {c.name: name for name, c in cases}


def default(case):
    left_out["take"] = takes[case.name]
    filled = infill_segment(case.observed, case.segment, "", InfillOptions(contacts=contact_constraints(case)))
    return refine_sequence(filled, None, RefineOptions())


table = {INTERP: lambda c: interpolate_segment(c.observed, c.segment), "default infill + Savitzky-Golay": default}
rows, summary = evaluate([c for _, c in cases], table, log=print)
print(f"{len(cases)} cases from the 10 training pairs, seeds {seeds}")
print("\n".join(gap_tables(rows, summary, list(summary))))

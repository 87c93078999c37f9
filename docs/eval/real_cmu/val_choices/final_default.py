"""Validation check of the final default infill (after the speed settings: candidate starts every 2nd frame,
every 3rd frame compared, one guidance round), against interpolation; seeds as the earlier choices."""
import sys

import torch

from inference.engine import InfillOptions, RefineOptions, infill_segment, interpolate_segment, refine_sequence
from inference.engine.evaluation import INTERP, contact_constraints, evaluate, gap_tables
from inference.engine.real_cases import gap_cases
from inference.importers import dataset_sequences

torch.set_num_threads(1)
seeds = [int(s) for s in sys.argv[1].split(",")]
cases = [c for n, r, _ in dataset_sequences("cmu:../shared/data/cmu:val") for c in gap_cases(n, r, seeds)]
table = {INTERP: lambda c: interpolate_segment(c.observed, c.segment),
         "default infill + Savitzky-Golay": lambda c: refine_sequence(
             infill_segment(c.observed, c.segment, "", InfillOptions(contacts=contact_constraints(c))), None,
             RefineOptions())}
rows, summary = evaluate(cases, table, log=print)
print("\n".join(gap_tables(rows, summary, list(summary))))

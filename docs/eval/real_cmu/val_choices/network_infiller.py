import time, torch
torch.set_num_threads(1)
from inference.importers import dataset_sequences
from inference.engine.real_cases import gap_cases
from inference.engine.evaluation import evaluate, contact_constraints, INTERP
from inference.engine import infill_segment, InfillOptions, interpolate_segment
from inference.engine.models import get_model
cases = [c for n, r, _ in dataset_sequences("cmu:../shared/data/cmu:val") for c in gap_cases(n, r, [0, 1])]
net = get_model("infiller", "runs/real/infiller")
table = {INTERP: lambda c: interpolate_segment(c.observed, c.segment),
         "network infiller trained on CMU train (CPU, 500 steps), guided": lambda c: infill_segment(c.observed, c.segment, "", InfillOptions(prior="network", contacts=contact_constraints(c)), model=net)}
rows, summary = evaluate(cases, table, log=print)
for m, v in summary.items(): print(m, {k: round(v[k], 2) for k in ("MPJPE occluded (mm)", "root error occluded (mm)", "stepping corr.", "PA-MPJPE occluded (mm)")})

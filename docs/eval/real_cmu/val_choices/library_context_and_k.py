import time, sys, numpy as np, torch
torch.set_num_threads(1)
from dataclasses import replace
from inference.importers import dataset_sequences
from inference.engine.real_cases import gap_cases
from inference.engine.evaluation import evaluate, contact_constraints, gap_tables, INTERP
from inference.engine import infill_segment, InfillOptions, interpolate_segment, GuidanceWeights
seeds = [int(s) for s in sys.argv[1].split(",")]
cases = [c for n, r, _ in dataset_sequences("cmu:../shared/data/cmu:val") for c in gap_cases(n, r, seeds)]
lib = "runs/real/motion_library.npz"
light = GuidanceWeights(reprojection=1.0, penetration=0.3, contact=1.0, ground=0.0, skating=0.0, continuity=0.5)
table = {INTERP: lambda c: interpolate_segment(c.observed, c.segment)}
for name, opts in [("k4 ctx16 none", dict(library_k=4, library_context=16, guidance=GuidanceWeights.none())),
                   ("k4 ctx30 none", dict(library_k=4, library_context=30, guidance=GuidanceWeights.none())),
                   ("k8 ctx30 none", dict(library_k=8, library_context=30, guidance=GuidanceWeights.none())),
                   ("k8 ctx30 light", dict(library_k=8, library_context=30, guidance=light)),
                   ("k8 ctx30 full", dict(library_k=8, library_context=30))]:
    table[name] = lambda c, o=opts: infill_segment(c.observed, c.segment, "", InfillOptions(prior="library", library_path=lib, contacts=contact_constraints(c), **o))
t0=time.time()
rows, summary = evaluate(cases, table, log=lambda m: print(m, round(time.time()-t0), flush=True))
keys = ["MPJPE occluded (mm)", "root error occluded (mm)", "stepping corr.", "accel error (mm/f²)", "foot skating (mm/f)", "contact dist. error (mm)", "runtime (s)"]
for m, v in summary.items(): print(m, {k: round(v[k], 2) for k in keys})
print("\n".join(gap_tables(rows, summary, list(summary))))

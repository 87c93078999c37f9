import time, sys, numpy as np, torch
torch.set_num_threads(1)
from inference.importers import dataset_sequences
from inference.engine.real_cases import gap_cases
from inference.engine.evaluation import evaluate, contact_constraints, gap_tables, INTERP
from inference.engine import infill_segment, InfillOptions, interpolate_segment, GuidanceWeights, RefineOptions, refine_sequence
seeds = [int(s) for s in sys.argv[1].split(",")]
cases = [c for n, r, _ in dataset_sequences("cmu:../shared/data/cmu:val") for c in gap_cases(n, r, seeds)]
lib = "runs/real/motion_library.npz"
cg = GuidanceWeights(reprojection=1.0, penetration=0.3, contact=1.0, ground=0.0, skating=0.0, continuity=0.0)
none = GuidanceWeights.none()
table = {INTERP: lambda c: interpolate_segment(c.observed, c.segment)}
cache = {}
for name, opts in [("k4 ctx16 none", dict(library_k=4, library_context=16, guidance=none)),
                   ("k8 ctx16 none", dict(library_k=8, library_context=16, guidance=none)),
                   ("k8 ctx10 none", dict(library_k=8, library_context=10, guidance=none)),
                   ("k8 ctx16 contact", dict(library_k=8, library_context=16, guidance=cg))]:
    def f(c, o=opts, name=name):
        key = (name, c.name)
        if key not in cache:
            cache[key] = infill_segment(c.observed, c.segment, "", InfillOptions(prior="library", library_path=lib, contacts=contact_constraints(c), **o))
        return cache[key]
    table[name] = f
table["k8 ctx16 contact + savgol"] = lambda c: refine_sequence(table["k8 ctx16 contact"](c), None, RefineOptions(method="savgol"))
table["k8 ctx16 contact + refiner kept + savgol"] = lambda c: refine_sequence(table["k8 ctx16 contact"](c), None, RefineOptions(keep_trusted=0.2, contacts=contact_constraints(c)))
t0=time.time()
rows, summary = evaluate(cases, table, log=lambda m: print(m, round(time.time()-t0), flush=True))
keys = ["MPJPE occluded (mm)", "root error occluded (mm)", "stepping corr.", "MPJPE visible (mm)", "accel error (mm/f²)", "foot skating (mm/f)", "contact dist. error (mm)", "penetration depth (mm)", "runtime (s)"]
for m, v in summary.items(): print(m, {k: round(v[k], 2) for k in keys})
print("\n".join(gap_tables(rows, summary, list(summary))))

"""Which match distance to trust (motion_library.MATCH_TRUST): salsa takes left out of the library vs generated
validation sequences (not salsa). ``PYTHONPATH=. python docs/eval/real_cmu/val_choices/library_trust_ramp.py "[(9.0, 10.0), (0.2, 0.3)]"``"""
import sys, numpy as np, torch
torch.set_num_threads(1)
from inference.importers import dataset_sequences
from inference.engine.real_cases import gap_cases
from inference.engine.evaluation import make_case, contact_constraints, score
from inference.engine import infill_segment, InfillOptions, interpolate_segment
from inference.engine import motion_library as ML
from inference.generator import INTERACTION_KINDS
left = {"take": ""}
all_starts = ML.MotionLibrary._starts
def starts(self, length):
    s = all_starts(self, length)
    return s[np.array(self.names)[self.take[s]] != left["take"]]
ML.MotionLibrary._starts = starts
variants = eval(sys.argv[1])
cases = [(n, c) for n, r, _ in dataset_sequences("cmu:../shared/data/cmu:train") if "+" in n for c in gap_cases(n, r, [0])]
cases += [("", make_case(INTERACTION_KINDS[i % len(INTERACTION_KINDS)], 200000 + i)) for i in range(42)]
res = {v: {"salsa": [], "gen": []} for v in variants}
for take, c in cases:
    grp = "salsa" if take else "gen"
    for v in variants:
        ML.MATCH_TRUST = v
        left["take"] = take
        out = infill_segment(c.observed, c.segment, "", InfillOptions(contacts=contact_constraints(c)))
        res[v][grp].append(score(c, out)["MPJPE occluded (mm)"])
itp = {"salsa": [], "gen": []}
for take, c in cases:
    itp["salsa" if take else "gen"].append(score(c, interpolate_segment(c.observed, c.segment))["MPJPE occluded (mm)"])
print("interpolation", {g: round(float(np.mean(x)), 1) for g, x in itp.items()})
for v in variants:
    print(v, {g: round(float(np.mean(x)), 1) for g, x in res[v].items()})

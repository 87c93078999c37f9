"""Compare refiner settings on validation sequences (not the test set): contact guidance against accuracy.

    .venv/bin/python scripts/refine_variants.py [--seed 200000] [--cases 14]

Infills each held-out case once with the shipped infiller (text + labelled contacts, as ``sm-studio eval``), then
refines it with each setting below (the default, ``learned+savgol``, and variants with more contact guidance or
less noise) and prints the mean of the metrics that trade against each other. Results of 2026-11-26 are in
docs/eval/README.md.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
import torch

from inference.engine import InfillOptions, RefineOptions, infill_segment, refine_sequence
from inference.engine.evaluation import contact_constraints, make_case, score
from inference.engine.models import get_model
from inference.engine.refine import _default_weights
from inference.generator import INTERACTION_KINDS

METRICS = ("MPJPE occluded (mm)", "contact dist. error (mm)", "accel error (mm/f²)", "penetration depth (mm)",
           "foot skating (mm/f)")


def variants() -> dict[str, RefineOptions]:
    weights = _default_weights()
    return {
        "default": RefineOptions(),
        "strength 0.2": RefineOptions(strength=0.2),
        "contact ×3": RefineOptions(guidance=replace(weights, contact=3.0)),
        "contact ×5, 8 final iterations": RefineOptions(guidance=replace(weights, contact=5.0), final_iterations=8),
        "strength 0.2, contact ×3": RefineOptions(strength=0.2, guidance=replace(weights, contact=3.0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=200000, help="first validation seed (the test set is 100000+)")
    parser.add_argument("--cases", type=int, default=14)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cases = [make_case(INTERACTION_KINDS[i % len(INTERACTION_KINDS)], args.seed + i, 5.0) for i in range(args.cases)]
    infiller, refiner = get_model("infiller"), get_model("refiner")
    filled = [infill_segment(c.observed, c.segment, c.text, InfillOptions(contacts=contact_constraints(c)),
                             model=infiller) for c in cases]

    def report(name: str, results: list) -> None:
        means = {k: float(np.nanmean([score(c, r)[k] for c, r in zip(cases, results)])) for k in METRICS}
        print(f"{name:<34}" + "".join(f"{v:>10.1f}" for v in means.values()), flush=True)

    print(f"{'':<34}" + "".join(f"{k.split(' (')[0][:9]:>10}" for k in METRICS))
    report("infilled (before refining)", filled)
    for name, options in variants().items():
        report(name, [refine_sequence(f, None, replace(options, contacts=contact_constraints(c)), model=refiner)
                      for c, f in zip(cases, filled)])


if __name__ == "__main__":
    main()

"""``sm-studio eval``: the engine against interpolation and smoothing on held-out generated sequences."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: "argparse._SubParsersAction") -> None:
    p = subparsers.add_parser("eval", help="evaluate the infiller/refiner on held-out generated sequences",
                              description="Writes infill_eval.md and infill_eval.csv to --out.")
    p.add_argument("--cases", type=int, default=14, help="number of held-out sequences (cycling interaction kinds)")
    p.add_argument("--seed", type=int, default=100000, help="first generator seed (training used seeds < 100000)")
    p.add_argument("--seconds", type=float, default=5.0, help="length of each sequence")
    p.add_argument("--steps", type=int, default=20, help="infiller sampling steps")
    p.add_argument("--out", default="docs/eval", help="output directory")
    p.add_argument("--infiller", default=None, help="infiller model (default: shipped)")
    p.add_argument("--refiner", default=None, help="refiner model (default: shipped)")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    p.add_argument("--data", default=None,
                   help="real two-person motion instead of generated sequences, e.g. cmu:DIR:val (gaps of "
                        "0.5/1/2 s for A, B and both; see inference/engine/real_cases.py)")
    p.add_argument("--seeds", type=int, default=3, help="with --data: placements/noise draws per gap")
    p.add_argument("--fps", type=float, default=30.0,
                   help="frame rate of the sequences (the models run at their own rate and resample)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inference.engine.evaluation import run_evaluation, run_real_evaluation

    if args.data:
        md, csv = run_real_evaluation(args.data, args.seeds, Path(args.out), args.infiller, args.refiner,
                                      args.steps, log=lambda m: print(m, flush=True), device=args.device)
        print(f"wrote {md} and {csv}")
        return 0
    md, csv = run_evaluation(args.cases, args.seed, Path(args.out), args.infiller, args.refiner, args.steps,
                             args.seconds, log=lambda m: print(m, flush=True), device=args.device,
                             fps=args.fps)
    print(f"wrote {md} and {csv}")
    return 0

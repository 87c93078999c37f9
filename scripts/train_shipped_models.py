"""Reproduce the checkpoints shipped in resources/models/ and their evaluation (see MODEL_CARD.md).

    .venv/bin/python scripts/train_shipped_models.py [--out resources/models] [--skip-eval]

Runs exactly the commands the model card lists, one after the other. On a 2-core CPU shared with other work
this took about 20 + 8 minutes of training and ~10 minutes of evaluation; with CUDA, training uses the GPU.
``OMP_NUM_THREADS=1`` is set because on a busy 2-core machine torch's thread hand-offs cost more than they gain.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = "generated:350:0"
STEPS = {"infiller": 600, "refiner": 300}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="resources/models")
    parser.add_argument("--skip-eval", action="store_true")
    parser.add_argument("--resume", action="store_true", help="continue interrupted runs")
    args = parser.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    cli = [sys.executable, "-m", "sm_studio.cli"]
    for role, steps in STEPS.items():
        cmd = cli + ["train", role, "--data", DATA, "--out", f"{args.out}/{role}", "--steps", str(steps)]
        if args.resume:
            cmd.append("--resume")
        print("$", " ".join(cmd[2:]), flush=True)
        subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    if not args.skip_eval:
        cmd = cli + ["eval", "--cases", "28", "--infiller", f"{args.out}/infiller", "--refiner", f"{args.out}/refiner"]
        print("$", " ".join(cmd[2:]), flush=True)
        subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

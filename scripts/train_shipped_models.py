"""Reproduce the generator-trained checkpoints of 2026-11-26 and their evaluation (docs/gpu.md).

Of those only the refiner still ships; the infiller and the motion library shipped since 2026-12-07 come from
real motion: scripts/train_real_models.sh (resources/models/MODEL_CARD.md).

    .venv/bin/python scripts/train_shipped_models.py [--work /tmp/sm-models] [--workers 5] [--skip-eval]

Runs the commands the model card lists: both models trained on 4,000 generated clips with the configs in
``scripts/gpu_configs/`` for the number of steps the shipped run reached in its 4-minute budget on an H200
(1,654 and 2,106 steps at batch 256), stored as float16 (``scripts/ship_model.py``), then evaluated on the 28
held-out sequences. Needs a CUDA GPU to finish in minutes (``--device cpu`` works, in hours). The shipped run
itself used ``scripts/gpu_run.sh`` (time budget instead of steps; docs/eval/gpu_2026-11-26/).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = "generated:4000:0"
RUNS = {"infiller": ("infiller_large", 1654), "refiner": ("refiner", 2106)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default="/tmp/sm-models", help="where the float32 checkpoints are written")
    parser.add_argument("--out", default="resources/models", help="where the shipped float16 copies go")
    parser.add_argument("--workers", type=int, default=5, help="window-making processes per run")
    parser.add_argument("--device", default=None)
    parser.add_argument("--skip-eval", action="store_true")
    parser.add_argument("--resume", action="store_true", help="continue interrupted runs")
    args = parser.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    cli = [sys.executable, "-m", "sm_studio.cli"]
    for role, (config, steps) in RUNS.items():
        cmd = cli + ["train", role, "--data", DATA, "--out", f"{args.work}/{role}", "--steps", str(steps),
                     "--config", f"scripts/gpu_configs/{config}.json", "--workers", str(args.workers)]
        cmd += ["--device", args.device] if args.device else []
        cmd += ["--resume"] if args.resume else []
        print("$", " ".join(cmd[2:]), flush=True)
        subprocess.run(cmd, cwd=ROOT, env=env, check=True)
        subprocess.run([sys.executable, "scripts/ship_model.py", f"{args.work}/{role}", f"{args.out}/{role}"],
                       cwd=ROOT, env=env, check=True)
    if not args.skip_eval:
        cmd = cli + ["eval", "--cases", "28", "--infiller", f"{args.out}/infiller", "--refiner", f"{args.out}/refiner"]
        print("$", " ".join(cmd[2:]), flush=True)
        subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

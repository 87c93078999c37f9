"""Engine latency and memory on CPU: infill one 2 s segment, refine 300 frames (vs. interpolation / smoothing).

    .venv/bin/python bench/bench_engine.py [--threads N] [--repeats R]

Each task runs in a fresh subprocess so that its peak resident memory is its own. Figures printed per task:
median wall time of ``R`` runs after one warm-up run (model and text encoder loading excluded; reported apart),
peak RSS, and the ratio to the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TASKS = ("interpolate-2s", "infill-2s", "infill-2s-noguidance", "savgol-300", "refine-300")


def _recon(seconds: float):
    from inference.generator import generate_clip

    return generate_clip("hug", 7, seconds=seconds).reconstruction


def run_task(task: str, repeats: int, threads: int) -> dict:
    from inference.engine import GuidanceWeights, InfillOptions, RefineOptions, infill_segment, refine_sequence
    from inference.engine.baselines import interpolate_segment
    from inference.engine.models import get_model
    from inference.segments import Segment

    t0 = time.perf_counter()
    if task.startswith("infill") or task.startswith("interpolate"):
        recon = _recon(4.0)
        seg = Segment(30, 90, "A")  # 2 s at 30 fps
        text = "A walks up to B and they hug"
        if task == "interpolate-2s":
            fn = lambda: interpolate_segment(recon, seg)  # noqa: E731
        else:
            model = get_model("infiller")
            opts = InfillOptions(threads=threads)
            if task == "infill-2s-noguidance":
                opts.guidance = GuidanceWeights.none()
            infill_segment(recon, seg, text, opts, model=model)  # warm-up: loads the text encoder
            fn = lambda: infill_segment(recon, seg, text, opts, model=model)  # noqa: E731
    else:
        recon = _recon(10.0)  # 300 frames
        if task == "savgol-300":
            fn = lambda: refine_sequence(recon, None, RefineOptions(method="savgol"))  # noqa: E731
        else:
            model = get_model("refiner")
            opts = RefineOptions(method="learned", threads=threads)
            fn = lambda: refine_sequence(recon, None, opts, model=model)  # noqa: E731
    setup = time.perf_counter() - t0
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return {"task": task, "median_s": statistics.median(times), "setup_s": setup,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "threads": threads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads while sampling (engine default 1)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--task", choices=TASKS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.task:
        print(json.dumps(run_task(args.task, args.repeats, args.threads)))
        return
    results = {}
    for task in TASKS:
        cmd = [sys.executable, __file__, "--task", task, "--repeats", str(args.repeats), "--threads", str(args.threads)]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            raise SystemExit(f"task {task} failed")
        results[task] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{'task':<24}{'median s':>10}{'setup s':>10}{'peak RSS MB':>13}{'vs baseline':>13}")
    baseline = {"infill-2s": "interpolate-2s", "infill-2s-noguidance": "interpolate-2s", "refine-300": "savgol-300"}
    for task, r in results.items():
        ratio = ""
        if task in baseline:
            ratio = f"{r['median_s'] / max(1e-9, results[baseline[task]]['median_s']):.0f}×"
        print(f"{task:<24}{r['median_s']:>10.3f}{r['setup_s']:>10.2f}{r['peak_rss_mb']:>13.0f}{ratio:>13}")
    print(f"torch threads: {results['infill-2s']['threads']}, cpu count: {os.cpu_count()}")


if __name__ == "__main__":
    main()

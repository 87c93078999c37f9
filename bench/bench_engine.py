"""Engine latency and memory: infill one 2 s segment, refine 300 frames (vs. interpolation / smoothing).

    .venv/bin/python bench/bench_engine.py [--threads N] [--repeats R] [--devices cpu cuda]

Each task runs in a fresh subprocess so that its peak resident memory is its own. Figures printed per task and
device: median wall time of ``R`` runs after one warm-up run (model and text encoder loading excluded; reported
apart), peak RSS, peak GPU memory on CUDA, the ratio to the baseline measured in the same run (interpolation and
smoothing always run on the CPU: they are numpy/scipy), and on CUDA the ratio to the same task on the CPU.
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

import torch

ROOT = Path(__file__).resolve().parents[1]
TASKS = ("interpolate-2s", "infill-2s", "infill-2s-noguidance", "savgol-300", "refine-300")
BASELINE = {"infill-2s": "interpolate-2s", "infill-2s-noguidance": "interpolate-2s", "refine-300": "savgol-300"}


def _recon(seconds: float):
    from inference.generator import generate_clip

    return generate_clip("hug", 7, seconds=seconds).reconstruction


def run_task(task: str, repeats: int, threads: int, device: str) -> dict:
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
            model = get_model("infiller", device=device)
            opts = InfillOptions(threads=threads, device=device)
            if task == "infill-2s-noguidance":
                opts.guidance = GuidanceWeights.none()
            infill_segment(recon, seg, text, opts, model=model)  # warm-up: loads the text encoder
            fn = lambda: infill_segment(recon, seg, text, opts, model=model)  # noqa: E731
    else:
        recon = _recon(10.0)  # 300 frames
        if task == "savgol-300":
            fn = lambda: refine_sequence(recon, None, RefineOptions(method="savgol"))  # noqa: E731
        else:
            model = get_model("refiner", device=device)
            opts = RefineOptions(method="learned", threads=threads, device=device)
            fn = lambda: refine_sequence(recon, None, opts, model=model)  # noqa: E731
    setup = time.perf_counter() - t0
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else 0.0
    return {"task": task, "median_s": statistics.median(times), "setup_s": setup,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "peak_gpu_mb": gpu_mb,
            "threads": threads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads while sampling (engine default 1)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--devices", nargs="+", default=["cpu"], choices=("cpu", "cuda"),
                        help="devices for the networks (each task runs on each)")
    parser.add_argument("--task", choices=TASKS, help=argparse.SUPPRESS)
    parser.add_argument("--device", default="cpu", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.task:
        print(json.dumps(run_task(args.task, args.repeats, args.threads, args.device)))
        return
    results = {}
    for device in args.devices:
        for task in TASKS:
            if device != "cpu" and task in BASELINE.values():
                continue  # numpy/scipy: no device
            cmd = [sys.executable, __file__, "--task", task, "--repeats", str(args.repeats), "--threads",
                   str(args.threads), "--device", device]
            out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                                 env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                     filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                raise SystemExit(f"task {task} on {device} failed")
            results[(task, device)] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{'task':<24}{'device':>7}{'median s':>10}{'setup s':>10}{'peak RSS MB':>13}{'peak GPU MB':>13}"
          f"{'vs baseline':>13}{'vs CPU':>9}")
    for (task, device), r in results.items():
        ratio = vs_cpu = ""
        if task in BASELINE:
            ratio = f"{r['median_s'] / max(1e-9, results[(BASELINE[task], 'cpu')]['median_s']):.1f}×"
        if device != "cpu" and (task, "cpu") in results:
            vs_cpu = f"{r['median_s'] / max(1e-9, results[(task, 'cpu')]['median_s']):.2f}×"
        print(f"{task:<24}{device:>7}{r['median_s']:>10.3f}{r['setup_s']:>10.2f}{r['peak_rss_mb']:>13.0f}"
              f"{r['peak_gpu_mb']:>13.0f}{ratio:>13}{vs_cpu:>9}")
    gpu = torch.cuda.get_device_name() if "cuda" in args.devices else "none"
    print(f"torch {torch.__version__}, threads while sampling: {args.threads}, cpu count: {os.cpu_count()}, GPU: {gpu}")


if __name__ == "__main__":
    main()

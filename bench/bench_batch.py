"""Batch throughput on Ray: clips per minute with 1 and with 2 workers on this machine, and where the time goes.

    .venv/bin/python bench/bench_batch.py [--clips 4] [--seconds 2] [--fps 15] [--size 256x192] [--workers 1,2]

Renders ``--clips`` procedural two-person clips (the generator + renderer the demo uses), then runs the whole
pipeline (``reconstruct,flag,describe,infill,refine,export`` with NPZ + session exports, the CLI's defaults) as a
fresh batch on a fresh local Ray instance with each worker count. Printed: wall time (worker start included, Ray's
own start timed apart), clips per minute and its ratio to 1 worker (the baseline, measured in the same run), the
share of clip time per stage, CPU-seconds per clip (the figure that contention on a shared machine does not move),
and the first-clip overhead per worker (model loading), which the per-process caches pay once per worker.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

KINDS = (("hug", 3), ("handshake", 1), ("push", 4), ("shoulder_tap", 6), ("wave", 7), ("arm_around_shoulders", 8),
         ("high_five", 2), ("dance_hold", 5))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--size", default="256x192")
    parser.add_argument("--workers", default="1,2", help="worker counts to compare (the first is the baseline)")
    parser.add_argument("--videos", type=Path, default=None, help="reuse rendered clips in this folder")
    args = parser.parse_args()

    import ray

    from batch_support import make_clips
    from inference.batch import STAGES, BatchOptions, ClipOptions, read_inputs, run_batch
    from inference.batch.runner import _start_ray

    with tempfile.TemporaryDirectory() as tmp:
        videos = args.videos or Path(tmp) / "videos"
        if args.videos is None:
            width, height = (int(v) for v in args.size.split("x"))
            start = time.perf_counter()
            make_clips(videos, KINDS[:args.clips], (width, height), args.fps, args.seconds, corrupt=False)
            print(f"rendered {args.clips} clips of {args.seconds:g} s at {args.fps:g} fps, {args.size} "
                  f"in {time.perf_counter() - start:.1f} s")
        specs = read_inputs(videos, ClipOptions())
        frames = None
        results = {}
        for workers in (int(w) for w in args.workers.split(",")):
            options = BatchOptions(num_cpus=workers, force=True)
            start = time.perf_counter()
            _start_ray(options)
            ray_start = time.perf_counter() - start
            start = time.perf_counter()
            result = run_batch(specs, Path(tmp) / f"out{workers}", options)
            wall = time.perf_counter() - start
            ray.shutdown()
            print(f"  {workers} worker(s): Ray started in {ray_start:.1f} s (not counted below)")
            if result.failed:
                print(f"  {workers} workers: failed clips {result.failed}: "
                      f"{[result.records[c].error for c in result.failed]}")
            results[workers] = (wall, result)
            frames = frames or [r.frames for r in result.records.values()]
        print(f"{len(specs)} clips, {frames} frames each; machine: 2 shared cores (other jobs may be running)")
        base_wall = next(iter(results.values()))[0]
        for workers, (wall, result) in results.items():
            done = len(result.records) - len(result.failed)
            per_min = 60 * done / wall
            print(f"  {workers} worker(s): {wall:6.1f} s wall, {per_min:5.2f} clips/min, "
                  f"speed-up x{base_wall / wall:.2f} vs {next(iter(results))} worker(s)")
        for workers, (_, result) in results.items():
            records = [r for r in result.records.values() if r.status == "done"]
            total = sum(r.seconds for r in records)
            shares = {s: sum(r.stages.get(s, 0.0) for r in records) / total for s in STAGES}
            print(f"  stage shares, {workers} worker(s): " + ", ".join(f"{s} {v:.0%}" for s, v in shares.items()))
            split = {k: sum(r.substages.get(k, 0.0) for r in records) / total
                     for k in ("reconstruct.keypoints", "reconstruct.fit")}
            print(f"    of which keypoint detection {split['reconstruct.keypoints']:.0%}, "
                  f"fit {split['reconstruct.fit']:.0%}")
            cpu = statistics.mean(r.cpu_seconds for r in records)
            print(f"  {workers} worker(s): {cpu:.1f} CPU-s per clip (all threads of the worker), "
                  f"{statistics.mean(r.seconds for r in records):.1f} s wall per clip inside the worker")
            by_worker: dict[str, list] = {}
            for r in sorted(records, key=lambda r: r.finished_at):
                by_worker.setdefault(r.worker, []).append(r)
            first = [v[0].seconds for v in by_worker.values()]
            later = [x for v in by_worker.values() for x in v[1:]]
            if later:
                steady = statistics.mean(r.seconds for r in later)
                print(f"  {workers} worker(s): first clip per worker {statistics.mean(first):.1f} s, later clips "
                      f"{steady:.1f} s (CPU {statistics.mean(r.cpu_seconds for r in later):.1f} s): model loading "
                      f"is paid once per worker; steady state {60 * len(by_worker) / steady:.2f} clips/min")
    return 0


if __name__ == "__main__":
    sys.exit(main())

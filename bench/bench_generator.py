"""Procedural clip generation throughput (the infiller trains on thousands of clips).

    nice .venv/bin/python bench/bench_generator.py [--clips 20]

Reports clips per second per interaction kind with torch's default thread count and with one thread (what
DataLoader workers use); the baseline is the default-thread run measured in the same process. No rendering.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from inference.generator import INTERACTION_KINDS, generate_clip  # noqa: E402
from inference.generator.clip import default_body  # noqa: E402


def clips_per_second(kind: str, count: int) -> float:
    start = time.perf_counter()
    for seed in range(count):
        generate_clip(kind, seed)
    return count / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=20)
    args = parser.parse_args()
    default_body()
    generate_clip("hug", 0)  # warm-up
    threads = torch.get_num_threads()
    load = os.getloadavg()[0]
    print(f"4 s clips at 30 fps, {args.clips} per kind; load average {load:.1f} on {os.cpu_count()} cores")
    print(f"{'kind':>20} {f'{threads} threads':>12} {'1 thread':>10} {'ratio':>6}")
    for kind in INTERACTION_KINDS:
        torch.set_num_threads(threads)
        base = clips_per_second(kind, args.clips)
        torch.set_num_threads(1)
        single = clips_per_second(kind, args.clips)
        print(f"{kind:>20} {base:9.1f}/s {single:8.1f}/s {single / base:5.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

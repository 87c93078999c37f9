"""CPU time per segment of the vision-language backend on tiny random models of each family, against the offline
describer on the same segment, measured in the same run.

    nice .venv/bin/python bench/bench_vlm.py [--repeats 3] [--tokens 16]

The tiny models (``tests/vlm_support.py``: hidden size 32, 1–2 layers) measure the backend's own overhead — frame
sampling, marking, cropping, the processor, the chat template, ``generate`` and the answer reading — not what a real
model costs; docs/vlm.md estimates that for a ~2B model. A 1 s segment of a generated 30 fps clip with its context
frames (6 images) on random noise video; ``--tokens`` new tokens forced.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import numpy as np  # noqa: E402
import torch  # noqa: E402

from inference.describe import DescribeInput, OfflineDescriber  # noqa: E402
from inference.describe.vlm import VLMDescriber  # noqa: E402
from inference.generator import generate_clip  # noqa: E402
from inference.segments import Segment  # noqa: E402
from bench_describe import timed  # noqa: E402
from vlm_support import BUILDERS  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=16)
    args = parser.parse_args()
    recon = generate_clip("handshake", 0).reconstruction
    rng = np.random.default_rng(0)
    video = [rng.integers(0, 255, (recon.camera.height, recon.camera.width, 3), dtype=np.uint8)
             for _ in range(recon.num_frames)]
    inp = DescribeInput(recon, Segment(40, 70), video=video)
    offline = OfflineDescriber()
    offline.describe(inp)
    base = timed(lambda: offline.describe(inp), args.repeats)
    print(f"{torch.get_num_threads()} torch threads, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} "
          f"cores; 1 s segment (30 frames) + context, {args.tokens} new tokens")
    print(f"baseline offline describer: {base * 1000:7.0f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in BUILDERS.items():
            folder = Path(tmp) / name
            build(folder)
            describer = VLMDescriber(folder, max_new_tokens=args.tokens, min_new_tokens=args.tokens)
            t0 = time.perf_counter()
            describer.load()
            load = time.perf_counter() - t0
            describer.describe(inp)  # warm-up
            seconds = timed(lambda: describer.describe(inp), args.repeats)
            print(f"{name:16s} load {load * 1000:6.0f} ms, per segment {seconds * 1000:6.0f} ms "
                  f"({seconds / base:5.1f}x the offline describer)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

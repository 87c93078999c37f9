"""Body-model speed: one batched forward of 300 frames × 2 people vs a naive per-frame loop, in the same run.

    nice .venv/bin/python bench/bench_body.py [--frames 300] [--repeats 3]

Prints milliseconds for the free body (and SMPL-X when ``SMPLX_MODEL_DIR`` is set), the ratio against posing one
frame per call (timed on ``--naive-frames`` frames per person and scaled, since it is linear and slow), and the
skinning time of ``blend_skin`` vs the reference ``kinematics.skin``. CPU unless ``--device``. The machine is
shared: each figure is the best of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Callable

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inference.body import BodyModel, load_body_model  # noqa: E402
from inference.body.free_body import FreeBodyModel, blend_skin, skinning_features  # noqa: E402
from inference.body.kinematics import skin  # noqa: E402


def best_ms(fn: Callable[[], object], repeats: int) -> float:
    """Best of ``repeats`` after one warm-up: the machine is shared, the minimum is the least disturbed run."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return min(times)


def bench_model(model: BodyModel, frames: int, people: int, repeats: int, naive_frames: int) -> None:
    g = torch.Generator().manual_seed(0)
    batch = frames * people
    dev = model.device
    go = (torch.randn(batch, 3, generator=g) * 0.3).to(dev)
    bp = (torch.randn(batch, 21, 3, generator=g) * 0.3).to(dev)
    tr = torch.randn(batch, 3, generator=g).to(dev)
    betas = [torch.randn(10, generator=g).to(dev) for _ in range(people)]

    def batched() -> None:  # one call per person (each has its own shape), all frames at once
        with torch.no_grad():
            for p in range(people):
                sl = slice(p * frames, (p + 1) * frames)
                model.forward(go[sl], bp[sl], tr[sl], betas[p])

    naive_frames = min(naive_frames, frames)

    def naive() -> None:  # what a viewer does when it poses frame by frame
        with torch.no_grad():
            for p in range(people):
                for f in range(p * frames, p * frames + naive_frames):
                    model.forward(go[f:f + 1], bp[f:f + 1], tr[f:f + 1], betas[p])

    t_batched = best_ms(batched, repeats)
    # the per-frame loop is timed on the first ``naive_frames`` frames of each person and scaled: it is linear
    t_naive = best_ms(naive, 1) * frames / naive_frames
    print(f"{model.name:6s} V={model.num_vertices:6d} {frames} frames x {people} people on {dev}: "
          f"batched {t_batched:8.1f} ms ({t_batched / batch:.3f} ms/body), naive per-frame loop {t_naive:8.1f} ms, "
          f"ratio naive/batched {t_naive / t_batched:5.1f}x (naive timed on {naive_frames} frames/person, scaled)")
    if isinstance(model, FreeBodyModel):
        rest_v, rest_j = model.rest(betas[0])
        weights = torch.as_tensor(model.skin_weights, device=dev)
        with torch.no_grad():
            transforms = model.forward(go[:frames], bp[:frames], tr[:frames], betas[0]).joint_transforms
            features = skinning_features(rest_v, weights)
            t_fast = best_ms(lambda: blend_skin(features, rest_j, transforms), repeats)
            t_ref = best_ms(lambda: skin(rest_v, rest_j, weights, transforms), max(1, repeats // 3))
        print(f"{'':6s} skinning {frames} frames: blend_skin {t_fast:7.1f} ms vs kinematics.skin {t_ref:7.1f} ms "
              f"({t_ref / t_fast:4.1f}x)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--people", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--naive-frames", type=int, default=60, help="frames per person timed in the naive loop")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    bench_model(FreeBodyModel(device=args.device), args.frames, args.people, args.repeats, args.naive_frames)
    if os.environ.get("SMPLX_MODEL_DIR"):
        bench_model(load_body_model(device=args.device), args.frames, args.people, args.repeats, args.naive_frames)
    else:
        print("smplx  skipped: SMPLX_MODEL_DIR is unset")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

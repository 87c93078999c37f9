"""Speed of the description backends, against baselines measured in the same run.

    .venv/bin/python bench/bench_describe.py [--repeats 5]

Figures (median of ``--repeats``) for one 4 s, 30 fps generated clip (120 frames, two people):

* offline describer, uncached — the whole path: forward kinematics, capsules, contacts, English;
* baseline: skinning both full meshes over the same frames (``BodyModel.pose_motion``) — the least a vertex-based
  contact test would have to do before measuring a single distance;
* capsule distances alone (the core of the contact search);
* a cache hit, which is what reopening a session costs per segment.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inference.describe import DescribeInput, DescriptionCache, OfflineDescriber, describe_cached  # noqa: E402
from inference.describe.capsules import surface_distances  # noqa: E402
from inference.describe.offline import segment_bodies  # noqa: E402
from inference.segments import Segment  # noqa: E402


def timed(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from inference.generator.clip import generate_clip

    describer = OfflineDescriber()
    body = describer.body
    recon = generate_clip("hug", 0, body=body).reconstruction
    inp = DescribeInput(recon, Segment(0, recon.num_frames))
    describer.describe(inp)  # warm-up: capsule shapes measured once per body shape

    offline = timed(lambda: describer.describe(inp), args.repeats)
    skin = timed(lambda: [body.pose_motion(p) for _, p in recon], args.repeats)
    bodies = segment_bodies(recon, 0, recon.num_frames, body)
    capsules = timed(lambda: surface_distances(bodies["A"], bodies["B"]), args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        cache = DescriptionCache(tmp)
        describe_cached(describer, inp, cache)
        hit = timed(lambda: describe_cached(describer, inp, cache), args.repeats)

    n = recon.num_frames
    print(f"clip: {n} frames, 2 people, body model '{body.name}' ({body.num_vertices} vertices)")
    print(f"offline describer (uncached):  {offline * 1000:8.1f} ms  ({offline / n * 1000:.2f} ms/frame)")
    print(f"baseline: skin both meshes:    {skin * 1000:8.1f} ms  -> describer is {skin / offline:.1f}x that "
          "baseline's speed")
    print(f"capsule distances alone:       {capsules * 1000:8.1f} ms  ({capsules / offline:.0%} of the describer)")
    print(f"cache hit:                     {hit * 1000:8.1f} ms  ({offline / hit:.0f}x faster than describing)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

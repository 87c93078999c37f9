"""Regenerate the embedded demo in resources/demo/ (or elsewhere), or scan seeds for a good one.

    PYOPENGL_PLATFORM=egl .venv/bin/python scripts/make_demo.py            # rewrite resources/demo/
    PYOPENGL_PLATFORM=egl .venv/bin/python scripts/make_demo.py --out /tmp/demo
    PYOPENGL_PLATFORM=egl .venv/bin/python scripts/make_demo.py --scan 0 10  # occluded segments per seed

The demo's kind and seed live in ``inference/demo.py`` (DEMO_KIND, DEMO_SEED); change them there.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inference import demo  # noqa: E402


def scan(first: int, last: int) -> None:
    """Occluded segments of each seed at a quarter of the pixels, every second frame (fast preview)."""
    import numpy as np

    from inference.body import load_body_model
    from inference.generator import generate_clip
    from inference.generator.footage import MIN_HIDDEN_JOINTS
    from inference.render import OverlayRenderer
    from inference.render.visibility import hidden_by_other
    from inference.segments import SegmentKind, segments_from_mask

    body = load_body_model(device="cpu")
    w, h = demo.DEMO_SIZE[0] // 2, demo.DEMO_SIZE[1] // 2
    with OverlayRenderer(w, h, body.faces) as renderer:
        for seed in range(first, last):
            clip = generate_clip(demo.DEMO_KIND, seed, demo.DEMO_FPS, demo.DEMO_SECONDS, w, h, body)
            cam = clip.reconstruction.camera
            verts = [body.pose_motion(p).vertices.numpy() for p in clip.reconstruction.people]
            occluded = {pid: np.zeros(clip.reconstruction.num_frames, bool) for pid in "AB"}
            for f in range(0, clip.reconstruction.num_frames, 2):
                id_depth = renderer.id_depth([v[f] for v in verts], cam.K, cam.R[f], cam.t[f])
                for i, pid in enumerate("AB"):
                    hidden = hidden_by_other(cam.project(clip.joints[pid][f:f + 1])[0], i, id_depth)
                    occluded[pid][f:f + 2] = hidden.sum() >= MIN_HIDDEN_JOINTS
            segs = [(s.who, s.start, s.stop) for pid in "AB"
                    for s in segments_from_mask(occluded[pid], pid, SegmentKind.OCCLUDED)]
            print(f"seed {seed}: {segs}  {clip.label}")


def main(argv: "list[str] | None" = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=demo.DEMO_DIR, help="output directory (default: resources/demo)")
    parser.add_argument("--scan", type=int, nargs=2, metavar=("FIRST", "LAST"), help="preview seeds [FIRST, LAST)")
    args = parser.parse_args(argv)
    if args.scan:
        scan(*args.scan)
        return 0
    start = time.perf_counter()
    files = demo.generate_demo(args.out)
    total = sum(p.stat().st_size for p in files.all())
    print(f"wrote {args.out} ({total / 1e6:.2f} MB) in {time.perf_counter() - start:.0f} s")
    for p in files.all():
        print(f"  {p.name}: {p.stat().st_size / 1e3:.0f} kB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

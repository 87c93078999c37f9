"""Export speed and size for a realistic take: two people, the shipped free body, every format.

Measured in one run, each against a baseline from the same run:

* file formats (FBX skinned / skeleton-only, GLB, BVH, NPZ) — wall time and file size for ``--frames`` frames
  at 30 fps; baseline: posing both bodies for all frames with the body model (the least any mesh exporter
  must compute), printed as a ratio;
* overlay video at ``--width``×``--height`` — milliseconds per frame for the whole export (decode, pose, draw,
  encode); baseline: drawing alone (``OverlayRenderer.render`` / stick figures on a blank frame, posing
  excluded), printed as a ratio: how much decoding, posing and encoding add.

Usage: ``nice .venv/bin/python bench/bench_export.py [--frames 300] [--video-frames 60] [--width 640 --height 360]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import av  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from inference.body import load_body_model  # noqa: E402
from inference.export import export  # noqa: E402
from inference.export.video import OverlayDrawer  # noqa: E402
from inference.motion import Camera, PersonMotion, Reconstruction  # noqa: E402
from inference.render import gl_available  # noqa: E402

FPS = 30.0


def make_recon(frames: int, width: int, height: int) -> Reconstruction:
    t = np.arange(frames)[:, None] / FPS
    rng = np.random.default_rng(0)
    people = []
    for i, x in enumerate((-0.45, 0.45)):
        phase = rng.uniform(0, 2 * np.pi, (1, 21, 3))
        body_pose = 0.5 * np.sin(2 * np.pi * 0.7 * t[:, :, None] + phase)
        orient = np.concatenate([0 * t, 0.3 * np.sin(t) + (np.pi if i else 0), 0 * t], 1)
        transl = np.concatenate([x + 0 * t, 0 * t, 0.2 * np.sin(t)], 1)
        people.append(PersonMotion(global_orient=orient, body_pose=body_pose, transl=transl, betas=np.zeros(10)))
    cam = Camera.from_fov(width, height, 55.0, frames, R=np.diag([1.0, -1.0, -1.0]), t=np.array([0.0, 1.0, 4.0]))
    return Reconstruction(tuple(people), FPS, cam)


def footage(path: Path, frames: int, width: int, height: int) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(int(FPS)))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            img = np.full((height, width, 3), 60 + (i % 100), np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        container.mux(stream.encode())


def timed(fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--video-frames", type=int, default=60)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=360)
    args = ap.parse_args()
    torch.set_num_threads(2)
    body = load_body_model(device="cpu")
    recon = make_recon(args.frames, args.width, args.height)
    print(f"take: 2 people x {args.frames} frames at {FPS:g} fps, body {type(body).__name__} "
          f"({body.num_vertices} vertices)")

    base = timed(lambda: [body.pose_motion(p) for _, p in recon], repeat=2)
    print(f"baseline  pose both bodies, all frames: {base * 1000:8.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = [("FBX skinned, both in one file", "pair.fbx", dict(combined=True)),
                 ("FBX skeleton only, per person", "bones.fbx", dict(skeleton_only=True)),
                 ("GLB skinned, both", "pair.glb", {}),
                 ("BVH per person", "take.bvh", {}),
                 ("NPZ both", "take.npz", {})]
        for label, name, kwargs in cases:
            written: list[Path] = []
            seconds = timed(lambda: written.__setitem__(slice(None), export(recon, folder / name, body=body,
                                                                             **kwargs)), repeat=2)
            size = sum(p.stat().st_size for p in written)
            print(f"{label:32s} {seconds * 1000:8.1f} ms  ({seconds / base:5.2f}x baseline)  "
                  f"{size / 2**20:7.2f} MiB in {len(written)} file(s)")

        n = args.video_frames
        video = folder / "in.mp4"
        footage(video, n, args.width, args.height)
        vrecon = recon.slice(0, n)
        blank = np.zeros((args.height, args.width, 3), np.uint8)
        modes = [("meshes (GL)", True)] if gl_available() else []
        modes.append(("stick figures", False))
        for label, use_gl in modes:
            drawer = OverlayDrawer(vrecon, body, ("A", "B"), use_gl=use_gl)
            try:
                drawer(blank.copy(), 0)  # pose the first chunk and warm GL up outside the timing
                draw = timed(lambda: [drawer(blank.copy(), f % 64) for f in range(min(n, 64))]) / min(n, 64)
            finally:
                drawer.close()
            overlay = "mesh" if use_gl else "skeleton"
            total = timed(lambda: export(vrecon, folder / "overlay.mp4", body=body, video=video,
                                         overlay=overlay)) / n
            print(f"overlay {args.width}x{args.height} {label:14s} {total * 1000:7.1f} ms/frame  "
                  f"(draw alone {draw * 1000:6.1f} ms/frame; export/draw {total / draw:5.2f}x)  "
                  f"{args.video_frames / (total * n):5.1f} frames/s")


if __name__ == "__main__":
    main()

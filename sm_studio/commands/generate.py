"""``sm-studio generate KIND -o DIR``: a procedural two-person clip with ground truth, as test or training data.

Without ``--footage`` only the motion is written (fast: many clips per second); with it, the clip is rendered to a
video with real mutual occlusion, and the directory gets the embedded demo's layout (video, truth, noisy initial
estimate, occluded segments), which ``sm-studio open DIR/video.mp4`` and the engine's evaluation read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from inference.generator import INTERACTION_KINDS, generate_clip, make_footage
from inference.io.npz import save_reconstruction


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("generate", help="make a procedural two-person clip with ground truth (test/training data)")
    p.add_argument("kind", choices=INTERACTION_KINDS)
    p.add_argument("-o", "--out", type=Path, required=True, help="output directory")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--size", type=_size, default=(640, 360), help="video size WxH (default 640x360)")
    p.add_argument("--footage", action="store_true", help="also render video, keypoints, noisy estimate, segments")
    p.set_defaults(func=run)


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must look like 640x360, got {text!r}") from None
    if width < 16 or height < 16:
        raise argparse.ArgumentTypeError(f"must be at least 16x16, got {text!r}")
    return width, height


def run(args: argparse.Namespace) -> int:
    width, height = args.size
    clip = generate_clip(args.kind, args.seed, fps=args.fps, seconds=args.seconds, width=width, height=height)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.footage:
        _, files = make_footage(clip, args.out)
        print(f"wrote {', '.join(str(p) for p in files.all())}")
    else:
        save_reconstruction(clip.reconstruction, args.out / "truth.npz")
        print(f"wrote {args.out / 'truth.npz'}")
    print(f"label: {clip.label}")
    return 0

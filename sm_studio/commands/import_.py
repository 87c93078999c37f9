"""``sm-studio import FILE... -o OUT``: motion from other tools (4DHumans/PHALP, WHAM, GVHMR, BVH, NPZ) into
our two-person NPZ or a session file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional

from inference.motion import MotionError


def _tracks(text: str) -> list[int]:
    try:
        ids = [int(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two track ids like 3,7, got {text!r}") from None
    if len(ids) != 2:
        raise argparse.ArgumentTypeError(f"expected two track ids like 3,7, got {text!r}")
    return ids


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT like 1920x1080, got {text!r}") from None
    return w, h


def _frames(text: str) -> tuple[Optional[int], Optional[int]]:
    from inference.importers.bvh import parse_frames

    try:
        return parse_frames(text)
    except MotionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("import", help="import motion from 4DHumans/PHALP, WHAM, GVHMR, TRAM, BVH or NPZ files",
                       description="One file with both people (PHALP/WHAM .pkl, our .npz, .smsession), a TRAM "
                                   "results folder, or one file per person, A first (GVHMR .pt, BVH, "
                                   "single-person .npz).")
    p.add_argument("inputs", type=Path, nargs="+", metavar="FILE")
    p.add_argument("-o", "--output", type=Path, required=True, help="out.npz or out.smsession")
    p.add_argument("--tracks", type=_tracks, default=None,
                   help="the two track ids to keep from a PHALP/WHAM file or TRAM folder, A first (default: the two "
                        "seen longest)")
    p.add_argument("--fps", type=float, default=None,
                   help="frame rate: replaces a file's own (some BVH conversions state a wrong one) or supplies it "
                        "(PHALP, WHAM and GVHMR store none: 30)")
    p.add_argument("--frames", type=_frames, default=None, metavar="A:B",
                   help="keep frames A to B-1 (BVH: counted in the file, T-pose frame included)")
    p.add_argument("--report", action="store_true",
                   help="BVH: print the full retargeting error table (limb angles, joint and feet errors)")
    p.add_argument("--image-size", type=_size, default=None, help="WIDTHxHEIGHT of the video (WHAM intrinsics)")
    p.add_argument("--video", type=Path, default=None, help="the video the motion belongs to (stored in a session)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inference.importers import import_motion
    from inference.io.npz import save_reconstruction
    from inference.session import SESSION_SUFFIX, Session, save_session

    recon = import_motion(args.inputs, tracks=args.tracks, fps=args.fps, image_size=args.image_size,
                          frames=args.frames)
    suffix = args.output.suffix.lower()
    if suffix == SESSION_SUFFIX:
        save_session(Session(recon, video_path=str(args.video) if args.video else None,
                             meta={"imported_from": [str(p) for p in args.inputs]}), args.output)
    elif suffix == ".npz":
        save_reconstruction(recon, args.output)
    else:
        raise MotionError(f"{args.output}: import writes .npz or {SESSION_SUFFIX}")
    tracks = recon.meta.get("tracks")
    print(f"wrote {args.output}: {recon.num_frames} frames at {recon.fps:g} fps"
          + (f", tracks {tracks[0]} (A) and {tracks[1]} (B)" if tracks else ""))
    if recon.meta.get("source") == "bvh":
        from inference.importers.bvh_report import bvh_summary

        print(bvh_summary(recon.meta, full=args.report))
    return 0

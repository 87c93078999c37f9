"""``sm-studio convert IN OUT``: between the motion formats SM Studio reads and writes."""

from __future__ import annotations

import argparse
from pathlib import Path

from inference.io.npz import load_reconstruction, save_person, save_reconstruction
from inference.motion import MotionError
from inference.session import SESSION_SUFFIX, load_session


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("convert", help="convert a motion between formats (NPZ; per-person NPZ with --person)")
    p.add_argument("input", type=Path, help="two-person .npz or .smsession")
    p.add_argument("output", type=Path)
    p.add_argument("--person", choices=("A", "B"), help="write one person in plain smplx keyword layout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    recon = load_session(args.input).current if args.input.suffix == SESSION_SUFFIX else load_reconstruction(args.input)
    if args.output.suffix != ".npz":
        raise MotionError(f"{args.output}: convert writes .npz; use 'sm-studio export' for other formats")
    if args.person:
        save_person(recon.person(args.person), recon.fps, args.output)
    else:
        save_reconstruction(recon, args.output)
    print(f"wrote {args.output}")
    return 0

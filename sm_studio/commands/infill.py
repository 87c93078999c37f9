"""``sm-studio infill`` and ``sm-studio refine``: the engine's two steps on an NPZ file, without the app."""

from __future__ import annotations

import argparse
import sys


def _progress(fraction: float, message: str) -> None:
    print(f"\r[{fraction * 100:5.1f}%] {message:<70}", end="", file=sys.stderr, flush=True)


def register(subparsers: "argparse._SubParsersAction") -> None:
    p = subparsers.add_parser("infill", help="regenerate the frames of one segment with the motion infiller")
    p.add_argument("input", help="two-person .npz")
    p.add_argument("--start", type=int, required=True, help="first frame of the segment")
    p.add_argument("--stop", type=int, required=True, help="frame after the last one")
    p.add_argument("--who", choices=("A", "B", "both"), default="both")
    p.add_argument("--text", default="", help="what happens in the segment (conditions the infiller)")
    p.add_argument("--out", required=True, help="output .npz")
    p.add_argument("--prior", choices=("library", "network"), default="library",
                   help="fill with matched real motion (default) or the diffusion infiller "
                        "(inference/engine/infill.py)")
    p.add_argument("--steps", type=int, default=20, help="sampling steps (guidance rounds with the library)")
    p.add_argument("--no-guidance", action="store_true", help="switch off all geometric guidance")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", default=None, help="infiller model path (default: the shipped one)")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    p.set_defaults(func=run_infill)

    r = subparsers.add_parser("refine", help="clean the whole sequence with the temporal refiner")
    r.add_argument("input", help="two-person .npz")
    r.add_argument("--out", required=True, help="output .npz")
    r.add_argument("--method", choices=("savgol", "learned+savgol", "learned"), default="savgol",
                   help="the filter alone (default: it won on real motion, see docs/eval/), the learned refiner "
                        "then the filter, or the learned refiner alone")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--model", default=None, help="refiner model path (default: the shipped one)")
    r.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    r.set_defaults(func=run_refine)


def run_infill(args: argparse.Namespace) -> int:
    from inference.body import load_body_model
    from inference.describe.guidance import text_contacts
    from inference.engine import GuidanceWeights, InfillOptions, infill_segment
    from inference.io.npz import load_reconstruction, save_reconstruction
    from inference.segments import Segment

    recon = load_reconstruction(args.input)
    segment = Segment(args.start, args.stop, args.who)
    body = load_body_model()
    options = InfillOptions(steps=args.steps, seed=args.seed, model_path=args.model, device=args.device,
                            contacts=text_contacts(recon, segment, args.text, body), prior=args.prior)
    if args.no_guidance:
        options.guidance = GuidanceWeights.none()
    result = infill_segment(recon, segment, args.text, options, body=body, progress=_progress)
    print(file=sys.stderr)
    save_reconstruction(result, args.out)
    print(f"wrote {args.out}")
    return 0


def run_refine(args: argparse.Namespace) -> int:
    from inference.engine import RefineOptions, refine_sequence
    from inference.io.npz import load_reconstruction, save_reconstruction

    recon = load_reconstruction(args.input)
    options = RefineOptions(method=args.method, seed=args.seed, model_path=args.model, device=args.device)
    result = refine_sequence(recon, None, options, progress=_progress)
    print(file=sys.stderr)
    save_reconstruction(result, args.out)
    print(f"wrote {args.out}")
    return 0

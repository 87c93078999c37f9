"""``sm-studio train infiller|refiner --data … --out …``: train (or resume training) one of the engine's models."""

from __future__ import annotations

import argparse


def register(subparsers: "argparse._SubParsersAction") -> None:
    p = subparsers.add_parser("train", help="train the motion infiller or the temporal refiner",
                              description="Train a model of the engine. Checkpoints are written every few hundred "
                                          "steps; --resume continues an interrupted run.")
    p.add_argument("role", choices=("infiller", "refiner"))
    p.add_argument("--data", required=True,
                   help="generated:COUNT[:SEED] (procedural clips), a directory of .npz files, or one .npz")
    p.add_argument("--out", required=True, help="model path stem, e.g. resources/models/infiller")
    p.add_argument("--config", default=None, help='JSON with optional "model" and "train" objects')
    p.add_argument("--steps", type=int, default=None, help="total training steps (overrides the config)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint at --out")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="stop and save after this much training time; the learning rate anneals over it")
    p.add_argument("--workers", type=int, default=None,
                   help="processes that generate clips and make training windows (default: the config's, 0); "
                        "a GPU run needs several to keep the GPU busy")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inference.engine.training import train_from_spec

    info = train_from_spec(args.role, args.data, args.out, args.config, args.steps, args.resume,
                           log=lambda m: print(m, flush=True), device=args.device, workers=args.workers,
                           max_wall_s=None if args.max_minutes is None else args.max_minutes * 60)
    loss = "no step taken" if info["final_loss"] is None else f"final loss {info['final_loss']:.4f}"
    print(f"saved {args.out}.safetensors after {info['steps']} steps ({info['wall_time_s']:.0f} s on "
          f"{info['device']}), {loss}")
    return 0

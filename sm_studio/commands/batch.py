"""``sm-studio batch INPUT -o OUTDIR``: run the pipeline over many videos on Ray (local or a cluster).

INPUT is a folder of videos or a manifest (CSV / JSON lines: ``video``, ``reconstruction``, ``description``,
``id``, ``options``; see ``inference.batch.clips``). Each clip gets ``OUTDIR/clips/ID/`` with ``status.json`` and
its outputs; ``OUTDIR/summary.csv`` and ``summary.md`` list every clip. Rerunning skips finished clips whose
video (full name and content) and options are unchanged, reprocesses the others (saying why) and retries failed
ones; ``--force`` redoes all. Exit status 0 when every clip is done, 1 when any failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    from inference.batch.stages import EXPORT_FORMATS, STAGES

    p = sub.add_parser("batch", help="process many videos (a folder or a manifest) on Ray, resumably",
                       description=__doc__.splitlines()[0].split(": ", 1)[1])
    p.add_argument("input", type=Path, help="folder of videos, or a manifest (.csv / .jsonl)")
    p.add_argument("-o", "--output", type=Path, required=True, help="batch folder (created; reused on rerun)")
    p.add_argument("--stages", default=",".join(STAGES), help=f"comma-separated subset of {','.join(STAGES)}")
    p.add_argument("--formats", default="npz,session", help=f"exports per clip, of {','.join(EXPORT_FORMATS)}")
    p.add_argument("--force", action="store_true", help="redo clips that finished before")
    p.add_argument("--address", default=None, help="Ray cluster address to join (default: start a local instance)")
    p.add_argument("--num-cpus", type=int, default=None, help="CPUs of the local Ray instance (default: all)")
    p.add_argument("--cpus-per-clip", type=float, default=1.0, help="CPUs each clip's task reserves")
    p.add_argument("--gpus-per-clip", type=float, default=None,
                   help="GPUs each clip's task reserves (default: 1 when the cluster has GPUs, else 0)")
    p.add_argument("--retries", type=int, default=2, help="re-runs of a clip whose worker died (default 2)")
    p.add_argument("--max-frames", type=int, default=None, help="only the first N frames of each video")
    p.add_argument("--fit-steps", type=int, default=None, help="full-fit optimisation steps (default: frontend's)")
    p.add_argument("--infill-steps", type=int, default=20, help="infiller sampling steps")
    p.add_argument("--refine-method", choices=("savgol", "learned+savgol", "learned"), default="savgol",
                   help="refinement: savgol (default: it won on real motion, see docs/eval/), learned+savgol, or "
                        "learned")
    p.add_argument("--describe-backend", choices=("offline", "vlm"), default="offline",
                   help="description backend: offline (from the 3D motion) or vlm (needs --describe-model-dir)")
    p.add_argument("--describe-model-dir", default=None,
                   help="folder of a downloaded vision-language model, for --describe-backend vlm")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inference.batch import BatchOptions, ClipOptions, check_stages, read_inputs, run_batch
    from inference.batch.summary import progress_line

    stages = check_stages([s.strip() for s in args.stages.split(",") if s.strip()])
    defaults = ClipOptions(max_frames=args.max_frames, fit_steps=args.fit_steps, infill_steps=args.infill_steps,
                           refine_method=args.refine_method, describe_backend=args.describe_backend,
                           describe_model_dir=args.describe_model_dir,
                           formats=tuple(f.strip() for f in args.formats.split(",") if f.strip()))
    specs = read_inputs(args.input, defaults)
    options = BatchOptions(stages=stages, force=args.force, retries=args.retries, address=args.address,
                           num_cpus=args.num_cpus, cpus_per_clip=args.cpus_per_clip, gpus_per_clip=args.gpus_per_clip,
                           worker_logs=bool(getattr(args, "verbose", False)))

    def show(state) -> None:  # type: ignore[no-untyped-def]
        print(f"\r{progress_line(state)}", end="", file=sys.stderr, flush=True)

    result = run_batch(specs, args.output, options, progress=show)
    if result.ran:
        print(file=sys.stderr)
    done = len(result.records) - len(result.failed)
    print(f"{done}/{len(result.records)} clips done ({len(result.ran)} processed in this run, {len(result.skipped)} "
          f"skipped as already done with the same inputs and options) in {result.seconds:.1f} s; "
          f"summary: {args.output / 'summary.md'}")
    for clip, why in result.reprocessed.items():
        print(f"  reprocessed {clip}: {why}")
    for clip in result.failed:
        rec = result.records[clip]
        print(f"  failed {clip} at {rec.failed_stage}: {rec.error}")
    return 1 if result.failed else 0

"""``sm-studio reconstruct VIDEO -o session.smsession``: an initial two-person reconstruction from a video.

BlazePose 2D keypoints (offline, ``resources/pose/``), two tracks, occlusion/ambiguity segments and a monocular
fit, with a progress bar on stderr. ``--keypoints FILE`` skips detection (precomputed keypoints, NPZ or JSON, e.g.
from ``--save-keypoints`` of an earlier run or another detector).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Optional, TextIO

import numpy as np


class ProgressBar:
    """One line on stderr, redrawn in place: ``stage [#####-----] done/total  rate/s``.

    The rate counts from the stage's first report (whose work was done before any clock ran) and is shown once
    it rests on at least :attr:`MIN_RATE_SECONDS`, so it never opens with a meaningless spike."""

    MIN_RATE_SECONDS = 0.5

    def __init__(self, stream: Optional[TextIO] = None, width: int = 30) -> None:
        self.stream, self.width = stream or sys.stderr, width
        self.stage: Optional[str] = None
        self.start, self.first_done = time.perf_counter(), 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            if self.stage is not None:
                self.stream.write("\n")
            self.stage, self.start, self.first_done = stage, time.perf_counter(), done
        filled = int(self.width * done / max(total, 1))
        elapsed = time.perf_counter() - self.start
        rate = f"{(done - self.first_done) / elapsed:6.1f}/s" if elapsed >= self.MIN_RATE_SECONDS else " " * 8
        self.stream.write(f"\r{stage:10s} [{'#' * filled}{'-' * (self.width - filled)}] {done}/{total} {rate}")
        self.stream.flush()

    def close(self) -> None:
        if self.stage is not None:
            self.stream.write("\n")


def _intrinsics(text: str) -> np.ndarray:
    try:
        fx, fy, cx, cy = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected fx,fy,cx,cy, got {text!r}") from None
    return np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]])


def _steps_help() -> str:
    from inference.frontend.fit import FitConfig

    cfg = FitConfig()
    return (f"optimisation steps of the full fit (default {cfg.steps_full}; the progress bar also counts "
            f"{cfg.total_steps - cfg.steps_full} steps placing the roots, {cfg.total_steps} in all; a second "
            f"fit, 'refit', follows when the first finds a person hidden behind the other)")


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("reconstruct", help="initial two-person reconstruction from a video (or 2D keypoints)")
    p.add_argument("video", type=Path, nargs="?", help="the video (optional with --keypoints)")
    p.add_argument("-o", "--output", type=Path, required=True, help="session file (.smsession)")
    p.add_argument("--keypoints", type=Path, default=None,
                   help="precomputed keypoints (.npz/.json: keypoints (2, T, 22, 3), optional world (2, T, 22, 4) "
                        "metric hip-centred 3D landmarks used as a pose prior): skip detection")
    p.add_argument("--save-keypoints", type=Path, default=None, help="also write the detected keypoints here")
    p.add_argument("--max-frames", type=int, default=None, help="only the first N frames")
    p.add_argument("--fov", type=float, default=None, help="horizontal field of view in degrees (default 55)")
    p.add_argument("--intrinsics", type=_intrinsics, default=None, help="fx,fy,cx,cy in pixels")
    p.add_argument("--steps", type=int, default=None, help=_steps_help())
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inference.frontend.fit import FitConfig
    from inference.frontend.pipeline import keypoints_from_video, load_keypoints, reconstruct, save_keypoints
    from inference.motion import MotionError
    from inference.session import SESSION_SUFFIX, save_session

    if args.output.suffix != SESSION_SUFFIX:
        raise MotionError(f"{args.output}: reconstruct writes a session ({SESSION_SUFFIX})")
    if args.keypoints is None and args.video is None:
        raise MotionError("give a VIDEO or --keypoints FILE")
    bar = ProgressBar()
    try:
        if args.keypoints is not None:
            vk = load_keypoints(args.keypoints)
            if args.max_frames:
                vk.keypoints, vk.found = vk.keypoints[:, :args.max_frames], vk.found[:, :args.max_frames]
        else:
            vk = keypoints_from_video(args.video, max_frames=args.max_frames, progress=bar)
            if args.save_keypoints:
                save_keypoints(vk, args.save_keypoints)
        cfg = FitConfig()
        if args.fov:
            cfg.fov_deg = args.fov
        if args.steps:
            cfg.steps_full = args.steps
        session = reconstruct(vk, args.video, K=args.intrinsics, fit_config=cfg, progress=bar)
    finally:
        bar.close()
    save_session(session, args.output)
    info = session.current.meta["frontend"]
    speed = f", keypoints {info['detect_fps']:.1f} frames/s" if "detect_fps" in info else ""
    n = len(session.segments)
    print(f"wrote {args.output}: {session.current.num_frames} frames, {n} segment{'' if n == 1 else 's'} to review"
          f"{speed}, fit {info['fit_seconds']:.1f} s")
    return 0

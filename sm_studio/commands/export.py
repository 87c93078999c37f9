"""``sm-studio export SESSION_OR_NPZ OUT``: FBX, glTF/GLB, BVH, NPZ or an overlay MP4 (headless)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inference.motion import MotionError


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("export", help="export a motion or session to FBX, GLB/glTF, BVH, NPZ or an overlay MP4",
                       description="The format follows OUT's suffix (.fbx .glb .gltf .bvh .npz .mp4) unless --format "
                                   "is given. Files holding one person get '_A'/'_B' added to their name.")
    p.add_argument("input", type=Path, help="a session (.smsession) or a two-person motion (.npz)")
    p.add_argument("output", type=Path)
    p.add_argument("--format", choices=("fbx", "glb", "gltf", "bvh", "npz", "mp4"))
    p.add_argument("--frames", metavar="A:B", help="half-open frame range, e.g. 100:250 (default: all)")
    p.add_argument("--person", choices=("A", "B"), action="append", dest="people",
                   help="export this person (repeat for both; default: both)")
    p.add_argument("--up", choices=("y", "z"), default="y", help="y: Unity/Maya (default); z: Blender/Unreal")
    p.add_argument("--units", choices=("m", "cm"), default="m")
    p.add_argument("--version", choices=("corrected", "original"), default="corrected",
                   help="for a session: the corrected motion (default) or the original before correction")
    p.add_argument("--skeleton-only", action="store_true", help="no body mesh, only the armature")
    together = p.add_mutually_exclusive_group()
    together.add_argument("--combined", action="store_true", default=None,
                          help="both people in one file (bones prefixed A_/B_)")
    together.add_argument("--per-person", dest="combined", action="store_false", help="one file per person")
    p.add_argument("--video", type=Path, help="source footage for .mp4 (default: the session's video)")
    p.add_argument("--overlay", choices=("auto", "mesh", "skeleton"), default="auto",
                   help="what .mp4 draws: meshes (OpenGL), stick figures, or meshes when OpenGL is available")
    p.set_defaults(func=run)


def parse_frames(text: str | None) -> tuple[int | None, int | None] | None:
    if text is None:
        return None
    start, sep, stop = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return (int(start) if start else None, int(stop) if stop else None)
    except ValueError:
        raise MotionError(f"--frames: expected A:B (e.g. 100:250), got {text!r}") from None


def run(args: argparse.Namespace) -> int:
    from inference.export import export
    from inference.io.npz import load_reconstruction
    from inference.session import SESSION_SUFFIX, load_session

    video = args.video
    if args.input.suffix == SESSION_SUFFIX:
        source, version = load_session(args.input), args.version
        if video is None and source.video_path:  # a relative path is taken from the session file's folder
            video = Path(source.video_path)
            if not video.is_absolute() and not video.exists():
                video = args.input.parent / video
    else:
        source, version = load_reconstruction(args.input), None
        if args.version != "corrected":
            raise MotionError(f"{args.input}: a motion file holds one version; --version needs a session")

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\rexporting {done}/{total}", end="" if done < total else "\n", file=sys.stderr)

    written = export(source, args.output, args.format, version=version, people=tuple(args.people or ("A", "B")),
                     frames=parse_frames(args.frames), up=args.up, units=args.units,
                     skeleton_only=args.skeleton_only, combined=args.combined, video=video,
                     overlay=args.overlay, progress=progress)
    for path in written:
        print(f"wrote {path}")
    return 0

"""``sm-studio info FILE``: what a motion NPZ or a session file holds."""

from __future__ import annotations

import argparse
from pathlib import Path

from inference.motion import Reconstruction
from inference.session import SESSION_SUFFIX, load_session
from inference.segments import Segment


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("info", help="print what a motion (.npz), session (.smsession) or footage folder holds")
    p.add_argument("file", type=Path, help="a .npz, a .smsession, or a footage folder such as resources/demo")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(describe_file(args.file))
    return 0


def describe_file(path: Path) -> str:
    from inference.io.npz import load_reconstruction

    if path.is_dir():
        return _describe_footage(path)
    if path.suffix == SESSION_SUFFIX:
        session = load_session(path)
        lines = [f"{path}: SM Studio session", f"  video: {session.video_path or '(none)'}"]
        lines += _describe_reconstruction(session.current)
        lines += _describe_segments(session.segments)
        return "\n".join(lines)
    return "\n".join([f"{path}: two-person motion"] + _describe_reconstruction(load_reconstruction(path)))


def _describe_footage(directory: Path) -> str:
    """A footage folder (the embedded demo's layout): video, initial reconstruction, flagged segments."""
    from inference.generator import FootageFiles, load_segments
    from inference.io.npz import load_reconstruction
    from inference.motion import MotionError
    from inference.video import probe_video

    files = FootageFiles.in_dir(directory)
    if not (files.initial.is_file() and files.segments.is_file()):
        raise MotionError(f"{directory}: not a footage folder (needs {files.initial.name} and {files.segments.name})")
    lines = [f"{directory}: footage folder"]
    if files.video.is_file():
        video = probe_video(files.video)
        lines.append(f"  video: {files.video.name}, {video.width}x{video.height}, {video.num_frames} frames "
                     f"at {video.fps:g} fps")
    lines += _describe_reconstruction(load_reconstruction(files.initial))
    lines += _describe_segments(load_segments(files.segments))
    return "\n".join(lines)


def _describe_reconstruction(recon: Reconstruction) -> list[str]:
    lines = [f"  frames: {recon.num_frames} at {recon.fps:g} fps ({recon.duration_s:.2f} s)", "  people: 2"]
    for pid, p in recon:
        extras = [n for n in ("left_hand_pose", "jaw_pose", "keypoints_2d") if getattr(p, n) is not None]
        occluded = int((p.reliability < 0.5).sum())
        lines.append(f"    {pid}: {p.gender}, {p.betas.size} betas, {occluded} low-reliability frames"
                     + (f", has {', '.join(extras)}" if extras else ""))
    cam = recon.camera
    lines.append(f"  camera: {cam.width}x{cam.height}, fx={cam.K[0, 0]:.1f}" if cam else "  camera: (none)")
    return lines


def _describe_segments(segments: list[Segment]) -> list[str]:
    lines = [f"  segments: {len(segments)}"]
    for s in segments:
        author = f" [{s.latest.author}]" if s.latest else ""
        lines.append(f"    {s.id} frames {s.start}-{s.stop - 1} {s.who} {s.kind.value}: {s.description or '(no description)'}{author}")
    return lines

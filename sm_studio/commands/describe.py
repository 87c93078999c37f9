"""``sm-studio describe FILE``: describe the interaction in a session's segments (or a whole motion file).

Given a session, each selected segment gets the backend's text as a new version in its history (author = the
backend) and the session file is saved; a segment whose current text was written by the user keeps it unless
``--replace-user`` is given (the model's text is still printed). Given an NPZ, the whole clip is described and
printed; ``--frames START:STOP`` describes any range of either without writing anything. Descriptions are
cached on disk (see ``inference.describe.cache``), so repeating the command is instant.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional

from inference.motion import MotionError, Reconstruction
from inference.segments import Segment, SegmentKind


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("describe", help="describe the interaction in a session's segments or a motion file",
                       description=__doc__.splitlines()[0].split(": ", 1)[1])
    p.add_argument("file", type=Path, help="a session (.smsession) or a two-person motion (.npz)")
    p.add_argument("--backend", choices=("offline", "vlm"), default="offline",
                   help="offline: from the 3D estimate, no model needed (default); vlm: a local vision-language model")
    p.add_argument("--model-dir", type=Path, default=None, help="folder of a downloaded vision-language model (vlm)")
    p.add_argument("--segment", default="all", help="segment id, or 'all' (default)")
    p.add_argument("--frames", default=None, metavar="START:STOP",
                   help="describe these frames (half-open) instead of the segments; nothing is written")
    p.add_argument("--video", type=Path, default=None, help="the video, for --backend vlm on an NPZ (sessions know it)")
    p.add_argument("--replace-user", action="store_true", help="replace descriptions the user wrote")
    p.add_argument("--no-cache", action="store_true", help="recompute even when a cached description exists")
    p.add_argument("--cache-dir", type=Path, default=None, help="description cache folder (default: user cache)")
    p.set_defaults(func=run)


def _frames(spec: str, num_frames: int) -> Segment:
    try:
        start, stop = (int(v) for v in spec.split(":"))
        return Segment(start, min(stop, num_frames), "both", SegmentKind.USER, id=f"frames-{start}-{stop}")
    except ValueError as exc:
        raise MotionError(f"--frames {spec!r}: expected START:STOP with 0 <= START < STOP ({exc})") from None


def _select(segments: list[Segment], which: str, num_frames: int, label: str) -> list[Segment]:
    if which == "all":
        return segments or [Segment(0, num_frames, "both", SegmentKind.USER, id="whole")]
    chosen = [s for s in segments if s.id == which]
    if not chosen:
        ids = ", ".join(s.id for s in segments) or "none"
        raise MotionError(f"{label}: no segment with id {which!r} (segments: {ids})")
    return chosen


def _video(path: Optional[Path], session_file: Optional[Path], session_video: Optional[str]) -> Optional[Path]:
    if path is not None:
        return path
    if session_video is None:
        return None
    video = Path(session_video)
    return video if video.is_absolute() or session_file is None else session_file.parent / video


def _detail_lines(details: dict) -> list[str]:
    """The description's contact list (who, part → part, frames, where it came from) and any notes on the answer."""
    lines = [f"contact: {c['person']}'s {c['part']} → {c['other']}'s {c['region']}, "
             f"frames {c['start']}-{c['stop'] - 1} ({c['source']})" for c in details.get("contacts", [])]
    return lines + [f"note: {p}" for p in details.get("problems", [])]


def run(args: argparse.Namespace) -> int:
    from inference.describe import DescribeInput, DescriptionCache, describe_cached, make_describer
    from inference.video import VideoFrames
    from inference.session import SESSION_SUFFIX, load_session, save_session

    session = None
    if args.file.suffix == SESSION_SUFFIX:
        session = load_session(args.file)
        recon: Reconstruction = session.current
        segments, video = session.segments, _video(args.video, args.file, session.video_path)
    else:
        from inference.io.npz import load_reconstruction

        recon, segments, video = load_reconstruction(args.file), [], args.video
    if args.frames is not None:
        targets = [_frames(args.frames, recon.num_frames)]
    else:
        targets = _select(segments, args.segment, recon.num_frames, str(args.file))
    describer = make_describer(args.backend, args.model_dir)
    cache = None if args.no_cache else DescriptionCache(args.cache_dir)
    changed = False
    for seg in targets:
        frames = VideoFrames(video, 0, recon.num_frames) if video is not None and args.backend == "vlm" else None
        result = describe_cached(describer, DescribeInput(recon, seg, video=frames), cache)
        note = ", cached" if result.cached else ""
        print(f"{seg.id} frames {seg.start}-{seg.stop - 1} [{result.author}{note}]: {result.text}")
        for line in _detail_lines(result.details):
            print(f"  {line}")
        if session is None or seg not in session.segments:
            continue
        if seg.latest is not None and seg.latest.by_user and not args.replace_user:
            print(f"  (kept the user's description of {seg.id}; --replace-user to replace it)")
            continue
        updated = seg.with_text(result.text, result.author)
        if updated is not seg:
            session.segments[session.segments.index(seg)] = updated
            changed = True
    if session is not None and changed:
        save_session(session, args.file)
        print(f"wrote the descriptions into {args.file}")
    return 0

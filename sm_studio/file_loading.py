"""What a path given to the app (menu, command line, drag and drop) turns into: a session, a motion or a video.

Plain functions without widgets, called inside background jobs so that reading files never blocks the GUI. Every
failure is raised as an exception whose message names the file and says what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from inference.io.npz import load_reconstruction
from inference.motion import MotionError, Reconstruction
from inference.session import SESSION_SUFFIX, Session, load_session
from inference.video import VideoError, VideoInfo, probe_video

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")
MOTION_SUFFIXES = (".npz",)


@dataclass
class OpenedFile:
    path: Path
    kind: str  # "session" | "motion" | "video" | "demo" (a session that was never saved)
    session: Optional[Session] = None
    reconstruction: Optional[Reconstruction] = None
    video: Optional[VideoInfo] = None  # the video itself, or the session's when it could be found


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == SESSION_SUFFIX:
        return "session"
    if suffix in MOTION_SUFFIXES:
        return "motion"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    raise MotionError(f"{path}: unknown file type '{suffix}' (open a video, a motion .npz or a "
                      f"{SESSION_SUFFIX} session)")


def open_path(path: Path) -> OpenedFile:
    path = Path(path)
    kind = kind_of(path)
    if kind == "video":
        return OpenedFile(path, kind, video=probe_video(path))
    if kind == "motion":
        return OpenedFile(path, kind, reconstruction=load_reconstruction(path))
    session = load_session(path)
    video = None
    if session.video_path:
        video_path = Path(session.video_path)
        if not video_path.is_absolute():
            video_path = path.parent / video_path
        try:
            video = probe_video(video_path)
        except VideoError:
            video = None  # the session still opens; the window says the footage is missing
    return OpenedFile(path, kind, session=session, video=video)


def open_demo() -> OpenedFile:
    """The embedded demo (``inference.demo``) as an unsaved session: its video, initial estimate and segments.
    The shipped files are only read; saving asks for a new session file."""
    from inference.demo import ensure_demo
    from inference.generator.footage import load_segments

    files = ensure_demo()
    session = Session(load_reconstruction(files.initial), segments=load_segments(
        files.segments), video_path=str(files.video), meta={"source": "demo"})
    return OpenedFile(files.video, "demo", session=session, video=probe_video(files.video))

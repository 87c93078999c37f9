"""The embedded demo: a generated hug with real mutual occlusion, shipped in ``resources/demo/``.

It lets a new user (and every end-to-end test) open a video with an initial reconstruction, flagged segments and
known ground truth without downloading anything. The files are made by ``scripts/make_demo.py``
(``generate_demo``); the layout is ``FootageFiles``: ``video.mp4`` (clothed bodies, the footage renderer),
``truth.npz`` (ground truth, with 2D keypoints whose confidence is the visibility flag), ``initial.npz`` and
``segments.json`` — exactly what ``sm-studio reconstruct`` produces from the video with the camera's intrinsics
(:func:`reconstruct_demo`), so the demo shows what a user gets — and ``clip.json`` (label and contacts).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from .generator.footage import FootageFiles

if TYPE_CHECKING:
    import numpy as np

    from .session import Session

DEMO_DIR = Path(__file__).resolve().parents[1] / "resources" / "demo"
DEMO_KIND = "hug"
DEMO_SEED = 2  # chosen for occlusion of both people during the hug (scripts/make_demo.py --scan shows others)
DEMO_SIZE = (640, 360)
DEMO_FPS = 30.0
DEMO_SECONDS = 4.0

DemoFiles = FootageFiles


def demo_paths() -> DemoFiles:
    """Where the shipped demo files are (they may be missing in a stripped install: see ``ensure_demo``)."""
    return FootageFiles.in_dir(DEMO_DIR)


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sm-studio" / "demo"


def generate_demo(directory: "str | Path") -> DemoFiles:
    """Render the demo from scratch into ``directory`` and reconstruct it (a minute or two on a CPU; needs
    offscreen GL and the shipped pose model)."""
    import json

    from .generator import generate_clip
    from .generator.footage import make_footage
    from .io.npz import save_reconstruction

    clip = generate_clip(DEMO_KIND, DEMO_SEED, fps=DEMO_FPS, seconds=DEMO_SECONDS, width=DEMO_SIZE[0],
                         height=DEMO_SIZE[1])
    files = make_footage(clip, directory, clothed=True)[1]
    assert clip.reconstruction.camera is not None
    session = reconstruct_demo(files.video, clip.reconstruction.camera.K)
    save_reconstruction(session.current, files.initial)
    files.segments.write_text(json.dumps({"segments": [s.to_json() for s in session.segments]}, indent=1))
    return files


def reconstruct_demo(video: "str | Path", K: "np.ndarray") -> "Session":
    """What ``sm-studio reconstruct VIDEO --intrinsics fx,fy,cx,cy`` makes of the demo's video."""
    from .frontend.pipeline import keypoints_from_video, reconstruct

    return reconstruct(keypoints_from_video(video), video, K=K)


def ensure_demo(directory: "Optional[str | Path]" = None) -> DemoFiles:
    """The demo's files, ready to open.

    Without ``directory``: the shipped files, or — when any is missing — a copy regenerated once into the user's
    cache. With ``directory``: a fresh copy there (so edits never touch the shipped files), regenerated there when
    the shipped files are missing.
    """
    shipped = demo_paths()
    complete = all(p.is_file() for p in shipped.all())
    if directory is None:
        if complete:
            return shipped
        cached = FootageFiles.in_dir(_cache_dir())
        return cached if all(p.is_file() for p in cached.all()) else generate_demo(_cache_dir())
    target = FootageFiles.in_dir(directory)
    if not complete:
        return generate_demo(directory)
    Path(directory).mkdir(parents=True, exist_ok=True)
    for src, dst in zip(shipped.all(), target.all()):
        shutil.copyfile(src, dst)
    return target

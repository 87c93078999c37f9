"""Headless drawing of reconstructions: GL mesh overlay (pyrender, offscreen), 2D skeleton fallback, MP4 writing.

Used by the Qt app, the overlay-video exporter, the synthetic-footage generator and the demo. Nothing here imports
Qt. One ``OverlayRenderer`` per thread: GL contexts are bound to the thread that created them.

The GL names (``OverlayRenderer``, ``IdDepth``, ``RenderError``, ``BACKGROUND_ID``) are imported on first use, so
``gl_available()``, the 2D fallback (``SkeletonOverlay``, ``draw_skeleton``) and ``Mp4Writer`` keep working on
machines where PyOpenGL cannot even be imported.
"""

from typing import Any

from .gl_camera import gl_camera_pose, project
from .gl_check import gl_available
from .skeleton2d import SkeletonOverlay, draw_skeleton
from .style import DEFAULT_STYLES, PersonStyle
from .video_writer import Mp4Writer

_GL_NAMES = ("BACKGROUND_ID", "IdDepth", "OverlayRenderer", "RenderError")

__all__ = ["DEFAULT_STYLES", "Mp4Writer", "PersonStyle", "SkeletonOverlay", "draw_skeleton", "gl_available",
           "gl_camera_pose", "project", *_GL_NAMES]


def __getattr__(name: str) -> Any:
    if name in _GL_NAMES:
        from . import overlay

        return getattr(overlay, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

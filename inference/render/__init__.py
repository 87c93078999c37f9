"""Headless drawing of reconstructions: GL mesh overlay (pyrender, offscreen), 2D skeleton fallback, MP4 writing.

Used by the Qt app, the overlay-video exporter, the synthetic-footage generator and the demo. Nothing here imports
Qt. One ``OverlayRenderer`` per thread: GL contexts are bound to the thread that created them.
"""

from .gl_camera import gl_camera_pose, project
from .overlay import BACKGROUND_ID, IdDepth, OverlayRenderer, RenderError, gl_available
from .style import DEFAULT_STYLES, PersonStyle

__all__ = ["BACKGROUND_ID", "DEFAULT_STYLES", "IdDepth", "OverlayRenderer", "PersonStyle", "RenderError",
           "gl_available", "gl_camera_pose", "project"]

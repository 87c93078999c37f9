"""Whether offscreen OpenGL works here, without letting a missing driver break imports.

Importing pyrender/PyOpenGL already fails on a machine without EGL (or with a broken driver), so the check imports
them itself and reports False instead of raising; callers then use the 2D fallback (``skeleton2d``).
"""

from __future__ import annotations

import os
from typing import Optional

_GL_OK: Optional[bool] = None


def gl_available() -> bool:
    """True when an offscreen GL context can be created (checked once per process)."""
    global _GL_OK
    if _GL_OK is None:
        os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
        try:
            from .gl_context import offscreen_renderer

            probe = offscreen_renderer(8, 8)
            probe.delete()
            _GL_OK = True
        except Exception:  # ImportError, EGL/GL errors: any failure means "draw in 2D"
            _GL_OK = False
    return _GL_OK

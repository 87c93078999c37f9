"""The process's one owner of the EGL display: offscreen renderers come and go, the display stays.

pyrender's EGL platform calls ``eglTerminate`` when a renderer is deleted. An EGL display is one per process, so
that also invalidated every other renderer alive (the overlay stopped drawing whenever a view changed size and an
old renderer was closed; every exit logged an ``eglMakeCurrent`` error). Renderers made here destroy only their
own context on ``delete()``; the display is initialised once and left to the process's exit, like any other
process-wide driver state. Everything that wants a pyrender ``OffscreenRenderer`` gets it from
:func:`offscreen_renderer`.
"""

from __future__ import annotations

import functools
import os
import threading

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

import pyrender  # noqa: E402

_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _shared_display_platform():
    """pyrender's EGL platform, minus the ``eglTerminate`` (``None`` when EGL is not the platform in use)."""
    if os.environ.get("PYOPENGL_PLATFORM") != "egl":
        return None
    from pyrender.platforms.egl import EGLPlatform

    class SharedDisplayEGLPlatform(EGLPlatform):
        def delete_context(self) -> None:
            from OpenGL.EGL import EGL_NO_CONTEXT, EGL_NO_SURFACE, eglDestroyContext, eglMakeCurrent

            if self._egl_display is not None and self._egl_context is not None:
                eglMakeCurrent(self._egl_display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT)
                eglDestroyContext(self._egl_display, self._egl_context)
            self._egl_context = None
            self._egl_display = None  # the display itself stays initialised for the other renderers

    return SharedDisplayEGLPlatform


def offscreen_renderer(width: int, height: int) -> pyrender.OffscreenRenderer:
    """A pyrender offscreen renderer whose ``delete()`` never ends another renderer's context. Like every GL
    context it belongs to the calling thread: use and delete it there."""
    platform_class = _shared_display_platform()
    with _LOCK:  # eglInitialize/eglCreateContext from two threads at once is not worth the risk
        gl = pyrender.OffscreenRenderer(width, height)
    if platform_class is not None and type(gl._platform).__name__ == "EGLPlatform":  # noqa: SLF001
        gl._platform.__class__ = platform_class  # noqa: SLF001 - same state, teardown without eglTerminate
    return gl

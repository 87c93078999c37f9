"""Runs the on-screen GL painter in an offscreen EGL context with a framebuffer object, and reads the picture
back — what the app's video view shows, without a window (tests and benchmarks)."""

from __future__ import annotations

from typing import Optional

import numpy as np
from OpenGL import GL

from inference.render.gl_context import offscreen_renderer
from inference.render.gl_painter import OverlayPainter
from inference.render.scene import OverlayScene


class OffscreenPainter:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self._gl = offscreen_renderer(8, 8)  # only for its (shared-display) context
        self._gl._platform.make_current()  # noqa: SLF001
        self._fbo = GL.glGenFramebuffers(1)
        self._rbo = GL.glGenRenderbuffers(2)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._fbo)
        for rbo, fmt, attachment in zip(self._rbo, (GL.GL_RGBA8, GL.GL_DEPTH_COMPONENT24),
                                        (GL.GL_COLOR_ATTACHMENT0, GL.GL_DEPTH_ATTACHMENT)):
            GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, rbo)
            GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, fmt, width, height)
            GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, attachment, GL.GL_RENDERBUFFER, rbo)
        self.painter = OverlayPainter()

    def paint(self, scene: Optional[OverlayScene], video_rgb: Optional[np.ndarray]) -> np.ndarray:
        self._gl._platform.make_current()  # noqa: SLF001
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._fbo)
        self.painter.set_video(video_rgb)
        self.painter.paint(scene, (0, 0, self.width, self.height))
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
        data = GL.glReadPixels(0, 0, self.width, self.height, GL.GL_RGB, GL.GL_UNSIGNED_BYTE)
        return np.frombuffer(data, np.uint8).reshape(self.height, self.width, 3)[::-1].copy()

    def close(self) -> None:
        self._gl._platform.make_current()  # noqa: SLF001
        self.painter.delete()
        GL.glDeleteRenderbuffers(2, self._rbo)
        GL.glDeleteFramebuffers(1, [self._fbo])
        self._gl.delete()

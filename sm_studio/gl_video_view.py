"""The video view drawn with OpenGL straight into the window: the decoded frame as a texture and both bodies over
it (:class:`inference.render.gl_painter.OverlayPainter`), with nothing read back or composited in numpy.

Why a ``QOpenGLWindow`` inside ``createWindowContainer`` rather than a ``QOpenGLWidget``: on software GL the
widget is drawn into an offscreen framebuffer that Qt then composites into the window again, which held playback
to 13–25 fps at 1280×720; the window is presented directly and reached the decoder's 30 fps (measured on this
2-core CPU, 2026-12-07). The view keeps :class:`~sm_studio.video_view.VideoView`'s interface (``set_frame``,
``clear``, ``caption``, ``frame_index``, ``composited``), so the pipeline can also hand it finished pictures
(skeleton mode, a failed GL path), and adds :meth:`show_scene` for video + meshes. Where no OpenGL 3.3 context
can be made (headless ``offscreen`` Qt, old drivers) :func:`make_video_view` returns the painter-based view.
"""

from __future__ import annotations

import logging
import os
from typing import Callable, Optional

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import (QColor, QGuiApplication, QImage, QOffscreenSurface, QOpenGLContext, QPainter,
                           QSurfaceFormat)
from PySide6.QtOpenGL import QOpenGLWindow
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget
from shiboken6 import Shiboken

from inference.render.scene import OverlayScene

from .video_view import VideoView, draw_note, fit_rect

log = logging.getLogger(__name__)

# PyOpenGL must talk to the same kind of context Qt makes: on X11 Qt makes GLX contexts by default, and PyOpenGL
# on its EGL platform (which the offscreen renderers need) then sees no current context and refuses every call
# past GL 1.1. Both are chosen here, before the QApplication exists (importing the main window does that first).
os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
os.environ.setdefault("QT_XCB_GL_INTEGRATION", "xcb_egl" if os.environ["PYOPENGL_PLATFORM"] == "egl" else "xcb_glx")

BACKGROUND = (16 / 255, 16 / 255, 18 / 255)


def _surface_format() -> QSurfaceFormat:
    fmt = QSurfaceFormat()
    fmt.setVersion(3, 3)
    fmt.setProfile(QSurfaceFormat.CoreProfile)
    fmt.setDepthBufferSize(24)
    fmt.setSwapInterval(0)  # never wait for a vertical blank: the playback clock decides what is shown
    return fmt


def gl_video_supported() -> bool:
    """Whether an OpenGL 3.3 context can be made for windows here (needs a QGuiApplication)."""
    context = QOpenGLContext()
    context.setFormat(_surface_format())
    if not context.create():
        return False
    version = context.format().version()
    surface = QOffscreenSurface()
    surface.setFormat(context.format())
    surface.create()
    ok = version >= (3, 3) and context.makeCurrent(surface)
    if ok:
        context.doneCurrent()
    return ok


def make_video_view() -> "VideoView | GLVideoView":
    """The GL view where there is a window system and OpenGL 3.3 works, else the painter view;
    ``SM_STUDIO_VIDEO_VIEW=painter`` (or ``gl``) forces one (benchmarks compare the two in one run)."""
    wanted = os.environ.get("SM_STUDIO_VIDEO_VIEW", "")
    headless = QGuiApplication.platformName() in ("offscreen", "minimal")  # tests: no real window to draw in
    if wanted == "painter" or (wanted != "gl" and (headless or not gl_video_supported())):
        return VideoView()
    return GLVideoView()


class _Window(QOpenGLWindow):
    def __init__(self, view: "GLVideoView") -> None:
        super().__init__(QOpenGLWindow.NoPartialUpdate)
        self.setFormat(_surface_format())
        # input belongs to the main window: its shortcuts (Space, J/K/L) and file drops must work over the video
        self.setFlags(self.flags() | Qt.WindowTransparentForInput | Qt.WindowDoesNotAcceptFocus)
        self._view = view
        self._painter = None
        self._uploaded: Optional[np.ndarray] = None

    def initializeGL(self) -> None:  # noqa: N802 - Qt's name
        try:
            from inference.render.gl_painter import OverlayPainter

            self._painter = OverlayPainter()
        except Exception as exc:  # ImportError, GL 3.3 missing, a shader the driver refuses: pictures only
            self._view.fail(f"meshes cannot be drawn in this window ({type(exc).__name__}: {exc})")

    def paintGL(self) -> None:  # noqa: N802 - Qt's name
        view, dpr = self._view, self.devicePixelRatio()
        rect = view.image_rect()
        viewport = (round(rect.x() * dpr), round((self.height() - rect.bottom()) * dpr),
                    max(1, round(rect.width() * dpr)), max(1, round(rect.height() * dpr)))
        if self._painter is not None:
            try:
                if view.rgb is not self._uploaded:
                    self._painter.set_video(view.rgb)
                    self._uploaded = view.rgb
                self._painter.paint(view.scene, viewport, BACKGROUND)
            except Exception as exc:  # a driver error mid-session: say so in the picture, fall back to pictures
                log.exception("GL video view")
                self._painter = None
                view.fail(f"meshes cannot be drawn in this window ({type(exc).__name__}: {exc})")
        view.note_painted()
        p = QPainter(self)
        if self._painter is None and view.rgb is not None:  # GL drawing failed: show the finished picture
            h, w = view.rgb.shape[:2]
            p.fillRect(QRectF(0, 0, self.width(), self.height()), QColor(16, 16, 18))
            p.drawImage(rect, QImage(view.rgb.data, w, h, view.rgb.strides[0], QImage.Format_RGB888))
        p.setPen(QColor(230, 230, 230))
        if view.rgb is None and view.scene is None:
            p.fillRect(QRectF(0, 0, self.width(), self.height()), QColor(16, 16, 18))
            p.drawText(QRectF(0, 0, self.width(), self.height()), Qt.AlignCenter | Qt.TextWordWrap, view.message)
        elif view.caption:
            p.drawText(rect.adjusted(8, 4, -8, -4), Qt.AlignTop | Qt.AlignRight, view.caption)
        draw_note(p, rect, view.note)
        for layer in view.layers:
            layer(p)
        p.end()

    def release(self) -> None:
        """Free the painter's GL objects with this window's context current (before the window goes)."""
        if self._painter is not None and self.context() is not None:
            self.makeCurrent()
            self._painter.delete()
            self._painter = None
            self.doneCurrent()


class GLVideoView(QWidget):
    """``meshesFailed(str)``: the GL path broke; the pipeline then hands this view finished pictures."""

    meshesFailed = Signal(str)

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(320, 180)
        self.rgb: Optional[np.ndarray] = None  # the picture under the meshes (or the finished picture)
        self.scene: Optional[OverlayScene] = None
        self.frame_index = -1
        self.composited = False
        self.message = "Open a video, a motion (NPZ) or a session — or drop a file here."
        self.caption = ""
        self.note = ""
        self.can_draw_meshes = True
        self.frames_painted = 0  # distinct frames with the overlay that reached the screen (benchmarks)
        self.painted = (-1, False)  # (frame index, with the overlay) of the last picture painted
        self.layers: list[Callable[[QPainter], None]] = []  # drawn over the picture (the correction layer)
        self._window: Optional[_Window] = _Window(self)
        container = QWidget.createWindowContainer(self._window, self)
        container.setFocusPolicy(Qt.NoFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(container)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(960, 540)

    # ----- what to show -----
    def show_scene(self, index: int, rgb: Optional[np.ndarray], scene: Optional[OverlayScene]) -> None:
        """The video frame ``rgb`` with ``scene``'s bodies drawn over it in GL."""
        self.frame_index, self.rgb, self.scene, self.composited = index, rgb, scene, scene is not None
        self._repaint()

    def set_frame(self, index: int, image: QImage, composited: bool = False) -> None:
        """A finished picture (raw video while scrubbing, a skeleton composite), drawn as it is."""
        image = image.convertToFormat(QImage.Format_RGB888)
        rgb = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
        self.show_scene(index, rgb[:, :image.width() * 3].reshape(image.height(), image.width(), 3).copy(), None)
        self.composited = composited

    def clear(self, message: str) -> None:
        self.rgb, self.scene, self.frame_index, self.composited = None, None, -1, False
        self.message = message
        self._repaint()

    def set_note(self, note: str) -> None:
        """Why the overlay is not drawn as asked, written into the picture ("" hides it)."""
        if note != self.note:
            self.note = note
            self._repaint()

    def add_layer(self, paint: Callable[[QPainter], None]) -> None:
        """Draw ``paint(painter)`` over every picture: widgets placed above a native GL window are not seen."""
        self.layers.append(paint)

    def update(self) -> None:  # type: ignore[override]
        """Repaint (the GL window, not this container)."""
        self._repaint()

    def _repaint(self) -> None:
        if self._window is not None:
            self._window.update()

    # ----- state -----
    @property
    def frame_image(self) -> Optional[QImage]:
        """What is on screen, read back (tests and screenshots; not used while playing)."""
        return None if self.rgb is None or self._window is None else self._window.grabFramebuffer()

    def image_rect(self) -> QRectF:
        """Where the frame is drawn inside the view (aspect-preserving fit)."""
        size = None
        if self.scene is not None:
            size = (self.scene.width, self.scene.height)
        elif self.rgb is not None:
            size = (self.rgb.shape[1], self.rgb.shape[0])
        window = self._window
        return fit_rect(size, window.width(), window.height()) if window is not None else QRectF()

    def note_painted(self) -> None:
        shown = (self.frame_index, self.composited)
        if self.composited and shown != self.painted:
            self.frames_painted += 1
        self.painted = shown

    def fail(self, why: str) -> None:
        log.warning("video view: %s", why)
        self.can_draw_meshes = False
        self.note = why
        self.meshesFailed.emit(why)

    def release(self) -> None:
        """Free the GL objects and the GL window now, while Qt and the GL driver are fully alive (at shutdown).

        The window is deleted explicitly (its container then holds nothing): left to the container, PySide6 and Qt
        both deleted it at exit, a segfault after every session. Known limit (Qt 6.8–6.12 under X11): deleting this
        view's top-level window before the QApplication still crashes at exit, in
        ``QWindowContainer::toplevelAboutToBeDestroyed``; the app keeps its main window to the end."""
        if self._window is not None:
            self._window.release()
            Shiboken.delete(self._window)
            self._window = None

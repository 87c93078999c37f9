"""Shows the current picture: the decoded video frame, or that frame with the bodies composited (aspect kept).

Painting only: images arrive ready-made from the worker threads, so the GUI thread never decodes or renders. This
is the view where no OpenGL 3.3 window can be made (headless Qt, old drivers); elsewhere
:mod:`sm_studio.gl_video_view` draws video and meshes in GL with the same interface.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


def fit_rect(size: Optional[tuple[int, int]], width: int, height: int) -> QRectF:
    """Where an image of ``size`` (w, h) goes in a ``width × height`` area, aspect kept, centred."""
    if size is None or size[0] <= 0 or size[1] <= 0:
        return QRectF(0, 0, width, height)
    scale = min(width / size[0], height / size[1])
    w, h = size[0] * scale, size[1] * scale
    return QRectF((width - w) / 2, (height - h) / 2, w, h)


def draw_note(p: QPainter, rect: QRectF, note: str) -> None:
    """The overlay's problem written into the picture itself (a banner along its bottom edge), so a user looking
    at raw footage knows the bodies are missing and why, without opening the Log."""
    if not note:
        return
    band = QRectF(rect.left(), rect.bottom() - 44, rect.width(), 44)
    p.fillRect(band, QColor(120, 20, 20, 210))
    p.setPen(QColor(255, 255, 255))
    p.drawText(band.adjusted(10, 2, -10, -2), Qt.AlignVCenter | Qt.AlignLeft | Qt.TextWordWrap, f"Overlay: {note}")


class VideoView(QWidget):
    can_draw_meshes = False  # this view shows finished pictures only (see gl_video_view.GLVideoView)

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(320, 180)
        self.frame_image: Optional[QImage] = None
        self.frame_index = -1
        self.composited = False  # whether the shown image carries the overlay
        self.message = "Open a video, a motion (NPZ) or a session — or drop a file here."
        self.caption = ""
        self.note = ""
        self.frames_painted = 0  # distinct composited frames that reached the screen (benchmarks)
        self.painted = (-1, False)  # (frame index, with the overlay) of the last picture painted

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(960, 540)

    def set_frame(self, index: int, image: QImage, composited: bool = False) -> None:
        self.frame_index, self.frame_image, self.composited = index, image, composited
        self.update()

    def clear(self, message: str) -> None:
        self.frame_image = None
        self.frame_index = -1
        self.message = message
        self.update()

    def set_note(self, note: str) -> None:
        """Why the overlay is not drawn as asked, written into the picture ("" hides it)."""
        if note != self.note:
            self.note = note
            self.update()

    def release(self) -> None:
        """Nothing to free (the GL view frees its GL objects here)."""

    def image_rect(self) -> QRectF:
        """Where the frame is drawn inside the widget (aspect-preserving fit)."""
        ref = self.frame_image
        size = None if ref is None or ref.isNull() else (ref.width(), ref.height())
        return fit_rect(size, self.width(), self.height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(16, 16, 18))
        rect = self.image_rect()
        p.setRenderHint(QPainter.SmoothPixmapTransform, True)
        if self.frame_image is not None:
            p.drawImage(rect, self.frame_image)
            shown = (self.frame_index, self.composited)
            if self.composited and shown != self.painted:
                self.frames_painted += 1
            self.painted = shown
        p.setPen(QColor(230, 230, 230))
        if self.frame_image is None:
            p.drawText(self.rect(), Qt.AlignCenter | Qt.TextWordWrap, self.message)
        elif self.caption:
            p.drawText(rect.adjusted(8, 4, -8, -4), Qt.AlignTop | Qt.AlignRight, self.caption)
        draw_note(p, rect, self.note)
        p.end()

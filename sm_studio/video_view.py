"""Shows the current picture: the decoded video frame, or that frame with the bodies composited (aspect kept).

Painting only: images arrive ready-made from the worker threads, so the GUI thread never decodes or renders.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


class VideoView(QWidget):
    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(320, 180)
        self.frame_image: Optional[QImage] = None
        self.frame_index = -1
        self.composited = False  # whether the shown image carries the overlay
        self.message = "Open a video, a motion (NPZ) or a session — or drop a file here."
        self.caption = ""

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

    def image_rect(self) -> QRectF:
        """Where the frame is drawn inside the widget (aspect-preserving fit)."""
        ref = self.frame_image
        if ref is None or ref.isNull():
            return QRectF(self.rect())
        scale = min(self.width() / ref.width(), self.height() / ref.height())
        w, h = ref.width() * scale, ref.height() * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(16, 16, 18))
        rect = self.image_rect()
        p.setRenderHint(QPainter.SmoothPixmapTransform, True)
        if self.frame_image is not None:
            p.drawImage(rect, self.frame_image)
        p.setPen(QColor(230, 230, 230))
        if self.frame_image is None:
            p.drawText(self.rect(), Qt.AlignCenter | Qt.TextWordWrap, self.message)
        elif self.caption:
            p.drawText(rect.adjusted(8, 4, -8, -4), Qt.AlignTop | Qt.AlignRight, self.caption)
        p.end()

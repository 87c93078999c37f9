"""A free 3D view of the two people with an orbit camera and a ground grid (y = 0).

When paused, the overlay thread renders both meshes through this view's camera (:mod:`orbit_camera`) and the
image is shown; during playback, or before the first render arrives, the skeletons are drawn with QPainter from
the joints the overlay thread already computed — cheap enough to never slow playback down. Drag to orbit, wheel to
zoom, double-click to reset; each change asks for a new render (``orbitChanged``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import numpy as np
from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QWidget

from inference.skeleton import BODY_PARENTS

from .orbit_camera import Orbit, framing_distance, ground_grid, pair_target
from .style import person_color

MAX_RENDER_WIDTH = 800


class OrbitView(QWidget):
    orbitChanged = Signal()

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(200, 150)
        self.joints: Optional[np.ndarray] = None  # (2, 22, 3)
        self.visible = (True, True)
        self.mesh_image: Optional[QImage] = None
        self._drag_from = QPointF()
        self.orbit = Orbit()  # the camera; its width/height is the mesh render size (capped for speed)
        self._update_size()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(480, 320)

    # ----- state -----
    def reset_camera(self) -> None:
        self._set_orbit(yaw=30.0, pitch=15.0, distance=2.5)

    def frame_people(self, joints: np.ndarray) -> None:
        """Zoom so the two people of a whole sequence (``(T, 2, 22, 3)``) fill the view."""
        self._set_orbit(distance=framing_distance(joints))

    def set_joints(self, joints: Optional[np.ndarray], visible: tuple[bool, bool] = (True, True)) -> None:
        self.joints, self.visible = joints, visible
        self.update()

    def set_mesh_image(self, image: Optional[QImage]) -> None:
        self.mesh_image = image
        self.update()

    def _set_orbit(self, **changes: float) -> None:
        self.orbit = replace(self.orbit, **changes)
        self.update()
        self.orbitChanged.emit()

    def _update_size(self) -> None:
        w, h = max(self.width(), 16), max(self.height(), 16)
        scale = min(1.0, MAX_RENDER_WIDTH / w)
        size = (int(w * scale) // 8 * 8 or 8, int(h * scale) // 8 * 8 or 8)
        if (self.orbit.width, self.orbit.height) != size:
            self.orbit = replace(self.orbit, width=size[0], height=size[1])
            self.orbitChanged.emit()

    # ----- painting -----
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing, True)
        p.fillRect(self.rect(), QColor(28, 30, 34))
        if self.mesh_image is not None:
            p.drawImage(self.rect(), self.mesh_image)
        else:
            self._draw_grid(p)
            if self.joints is None:
                p.setPen(QColor(200, 200, 200))
                p.drawText(self.rect(), Qt.AlignCenter, "3D view: no posed bodies to show")
            else:
                for pid, person, show in zip(("A", "B"), self.joints, self.visible):
                    if show:
                        self._draw_skeleton(p, person, person_color(pid))
        p.setPen(QColor(160, 160, 160))
        p.drawText(self.rect().adjusted(6, 4, -6, -4), Qt.AlignBottom | Qt.AlignLeft,
                   "drag: orbit · wheel: zoom · double-click: reset")
        p.end()

    def _to_widget(self, px: np.ndarray) -> np.ndarray:
        return px * np.array([self.width() / self.orbit.width, self.height() / self.orbit.height])

    def _draw_grid(self, p: QPainter) -> None:
        p.setPen(QPen(QColor(70, 74, 80), 1))
        target = pair_target(self.joints)
        for a, b in ground_grid(centre=target):
            px, ok = self.orbit.project(np.stack([a, b]), target)
            if ok.all():
                q = self._to_widget(px)
                p.drawLine(QPointF(*q[0]), QPointF(*q[1]))

    def _draw_skeleton(self, p: QPainter, joints: np.ndarray, color: QColor) -> None:
        px, ok = self.orbit.project(joints, pair_target(self.joints))
        px = self._to_widget(px)
        p.setPen(QPen(color, 2.5))
        for j, parent in enumerate(BODY_PARENTS):
            if parent >= 0 and ok[j] and ok[parent]:
                p.drawLine(QPointF(*px[parent]), QPointF(*px[j]))
        p.setBrush(color)
        for q, visible in zip(px, ok):
            if visible:
                p.drawEllipse(QPointF(*q), 2.0, 2.0)

    # ----- interaction -----
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._update_size()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self._drag_from = event.position()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        delta = event.position() - self._drag_from
        self._drag_from = event.position()
        self._set_orbit(yaw=self.orbit.yaw - delta.x() * 0.5,
                        pitch=min(max(self.orbit.pitch + delta.y() * 0.5, -85.0), 85.0))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self.reset_camera()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        self._set_orbit(distance=min(max(self.orbit.distance * 0.999 ** event.angleDelta().y(), 0.5), 50.0))

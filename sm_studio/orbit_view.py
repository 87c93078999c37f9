"""A free 3D view of the two skeletons with an orbit camera and a ground grid (y = 0).

Drawn with QPainter from the joints the overlay worker already computed for the frame, so it costs nothing on
the GUI thread beyond projecting 44 points and a grid, and needs no second GL context. Drag to orbit, wheel to
zoom, double-click to reset. The camera looks at the midpoint of the two pelvises.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np
from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QWheelEvent
from PySide6.QtWidgets import QWidget

from inference.skeleton import BODY_PARENTS

from .style import person_color

GRID_HALF_EXTENT = 3.0  # metres
GRID_STEP = 0.5


class OrbitView(QWidget):
    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(200, 150)
        self.joints: Optional[np.ndarray] = None  # (2, 22, 3)
        self.visible = (True, True)
        self._drag_from = QPointF()
        self.reset_camera()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(480, 320)

    def reset_camera(self) -> None:
        self.yaw, self.pitch, self.distance = 30.0, 15.0, 3.0
        self.update()

    def set_joints(self, joints: Optional[np.ndarray], visible: tuple[bool, bool] = (True, True)) -> None:
        self.joints, self.visible = joints, visible
        self.update()

    # ----- camera -----
    def _target(self) -> np.ndarray:
        if self.joints is None:
            return np.array([0.0, 0.9, 0.0])
        return self.joints[:, 0].mean(0)

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points ``(N, 3)`` → widget pixels ``(N, 2)`` and a mask of points in front of the camera."""
        yaw, pitch = math.radians(self.yaw), math.radians(self.pitch)
        forward = np.array([-math.cos(pitch) * math.sin(yaw), -math.sin(pitch), -math.cos(pitch) * math.cos(yaw)])
        eye = self._target() - forward * self.distance
        right = np.cross(forward, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, forward)
        rel = points - eye
        x, y, z = rel @ right, rel @ up, rel @ forward
        f = 0.9 * min(self.width(), self.height())
        zz = np.where(z > 1e-3, z, 1e-3)
        px = np.stack([self.width() / 2 + f * x / zz, self.height() / 2 - f * y / zz], 1)
        return px, z > 0.05

    # ----- painting -----
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing, True)
        p.fillRect(self.rect(), QColor(28, 30, 34))
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

    def _draw_grid(self, p: QPainter) -> None:
        p.setPen(QPen(QColor(70, 74, 80), 1))
        ticks = np.arange(-GRID_HALF_EXTENT, GRID_HALF_EXTENT + 1e-6, GRID_STEP)
        c = self._target()
        cx, cz = round(c[0] / GRID_STEP) * GRID_STEP, round(c[2] / GRID_STEP) * GRID_STEP
        for t in ticks:
            for a, b in (((cx + t, cz - GRID_HALF_EXTENT), (cx + t, cz + GRID_HALF_EXTENT)),
                         ((cx - GRID_HALF_EXTENT, cz + t), (cx + GRID_HALF_EXTENT, cz + t))):
                self._line(p, np.array([[a[0], 0.0, a[1]], [b[0], 0.0, b[1]]]))

    def _line(self, p: QPainter, pts: np.ndarray) -> None:
        px, ok = self.project(pts)
        if ok.all():
            p.drawLine(QPointF(*px[0]), QPointF(*px[1]))

    def _draw_skeleton(self, p: QPainter, joints: np.ndarray, color: QColor) -> None:
        px, ok = self.project(joints)
        p.setPen(QPen(color, 2.5))
        for j, parent in enumerate(BODY_PARENTS):
            if parent >= 0 and ok[j] and ok[parent]:
                p.drawLine(QPointF(*px[parent]), QPointF(*px[j]))
        p.setBrush(color)
        for q, visible in zip(px, ok):
            if visible:
                p.drawEllipse(QPointF(*q), 2.0, 2.0)

    # ----- interaction -----
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self._drag_from = event.position()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        delta = event.position() - self._drag_from
        self._drag_from = event.position()
        self.yaw -= delta.x() * 0.5
        self.pitch = min(max(self.pitch + delta.y() * 0.5, -85.0), 85.0)
        self.update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self.reset_camera()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        self.distance = min(max(self.distance * 0.999 ** event.angleDelta().y(), 0.5), 50.0)
        self.update()

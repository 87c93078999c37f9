"""A transparent layer over the video view or the 3D view: contacts, pins and a ghost drawn on the bodies, and
the mouse work of editing them (click a body part to make a contact, drag a joint to pin it).

Why a layer instead of code inside the views: the views show ready-made images from the render threads (and
their rendering path is being replaced); the layer only needs the posed joints of the current frame and the
view's camera (:class:`~sm_studio.pose_picking.ViewCamera`), so it works over either view unchanged. A press
that does not hit a joint is ignored and reaches the view below (the 3D view still orbits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from inference.skeleton import BODY_PARENTS

from .pose_picking import PICKABLE, ViewCamera, nearest_joint
from .style import person_color

CONTACT_RGB = (255, 230, 60)
PIN_RGB = (240, 60, 200)
GHOST_RGB = (225, 225, 225)
DRAG_THRESHOLD = 3.0  # widget pixels a press must move to count as a drag


def draw_skeleton(p: QPainter, cam: ViewCamera, joints: np.ndarray, pen: QPen) -> None:
    """Bones of one person's ``(22, 3)`` world joints seen through ``cam``."""
    px, ok = cam.to_widget(joints)
    p.setPen(pen)
    for j, parent in enumerate(BODY_PARENTS):
        if parent >= 0 and ok[j] and ok[parent]:
            p.drawLine(QPointF(*px[parent]), QPointF(*px[j]))


@dataclass
class EditScene:
    """What the layers draw at the current frame (set by the controller, read by every layer)."""

    joints: Optional[np.ndarray] = None  # (2, 22, 3) the motion shown
    ghost: Optional[np.ndarray] = None  # (2, 22, 3) a motion to compare with, drawn thin
    contacts: list[tuple[int, int, int, int, bool]] = field(default_factory=list)  # pa, ja, pb, jb, selected
    pins: list[tuple[int, int, np.ndarray]] = field(default_factory=list)  # person, joint, target
    picking: bool = False  # the next click picks a body part for a contact
    picked: Optional[tuple[int, int]] = None  # the first body part of a contact being made
    visible: tuple[bool, bool] = (True, True)


class EditOverlay(QWidget):
    jointClicked = Signal(int, int)  # person, joint (in picking mode)
    pinDragged = Signal(int, int, object)  # person, joint, world target (3,)

    def __init__(self, view: QWidget, scene: EditScene, camera: Callable[[], Optional[ViewCamera]]) -> None:
        super().__init__(view)
        self.scene, self._camera = scene, camera
        self._drag: Optional[tuple[int, int, np.ndarray, QPointF]] = None  # person, joint, start world, press
        self.drag_target: Optional[np.ndarray] = None
        self.setAttribute(Qt.WA_NoSystemBackground)
        self.setMouseTracking(False)
        view.installEventFilter(self)
        self.setGeometry(view.rect())
        self.raise_()
        # A view drawn by a native GL window covers any widget above it: there the layer is painted by the view
        # itself, in the same pass as the video and meshes, and this widget only takes the mouse.
        self._host = view if hasattr(view, "add_layer") else None
        if self._host is not None:
            self._host.add_layer(self.paint_layer)

    def update(self) -> None:  # type: ignore[override]
        super().update()
        if self._host is not None:
            self._host.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Resize:
            self.setGeometry(watched.rect())
        return False

    def camera(self) -> Optional[ViewCamera]:
        return self._camera()

    def joint_position(self, person: int, joint: int) -> Optional[QPointF]:
        """Where a joint of the shown motion is drawn (widget coordinates), for tests and tooltips."""
        cam, joints = self.camera(), self.scene.joints
        if cam is None or joints is None:
            return None
        px, ok = cam.to_widget(joints[person, joint][None])
        return QPointF(*px[0]) if ok[0] else None

    # ----- painting -----
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        if self._host is None:
            p = QPainter(self)
            self.paint_layer(p)
            p.end()

    def paint_layer(self, p: QPainter) -> None:
        """Ghost, contacts, pins and the joint being dragged, in view coordinates, with ``p``."""
        cam, s = self.camera(), self.scene
        if cam is None or s.joints is None:
            return
        p.save()
        p.setRenderHint(QPainter.Antialiasing, True)
        if s.ghost is not None:
            for person in range(2):
                if s.visible[person]:
                    draw_skeleton(p, cam, s.ghost[person], QPen(QColor(*GHOST_RGB, 200), 1.5, Qt.DotLine))
        for pa, ja, pb, jb, selected in s.contacts:
            (a, b), ok = cam.to_widget(np.stack([s.joints[pa, ja], s.joints[pb, jb]]))
            if ok.all():
                p.setPen(QPen(QColor(*CONTACT_RGB), 4 if selected else 2, Qt.DashLine))
                p.drawLine(QPointF(*a), QPointF(*b))
                p.setBrush(QColor(*CONTACT_RGB))
                for q, who in ((a, "AB"[pa]), (b, "AB"[pb])):
                    p.setPen(QPen(person_color(who), 2))
                    p.drawEllipse(QPointF(*q), 6, 6)
        for person, joint, target in s.pins:
            (t, j), ok = cam.to_widget(np.stack([target, s.joints[person, joint]]))
            if ok.all():
                self._pin(p, QPointF(*t), QPointF(*j))
        if self._drag is not None and self.drag_target is not None:
            (t, j), ok = cam.to_widget(np.stack([self.drag_target, s.joints[self._drag[0], self._drag[1]]]))
            if ok.all():
                self._pin(p, QPointF(*t), QPointF(*j))
        if s.picking:
            for person in range(2):
                px, ok = cam.to_widget(s.joints[person])
                for k in range(len(px)):
                    chosen = s.picked == (person, k)
                    if ok[k] and (s.picked is None or s.picked[0] != person or chosen):
                        p.setPen(QPen(QColor(255, 255, 255), 3 if chosen else 1))
                        p.setBrush(person_color("AB"[person], 255 if chosen else 120))
                        p.drawEllipse(QPointF(*px[k]), 7 if chosen else 5, 7 if chosen else 5)
            p.setPen(QColor(255, 255, 255))
            p.drawText(self.rect().adjusted(8, 4, -8, -4), Qt.AlignTop | Qt.AlignLeft,
                       "Click a body part of one person, then of the other (Esc cancels)")
        p.restore()

    @staticmethod
    def _pin(p: QPainter, target: QPointF, joint: QPointF) -> None:
        p.setPen(QPen(QColor(*PIN_RGB), 2))
        p.drawLine(joint, target)
        p.setBrush(QColor(*PIN_RGB))
        r = 7.0
        p.drawPolygon(QPolygonF([target + QPointF(0, -r), target + QPointF(r, 0), target + QPointF(0, r),
                                 target + QPointF(-r, 0)]))

    # ----- mouse -----
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        cam, s = self.camera(), self.scene
        if event.button() != Qt.LeftButton or cam is None or s.joints is None:
            event.ignore()
            return
        pos = (event.position().x(), event.position().y())
        if s.picking:
            visible = s.visible if s.picked is None else tuple(i != s.picked[0] for i in range(2))
            hit = nearest_joint(cam, s.joints, pos, visible, candidates=tuple(range(s.joints.shape[1])))
            if hit is None:
                event.ignore()
                return
            self.jointClicked.emit(*hit)
            event.accept()
            return
        hit = nearest_joint(cam, s.joints, pos, s.visible, candidates=PICKABLE)
        if hit is None:
            event.ignore()  # the view below gets it (the 3D view orbits)
            return
        self._drag = (hit[0], hit[1], s.joints[hit[0], hit[1]].copy(), event.position())
        self.drag_target = None
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        cam = self.camera()
        if self._drag is None or cam is None:
            event.ignore()  # not ours: the view below orbits
            return
        moved = event.position() - self._drag[3]
        if np.hypot(moved.x(), moved.y()) >= DRAG_THRESHOLD:
            self.drag_target = cam.from_widget((event.position().x(), event.position().y()), self._drag[2])
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        drag, target = self._drag, self.drag_target
        if drag is None:
            event.ignore()
            return
        self._drag, self.drag_target = None, None
        self.update()
        if target is not None:
            self.pinDragged.emit(drag[0], drag[1], target)

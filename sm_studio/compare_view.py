"""Side by side: the two compared motions (current | candidate while one is pending, else original | current)
at the playhead, as skeletons seen through the 3D view's orbit camera, each half labelled.

Why skeletons: both halves must stay live while scrubbing and cost nothing to draw; the meshes of the motion
on screen are in the views above, and the ghost layer overlays one motion on the other in place.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from .correction_tools import CorrectionTools
from .document import Document
from .edit_overlay import draw_skeleton
from .orbit_camera import pair_target
from .orbit_view import OrbitView
from .pose_picking import ViewCamera
from .style import person_color


class CompareView(QWidget):
    def __init__(self, doc: Document, tools: CorrectionTools, orbit_view: OrbitView,
                 parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self._doc, self._tools, self._orbit = doc, tools, orbit_view
        self.setMinimumSize(320, 160)
        self.halves: list[tuple[str, Optional[np.ndarray]]] = []  # (name, (2, 22, 3) joints) as last drawn
        for signal in (doc.frameChanged, doc.reconstructionChanged, doc.candidateChanged, doc.sessionReplaced):
            signal.connect(self.update)
        orbit_view.orbitChanged.connect(self.update)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(640, 240)

    def _halves(self) -> list[tuple[str, Optional[np.ndarray]]]:
        before, after, name_before, name_after = self._tools.compared()
        out = []
        for name, recon in ((name_before, before), (name_after, after)):
            joints = None
            if recon is not None:
                joints = self._tools.posed.joints(recon)[min(self._doc.frame, recon.num_frames - 1)]
            out.append((name, joints))
        return out

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing, True)
        p.fillRect(self.rect(), QColor(24, 26, 30))
        self.halves = self._halves()
        width = self.width() / 2
        orbit = replace(self._orbit.orbit, width=max(int(width), 8), height=max(self.height(), 8))  # each half
        for k, (name, joints) in enumerate(self.halves):
            box = QRectF(k * width, 0, width, self.height())
            p.setPen(QColor(210, 210, 210))
            p.drawText(box.adjusted(8, 4, -8, -4), Qt.AlignTop | Qt.AlignLeft, name)
            if joints is None:
                continue
            K, R, t = orbit.camera(pair_target(joints))
            cam = ViewCamera(K, R, t, offset=(box.x(), 0.0))
            for person, pid in enumerate("AB"):
                draw_skeleton(p, cam, joints[person], QPen(person_color(pid), 2.5))
        p.setPen(QColor(90, 90, 90))
        p.drawLine(int(width), 0, int(width), self.height())
        p.end()

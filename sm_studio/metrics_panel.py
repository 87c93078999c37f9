"""A small before/after table for the selected segment: reprojection error to the 2D keypoints,
interpenetration, contact gaps, jitter, foot skating and distance to pins (``inference.edit.judge``).

Before/after is current vs candidate while a candidate is pending, else original vs current. Values are
recomputed when either motion, the segment, its contacts or the pins change; the better value is shown in green.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtGui import QColor
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from inference.edit.contacts import Contact
from inference.edit.hold import engine_contacts
from inference.edit.judge import METRICS, SegmentMetrics, person_indices, segment_metrics
from inference.motion import Reconstruction

from .correction_tools import CorrectionTools
from .document import Document

BETTER = QColor(90, 200, 110)


class MetricsPanel(QWidget):
    def __init__(self, doc: Document, tools: CorrectionTools, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self._doc, self._tools = doc, tools
        self.title = QLabel("Segment metrics")
        self.table = QTableWidget(len(METRICS), 2)
        self.table.setVerticalHeaderLabels([label for _, label in METRICS])
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setMinimumHeight(22 * len(METRICS) + self.table.horizontalHeader().sizeHint().height() + 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.table)
        self.before: Optional[SegmentMetrics] = None
        self.after: Optional[SegmentMetrics] = None
        # resolving contacts poses the bodies (~0.3 s): wait until a burst of edits (typing) is over
        self._timer = QTimer(self, singleShot=True, interval=200)
        self._timer.timeout.connect(self.refresh)
        self._contacts_for: Optional[tuple] = None  # (motion, contacts) → engine contacts, the last ones resolved
        for signal in (doc.reconstructionChanged, doc.candidateChanged, doc.selectionChanged, doc.contactsChanged,
                       doc.pinsChanged, doc.segmentsChanged):
            signal.connect(self._timer.start)
        self.refresh()

    def _engine_contacts(self, recon: Reconstruction, contacts: tuple[Contact, ...]) -> list:
        if self._contacts_for is None or self._contacts_for[0] is not recon or self._contacts_for[1] != contacts:
            self._contacts_for = (recon, contacts, engine_contacts(contacts, recon, self._tools.posed.body))
        return self._contacts_for[2]

    def refresh(self) -> None:
        seg = self._doc.selected_segment
        before, after, name_before, name_after = self._tools.compared()
        self.table.setHorizontalHeaderLabels([name_before, name_after])
        if seg is None or before is None or after is None:
            self.before = self.after = None
            self.title.setText("Segment metrics: select a segment")
            self.table.clearContents()
            return
        self.title.setText(f"Segment {seg.start}–{seg.stop - 1}: {name_before} vs {name_after}")
        posed = self._tools.posed
        contacts = self._engine_contacts(before, self._doc.contacts(seg.id))
        people = person_indices(seg.who)
        pins = [p for p in self._doc.pins if p.start < seg.stop and p.stop > seg.start]
        self.before, self.after = (segment_metrics(r, posed.joints(r), seg.start, seg.stop, people, contacts, pins)
                                   for r in (before, after))
        for row, (key, _) in enumerate(METRICS):
            values = (self.before.value(key), self.after.value(key))
            for col, v in enumerate(values):
                item = QTableWidgetItem("—" if v is None else f"{v:.1f}")
                other = values[1 - col]
                if v is not None and other is not None and v < other - 0.05:
                    item.setForeground(BETTER)
                self.table.setItem(row, col, item)

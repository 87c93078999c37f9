"""The timeline: frame axis, playhead, per-person reliability, segments, distance between the two people.

Segments are coloured ``LinearRegionItem``s whose edges (or the whole region) can be dragged; a drag becomes one
undoable edit when the mouse is released (``sigRegionChangeFinished``), never one per mouse move. Clicking a
segment selects it, clicking elsewhere moves the playhead. The widget holds no state of its own: it redraws from
the :class:`~sm_studio.document.Document` when that changes, with its own signals blocked so nothing loops back.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from inference.motion import Reconstruction
from inference.segments import Segment

from .document import Document
from .style import person_color


AXIS_WIDTH = 40  # px for every row's left axis (numbers only: the names sit in a column of their own)
LABEL_WIDTH = 64
EDIT_BAND = (1.08, 1.45)  # y range above the reliability curves where contacts and pins are drawn


class SegmentRegion(pg.LinearRegionItem):
    """A segment on the timeline; knows its id and reports clicks."""

    clicked = Signal(str)

    def __init__(self, seg: Segment, selected: bool) -> None:
        alpha = 110 if selected else 50
        super().__init__(values=(seg.start, seg.stop), brush=person_color(seg.who, alpha),
                         hoverBrush=person_color(seg.who, alpha + 30), swapMode="block")
        self.seg_id = seg.id
        self.setZValue(-10)
        text = seg.description or "no description yet"
        self.setToolTip(f"{seg.kind.value} · person {seg.who} · frames {seg.start}–{seg.stop - 1}\n{text}")
        for line in self.lines:
            line.setPen(pg.mkPen(person_color(seg.who), width=3 if selected else 1))

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 - Qt's name
        if ev.button() == Qt.LeftButton:
            ev.accept()
            self.clicked.emit(self.seg_id)
        else:
            super().mouseClickEvent(ev)


def root_distance(recon: Reconstruction) -> np.ndarray:
    """Per-frame distance (m) between the two people's root translations: a cheap proxy for how close they are
    (the pelvis sits at a fixed offset from ``transl`` per body shape)."""
    a, b = recon.people
    return np.linalg.norm(a.transl - b.transl, axis=1)


class Timeline(QWidget):
    frameRequested = Signal(int)

    def __init__(self, doc: Document, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self._doc = doc
        self._regions: dict[str, SegmentRegion] = {}
        self._layout_widget = pg.GraphicsLayoutWidget()
        self.row_labels: list[pg.LabelItem] = []
        self._layout_widget.setBackground("#202024")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._layout_widget)

        self.plot = self._layout_widget.addPlot(row=0, col=1)
        # who is which colour in the row's label, not a legend box that would sit on the curves
        colours = {pid: person_color(pid).name() for pid in ("A", "B")}
        self._row_label(0, f"<span style='color:{colours['A']}'>A</span> <span style='color:{colours['B']}'>B"
                           f"</span><br>reliability")
        self.plot.getAxis("left").setWidth(AXIS_WIDTH)
        self.plot.setYRange(-0.05, EDIT_BAND[1], padding=0)
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.hideButtons()
        self.distance_plot = self.add_track("apart (m)", 50)
        self.distance_plot.setLabel("bottom", "frame")

        self.curves = {pid: self.plot.plot([], [], pen=pg.mkPen(person_color(pid), width=2), name=f"person {pid}")
                       for pid in ("A", "B")}
        self.distance_curve = self.distance_plot.plot([], [], pen=pg.mkPen("#c8c8c8", width=1.5))
        self.playheads = []
        self._scene_connected = False
        for p in self._plots:
            self._add_playhead(p)

        doc.reconstructionChanged.connect(self._refresh_curves)
        doc.segmentsChanged.connect(self._refresh_segments)
        doc.selectionChanged.connect(self._refresh_segments)
        doc.frameChanged.connect(self._move_playhead)
        doc.sessionReplaced.connect(self._reset_view)
        self._refresh_curves()
        self._refresh_segments()
        self._reset_view()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(900, 220)

    def add_track(self, label: str, height: int) -> pg.PlotItem:
        """A plot row under the others sharing their frame axis and playhead (a fixed-width axis keeps the rows'
        labels from overlapping and the curves aligned)."""
        plots = getattr(self, "_plots", [self.plot])
        for p in plots:
            p.setLabel("bottom", None)
        track = self._layout_widget.addPlot(row=len(plots), col=1)
        self._row_label(len(plots), label)
        track.getAxis("left").setWidth(AXIS_WIDTH)
        track.setLabel("bottom", "frame")
        track.setXLink(self.plot)
        track.setMouseEnabled(x=True, y=False)
        track.hideButtons()
        track.setMaximumHeight(height)
        self._plots = plots + [track]
        if hasattr(self, "playheads"):
            self._add_playhead(track)
        return track

    def _row_label(self, row: int, text: str) -> None:
        """A row's name, horizontal in a column of its own: vertical axis labels overflow short rows."""
        label = self._layout_widget.addLabel(text, row=row, col=0, size="8pt", color="#c8c8c8")
        label.setFixedWidth(LABEL_WIDTH)
        self.row_labels.append(label)

    def _add_playhead(self, plot: pg.PlotItem) -> None:
        line = pg.InfiniteLine(self._doc.frame, movable=True, pen=pg.mkPen("#ffffff", width=2))
        line.setZValue(20)
        line.sigPositionChanged.connect(self._playhead_dragged)
        plot.addItem(line)
        if not self._scene_connected:
            plot.scene().sigMouseClicked.connect(self._scene_clicked)
            self._scene_connected = True
        self.playheads.append(line)

    # ----- model → widget -----
    def _refresh_curves(self) -> None:
        recon = self._doc.shown_reconstruction
        if recon is None:
            for c in (*self.curves.values(), self.distance_curve):
                c.setData([], [])
            return
        x = np.arange(recon.num_frames)
        for pid, person in recon:
            self.curves[pid].setData(x, person.reliability)
        self.distance_curve.setData(x, root_distance(recon))

    def _refresh_segments(self, *_: object) -> None:
        for region in self._regions.values():
            self.plot.removeItem(region)
        self._regions.clear()
        n = self._doc.num_frames
        for seg in self._doc.segments:
            region = SegmentRegion(seg, seg.id == self._doc.selected_id)
            region.setBounds((0, max(n, seg.stop)))
            region.sigRegionChangeFinished.connect(self._region_moved)
            region.clicked.connect(self._doc.select)
            self.plot.addItem(region)
            self._regions[seg.id] = region

    def _move_playhead(self, frame: int) -> None:
        for line in self.playheads:
            line.blockSignals(True)
            line.setValue(frame)
            line.blockSignals(False)

    def _reset_view(self) -> None:
        n = max(self._doc.num_frames, 1)
        self.plot.setXRange(0, n, padding=0.01)
        self._move_playhead(self._doc.frame)

    def region(self, seg_id: str) -> SegmentRegion:
        return self._regions[seg_id]

    # ----- widget → model -----
    def _region_moved(self, region: SegmentRegion) -> None:
        start, stop = (int(round(v)) for v in region.getRegion())
        seg = self._doc.segment(region.seg_id)
        if seg is None:
            return
        if stop <= start:  # collapsed by a drag: put the drawing back, refuse the edit
            self._refresh_segments()
            return
        self._doc.set_segment_range(region.seg_id, start, stop)
        if (start, stop) == (seg.start, seg.stop):
            self._refresh_segments()  # snap a sub-frame drag back to whole frames

    def _playhead_dragged(self, line: pg.InfiniteLine) -> None:
        self.frameRequested.emit(int(round(line.value())))

    def _scene_clicked(self, ev) -> None:
        if ev.button() != Qt.LeftButton or ev.isAccepted():
            return
        for p in self._plots:
            if p.sceneBoundingRect().contains(ev.scenePos()):
                x = p.vb.mapSceneToView(ev.scenePos()).x()
                self.frameRequested.emit(int(round(x)))
                return

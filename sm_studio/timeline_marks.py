"""The timeline's view of the user's edits: contacts as bars and pins as diamonds above the reliability curves,
and a track with the per-frame difference (mm) between the compared motions (where a candidate or an accepted
correction moved things — also what Refine, which changes the whole sequence, moved)."""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject

from .correction_tools import CorrectionTools
from .document import Document
from .edit_overlay import CONTACT_RGB, PIN_RGB
from .timeline import EDIT_BAND, Timeline


class TimelineMarks(QObject):
    def __init__(self, timeline: Timeline, doc: Document, tools: CorrectionTools) -> None:
        super().__init__(timeline)
        self._doc, self._plot = doc, timeline.plot
        self.track = timeline.add_track("moved (mm)", 70)
        self.track.setMinimumHeight(60)
        self.curve = self.track.plot([], [], pen=pg.mkPen((90, 220, 120), width=1.5), fillLevel=0,
                                     brush=(90, 220, 120, 60))
        self.difference: Optional[np.ndarray] = None
        self._items: list[pg.GraphicsObject] = []
        tools.differenceChanged.connect(self._show_difference)
        for signal in (doc.contactsChanged, doc.pinsChanged, doc.segmentsChanged, doc.sessionReplaced):
            signal.connect(self._refresh_marks)
        self._refresh_marks()

    def _show_difference(self, mm: np.ndarray) -> None:
        self.difference = mm if mm.size else None
        if not mm.size:
            self.curve.setData([], [])
            self.track.setToolTip("")
            return
        self.curve.setData(np.arange(len(mm)), mm)
        self.track.setYRange(0, max(float(mm.max()), 10.0), padding=0.05)
        self.track.setToolTip(f"largest change {mm.max():.0f} mm, at frame {int(mm.argmax())}")

    def _refresh_marks(self) -> None:
        for item in self._items:
            self._plot.removeItem(item)
        self._items = []
        contacts = self._doc.all_contacts()
        lo, hi = EDIT_BAND
        rows = max(len(contacts), 1)
        height = (hi - lo) * 0.6 / rows
        for k, c in enumerate(contacts):
            bar = pg.BarGraphItem(x0=[c.start], x1=[c.stop], y0=[lo + k * height], height=[height * 0.8],
                                  brush=pg.mkBrush(*CONTACT_RGB, 200), pen=pg.mkPen(None))
            bar.setToolTip(f"{c.label()} · frames {c.start}–{c.stop - 1} · {c.origin}")
            self._add(bar)
        pins = self._doc.pins
        if pins:
            xs = [x for p in pins for x in (p.start, p.stop - 1)]
            self._add(pg.ScatterPlotItem(xs, [hi - 0.08] * len(xs), symbol="d", size=10,
                                         brush=pg.mkBrush(*PIN_RGB), pen=pg.mkPen(None)))

    def _add(self, item: pg.GraphicsObject) -> None:
        self._plot.addItem(item)
        self._items.append(item)

"""Under the description: the contacts the infiller will keep for the selected segment, and the pins.

Each row says who, body part → body part, the frames and where the contact came from (the text, by hand, from
the estimate). When a text edit re-reads the contacts, the line above the list says what changed, so a misparse
is seen before it is infilled. Everything here writes through the document (undoable) or the tools' picking.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Optional

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from inference.edit.contacts import Contact
from inference.edit.pins import Pin

from .correction_tools import CorrectionTools
from .document import Document

ORIGIN_NAMES = {"text": "from the text", "hand": "by hand", "estimate": "from the estimate"}


class FramesDialog(QDialog):
    """First and last frame (inclusive, as people count) of a contact or a pin."""

    def __init__(self, first: int, last: int, lo: int, hi: int, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Frames")
        self.first, self.last = QSpinBox(), QSpinBox()
        for box, value in ((self.first, first), (self.last, last)):
            box.setRange(lo, hi)
            box.setValue(value)
        form = QFormLayout(self)
        form.addRow("First frame", self.first)
        form.addRow("Last frame", self.last)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)


class ContactsPanel(QWidget):
    def __init__(self, doc: Document, tools: CorrectionTools, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self._doc, self._tools = doc, tools
        self.frames_dialog: Optional[FramesDialog] = None
        self.title = QLabel("Contacts the infiller keeps")
        self.changes = QLabel("")
        self.changes.setWordWrap(True)
        self.changes.setStyleSheet("color: #e6c84a")
        self.list = QListWidget()
        self.list.setToolTip("Yellow dashed lines in the views; bars on the timeline")
        self.add = QPushButton("Add by clicking")
        self.add.setToolTip("Click a body part on one person, then the body part of the other it touches")
        self.repick = QPushButton("Re-pick")
        self.repick.setToolTip("Replace the selected contact by clicking two body parts")
        self.frames = QPushButton("Frames…")
        self.remove = QPushButton("Remove")
        row = QHBoxLayout()
        for b in (self.add, self.repick, self.frames, self.remove):
            row.addWidget(b)
        self.list.setMinimumHeight(48)
        self.pins = QListWidget()
        self.pins.setMinimumHeight(36)
        self.pins.setToolTip("Drag a wrist, elbow, ankle, knee, the head or the pelvis in a view to pin it")
        self.remove_pin = QPushButton("Remove pin")
        self.pin_frames = QPushButton("Hold over frames…")
        self.pin_frames.setToolTip("Keep the selected pin's joint at its place over a range of frames")
        pin_row = QHBoxLayout()
        pin_row.addWidget(self.pin_frames)
        pin_row.addWidget(self.remove_pin)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.changes)
        layout.addWidget(self.list, 2)
        layout.addLayout(row)
        layout.addWidget(QLabel("Pins (drag a joint in a view)"))
        layout.addWidget(self.pins, 1)
        layout.addLayout(pin_row)

        self.add.clicked.connect(lambda: tools.start_picking())
        self.repick.clicked.connect(lambda: self._with_selected(tools.start_picking))
        self.frames.clicked.connect(lambda: self._with_selected(self._edit_frames))
        self.remove.clicked.connect(lambda: self._with_selected(
            lambda c: doc.remove_contact(doc.selected_id, c)))
        self.remove_pin.clicked.connect(self._remove_pin)
        self.pin_frames.clicked.connect(self._edit_pin_frames)
        self.list.currentItemChanged.connect(self._row_selected)
        doc.contactsChanged.connect(self._refresh)
        doc.segmentsChanged.connect(self._refresh)
        doc.selectionChanged.connect(self._selection_changed)
        doc.pinsChanged.connect(self._refresh_pins)
        self._refresh()
        self._refresh_pins()

    def contact_rows(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    # ----- model → widget -----
    def _selection_changed(self, *_: object) -> None:
        self.changes.setText("")
        self._refresh()

    def _refresh(self, *_: object) -> None:
        seg = self._doc.selected_segment
        self.list.blockSignals(True)
        self.list.clear()
        for b in (self.add, self.repick, self.frames, self.remove):
            b.setEnabled(seg is not None)
        if seg is None:
            self.title.setText("Contacts: select a segment")
        else:
            contacts = self._doc.contacts(seg.id)
            self.title.setText(f"Contacts the infiller keeps ({len(contacts)})")
            for c in contacts:
                item = QListWidgetItem(f"{c.label()} · frames {c.start}–{c.stop - 1} · {ORIGIN_NAMES[c.origin]}")
                item.setData(Qt.UserRole, c)
                self.list.addItem(item)
                if c == self._tools.selected_contact:
                    self.list.setCurrentItem(item)
            added, removed = self._doc.last_reparse
            if added or removed:
                parts = [f"+ {c.label()}" for c in added] + [f"− {c.label()}" for c in removed]
                self.changes.setText("The text now reads: " + "; ".join(parts))
                self._doc.last_reparse = ([], [])
        self.list.blockSignals(False)

    def _refresh_pins(self) -> None:
        self.pins.clear()
        for p in self._doc.pins:
            item = QListWidgetItem(p.label())
            item.setData(Qt.UserRole, p)
            self.pins.addItem(item)

    # ----- widget → model -----
    def _row_selected(self, item: Optional[QListWidgetItem], _previous: object) -> None:
        self._tools.selected_contact = item.data(Qt.UserRole) if item is not None else None
        self._tools.refresh()

    def _with_selected(self, action) -> None:
        item = self.list.currentItem()
        if item is None:
            self._tools.message.emit("Select a contact in the list first")
            return
        action(item.data(Qt.UserRole))

    def _edit_frames(self, contact: Contact) -> None:
        seg = self._doc.selected_segment
        if seg is None:
            return
        self._ask_frames(contact.start, contact.stop, seg.start, seg.stop, lambda start, stop: self._doc.replace_contact(
            seg.id, contact, contact.with_range(start, stop)))

    def _edit_pin_frames(self) -> None:
        item = self.pins.currentItem()
        pin: Optional[Pin] = item.data(Qt.UserRole) if item is not None else None
        if pin is None:
            self._tools.message.emit("Select a pin in the list first")
            return
        self._ask_frames(pin.start, pin.stop, 0, self._doc.num_frames, lambda start, stop: self._tools.place_pin(
            replace(pin, start=start, stop=stop), replacing=pin))

    def _ask_frames(self, start: int, stop: int, lo: int, hi: int, apply: Callable[[int, int], None]) -> None:
        """Ask for a frame range inside ``[lo, hi)`` (shown inclusive) and ``apply(start, stop)`` it."""
        dialog = FramesDialog(start, stop - 1, lo, hi - 1, self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)

        def accepted() -> None:
            first, last = sorted((dialog.first.value(), dialog.last.value()))
            apply(first, last + 1)
        dialog.accepted.connect(accepted)
        self.frames_dialog = dialog
        dialog.open()  # window-modal without blocking the event loop

    def _remove_pin(self) -> None:
        item = self.pins.currentItem()
        pin: Optional[Pin] = item.data(Qt.UserRole) if item is not None else None
        if pin is not None:
            self._doc.remove_pin(pin)

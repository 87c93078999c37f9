"""The selected segment's description: editable text, who wrote it, its history, and "Regenerate".

Typing goes to the document one keystroke at a time (merged into one undo step there); leaving the box ends the
burst. Model changes (undo, another segment selected, a regenerated text) are written back with the editor's
signals blocked, keeping the cursor where it was when the text is the user's own.
"""

from __future__ import annotations

import time
from typing import Optional

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QPlainTextEdit, QPushButton, QVBoxLayout,
                               QWidget)

from inference.segments import Segment

from .document import Document


class _TextBox(QPlainTextEdit):
    """A text box whose Undo/Redo keys go to the window (the document's undo stack), not to its own history:
    two undo histories for the same text would disagree."""

    focusLost = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setUndoRedoEnabled(False)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.ShortcutOverride and _is_undo_redo(event):
            event.ignore()  # let the window's Undo/Redo shortcut have it
            return False
        return super().event(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        super().focusOutEvent(event)
        self.focusLost.emit()


def _is_undo_redo(event: QKeyEvent) -> bool:
    return any(event.matches(k) for k in (QKeySequence.Undo, QKeySequence.Redo)) or (
        event.key() == Qt.Key_Z and event.modifiers() == (Qt.ControlModifier | Qt.ShiftModifier))


def _describe_author(author: str) -> str:
    return "you" if author == "user" else f"model: {author}"


class DescriptionPanel(QWidget):
    regenerateRequested = Signal(str)  # segment id

    def __init__(self, doc: Document, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self._doc = doc
        self._busy = False
        self.title = QLabel("No segment selected")
        self.title.setWordWrap(True)
        self.editor = _TextBox()
        self.editor.setPlaceholderText("Describe what the two people do in this segment; the infiller reads it.")
        self.author = QLabel("")
        self.history = QListWidget()
        self.history.setWordWrap(True)
        self.history.setToolTip("Every version of this description, newest last")
        self.history.setMinimumHeight(36)
        self.editor.setMinimumHeight(48)
        self.regenerate = QPushButton("Regenerate")
        buttons = QHBoxLayout()
        buttons.addWidget(self.author, 1)
        buttons.addWidget(self.regenerate)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.editor, 3)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("History"))
        layout.addWidget(self.history, 2)
        self.set_backend(None, "no description backend is installed (inference.describe not found)")

        self.editor.textChanged.connect(self._typed)
        self.editor.focusLost.connect(doc.end_typing)
        self.regenerate.clicked.connect(lambda: self.regenerateRequested.emit(doc.selected_id))
        doc.selectionChanged.connect(self._refresh)
        doc.segmentsChanged.connect(self._refresh)
        self._refresh()

    def set_backend(self, name: Optional[str], why_not: str = "") -> None:
        """Enable "Regenerate" when a backend is available; otherwise say why it is disabled."""
        self._backend = name
        self._why_not = why_not
        self._update_button()

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_button()

    def _update_button(self) -> None:
        has_seg = self._doc.selected_segment is not None
        self.regenerate.setEnabled(bool(self._backend) and has_seg and not self._busy)
        if not self._backend:
            self.regenerate.setToolTip(f"Disabled: {self._why_not}")
        elif self._busy:
            self.regenerate.setToolTip("A description is being generated…")
        else:
            self.regenerate.setToolTip(f"Write a new description with {self._backend}")

    # ----- model → widget -----
    def _refresh(self, *_: object) -> None:
        seg = self._doc.selected_segment
        self.editor.setEnabled(seg is not None)
        self._update_button()
        if seg is None:
            self.title.setText("No segment selected")
            self._set_text("")
            self.author.setText("")
            self.history.clear()
            return
        self.title.setText(f"Segment {seg.start}–{seg.stop - 1} · person {seg.who} · {seg.kind.value}")
        self._set_text(seg.description)
        self.author.setText(f"by {_describe_author(seg.latest.author)}" if seg.latest else "no description yet")
        self._fill_history(seg)

    def _set_text(self, text: str) -> None:
        if self.editor.toPlainText() == text:
            return
        pos = self.editor.textCursor().position()
        self.editor.blockSignals(True)
        self.editor.setPlainText(text)
        cursor = self.editor.textCursor()
        cursor.setPosition(min(pos, len(text)))
        self.editor.setTextCursor(cursor)
        self.editor.blockSignals(False)

    def _fill_history(self, seg: Segment) -> None:
        self.history.clear()
        for v in seg.history:
            stamp = time.strftime("%H:%M:%S", time.localtime(v.created))
            self.history.addItem(f"{stamp} · {_describe_author(v.author)}: {v.text}")

    # ----- widget → model -----
    def _typed(self) -> None:
        seg_id = self._doc.selected_id
        if seg_id:
            self._doc.set_description(seg_id, self.editor.toPlainText())

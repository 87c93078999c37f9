"""Undo commands for :class:`sm_studio.document.Document`.

Segments and reconstructions are immutable values (edits make new ones), so every command simply remembers the
value before and after and swaps them: no command has to know how to invert an edit, which is what keeps undo
correct as edits get richer. Typing in the description box arrives one keystroke at a time; ``mergeWith`` folds a
burst of typing into one undo step and one history entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Generic, Optional, TypeVar

from PySide6.QtGui import QUndoCommand

from inference.motion import Reconstruction
from inference.segments import USER_AUTHOR, Segment

if TYPE_CHECKING:
    from .document import Document

EDIT_DESCRIPTION_ID = 1001
V = TypeVar("V")


class SwapValue(QUndoCommand, Generic[V]):
    """Any value the document holds as a whole (a segment's contacts, the pins): ``apply`` sets it."""

    def __init__(self, text: str, apply: Callable[[V], None], before: V, after: V) -> None:
        super().__init__(text)
        self._apply, self._before, self._after = apply, before, after

    def redo(self) -> None:
        self._apply(self._after)

    def undo(self) -> None:
        self._apply(self._before)


class ReplaceSegments(QUndoCommand):
    """Any change to the segment list (add, delete, split, merge, move edges)."""

    def __init__(self, doc: "Document", after: list[Segment], text: str, select: Optional[str] = None) -> None:
        super().__init__(text)
        self._doc = doc
        self._before = list(doc.segments)
        self._after = list(after)
        self._select_before = doc.selected_id
        self._select_after = select

    def redo(self) -> None:
        self._doc._apply_segments(self._after, self._select_after)

    def undo(self) -> None:
        self._doc._apply_segments(self._before, self._select_before)


class EditDescription(QUndoCommand):
    """A new description text for one segment; merges with the next one while the user keeps typing."""

    def __init__(self, doc: "Document", seg_id: str, text: str, author: str) -> None:
        super().__init__(f"Edit description ({'typing' if author == USER_AUTHOR else author})")
        self._doc = doc
        self._seg_id = seg_id
        self._author = author
        self._burst = doc.typing_burst
        self._before = doc._require(seg_id)
        self._after = self._before.with_text(text, author)

    def id(self) -> int:  # noqa: A003 - Qt's name
        return EDIT_DESCRIPTION_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if not (isinstance(other, EditDescription) and other._seg_id == self._seg_id
                and self._author == other._author == USER_AUTHOR and other._burst == self._burst):
            return False
        # Qt has already run ``other.redo()``, which appended a second history entry: replace it by the one
        # merged entry, so a burst of typing is one version in the history as well as one undo step.
        self._after = self._before.with_text(other._after.description, USER_AUTHOR)
        self._swap(self._after)
        return True

    def redo(self) -> None:
        self._swap(self._after)

    def undo(self) -> None:
        self._swap(self._before)

    def _swap(self, seg: Segment) -> None:
        segs = [seg if s.id == self._seg_id else s for s in self._doc.segments]
        self._doc._apply_segments(segs, None)


class ReplaceReconstruction(QUndoCommand):
    """The whole motion replaced (identity swap, import)."""

    def __init__(self, doc: "Document", after: Reconstruction, text: str) -> None:
        super().__init__(text)
        self._doc = doc
        self._before = doc.reconstruction
        self._after = after

    def redo(self) -> None:
        self._doc._apply_reconstruction(self._after)

    def undo(self) -> None:
        self._doc._apply_reconstruction(self._before)


class AcceptCandidate(QUndoCommand):
    """The candidate becomes the current motion in one step; undo brings the candidate back for review."""

    def __init__(self, doc: "Document") -> None:
        super().__init__(f"Accept {doc.candidate_label or 'candidate'}")
        self._doc = doc
        self._before = doc.reconstruction
        self._candidate = doc.candidate
        self._label = doc.candidate_label

    def redo(self) -> None:
        self._doc._apply_candidate(None, "")
        self._doc._apply_reconstruction(self._candidate)

    def undo(self) -> None:
        self._doc._apply_reconstruction(self._before)
        self._doc._apply_candidate(self._candidate, self._label)

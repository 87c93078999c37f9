"""The open session as a Qt model: what the views show, and the one place edits go through.

Why a separate model: views (video, timeline, description panel) and workers never hold session state
themselves. They read it from here, connect to its signals, and ask it for edits; every edit that changes the
user's work becomes a ``QUndoCommand`` on :attr:`Document.undo_stack` (see :mod:`sm_studio.edits`), so undo/redo
and the "modified" flag come for free and behave the same whether a widget, a shortcut or a test made the edit.

Navigation state (current frame, selection, which candidate is previewed) is not undoable: scrubbing is not work.
Only QtCore/QtGui are used, so the model is testable without a window.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from inference.edit.contacts import Contact, SegmentContacts, changes
from inference.edit.pins import Pin
from inference.motion import MotionError, Reconstruction
from inference.segments import USER_AUTHOR, Segment, SegmentKind
from inference.session import Session, SessionView

from . import edits


class Document(QObject):
    """Session state + signals. Setters that change the user's work push undo commands; the ``_apply_*``
    methods are what those commands call (and the only code that mutates the state)."""

    videoChanged = Signal()
    reconstructionChanged = Signal()
    candidateChanged = Signal()
    previewCandidateChanged = Signal(bool)
    segmentsChanged = Signal()
    selectionChanged = Signal(str)  # selected segment id, "" for none
    frameChanged = Signal(int)
    sessionReplaced = Signal()  # a whole new session was loaded: views reset zoom etc.
    contactsChanged = Signal()  # any segment's contact list (also after its text changed)
    pinsChanged = Signal()

    def __init__(self, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.video_path: Optional[Path] = None
        self.session_path: Optional[Path] = None
        self._reconstruction: Optional[Reconstruction] = None
        self._original: Optional[Reconstruction] = None
        self._candidate: Optional[Reconstruction] = None
        self.candidate_label = ""
        self._preview_candidate = False
        self._segments: list[Segment] = []
        self._selected = ""
        self._frame = 0
        self._num_video_frames = 0
        self._video_fps = 30.0
        self.meta: dict = {}
        self.typing_burst = 0  # description edits merge into one undo step while this stays the same
        self._contacts: dict[str, SegmentContacts] = {}  # segment id → what the user changed (see edit.contacts)
        self._pins: tuple[Pin, ...] = ()
        self.last_reparse: tuple[list[Contact], list[Contact]] = ([], [])  # what the last text edit changed

    # ----- reading -----
    @property
    def reconstruction(self) -> Optional[Reconstruction]:
        return self._reconstruction

    @property
    def original(self) -> Optional[Reconstruction]:
        return self._original

    @property
    def candidate(self) -> Optional[Reconstruction]:
        return self._candidate

    @property
    def shown_reconstruction(self) -> Optional[Reconstruction]:
        """What the views draw: the candidate while "after" is toggled on, the current motion otherwise."""
        if self._preview_candidate and self._candidate is not None:
            return self._candidate
        return self._reconstruction

    @property
    def previewing_candidate(self) -> bool:
        return self._preview_candidate and self._candidate is not None

    @property
    def segments(self) -> tuple[Segment, ...]:
        return tuple(self._segments)

    @property
    def selected_id(self) -> str:
        return self._selected

    @property
    def selected_segment(self) -> Optional[Segment]:
        return self.segment(self._selected) if self._selected else None

    def segment(self, seg_id: str) -> Optional[Segment]:
        return next((s for s in self._segments if s.id == seg_id), None)

    def contacts(self, seg_id: str) -> tuple[Contact, ...]:
        """The contacts an infill of this segment keeps: its text's (minus those removed) and the user's."""
        seg = self.segment(seg_id)
        return self._contacts.get(seg_id, SegmentContacts()).resolve(seg) if seg is not None else ()

    def all_contacts(self) -> list[Contact]:
        return [c for s in self._segments for c in self.contacts(s.id)]

    @property
    def pins(self) -> tuple[Pin, ...]:
        return self._pins

    @property
    def frame(self) -> int:
        return self._frame

    @property
    def num_frames(self) -> int:
        """Frames the timeline spans: the motion's length, or the video's when no motion is loaded."""
        if self._reconstruction is not None:
            return self._reconstruction.num_frames
        return self._num_video_frames

    @property
    def fps(self) -> float:
        return self._reconstruction.fps if self._reconstruction is not None else self._video_fps

    @property
    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    # ----- loading (not undoable: replaces the session) -----
    def load(self, reconstruction: Optional[Reconstruction], segments: list[Segment] | tuple[Segment, ...] = (),
             video_path: Optional[Path] = None, original: Optional[Reconstruction] = None,
             candidate: Optional[Reconstruction] = None, session_path: Optional[Path] = None,
             contacts: Optional[dict[str, SegmentContacts]] = None, pins: tuple[Pin, ...] = ()) -> None:
        """Replace the whole session (open file, demo, import). Clears undo history."""
        self.undo_stack.clear()
        self.meta = {}
        self._contacts, self._pins = dict(contacts or {}), tuple(pins)
        self.last_reparse = ([], [])
        self._reconstruction = reconstruction
        self._original = original if original is not None else (
            reconstruction.copy() if reconstruction is not None else None)
        self._candidate = candidate
        self.candidate_label = "candidate" if candidate is not None else ""
        self._preview_candidate = False
        self._segments = sorted(segments, key=lambda s: (s.start, s.stop))
        self._selected = ""
        self.video_path = Path(video_path) if video_path else None
        self.session_path = Path(session_path) if session_path else None
        self._frame = 0
        self.videoChanged.emit()
        self.reconstructionChanged.emit()
        self.candidateChanged.emit()
        self.segmentsChanged.emit()
        self.contactsChanged.emit()
        self.pinsChanged.emit()
        self.selectionChanged.emit("")
        self.frameChanged.emit(0)
        self.sessionReplaced.emit()
        self.undo_stack.setClean()

    def load_session(self, session: Session, session_path: Optional[Path] = None) -> None:
        self.load(session.current, session.segments, Path(session.video_path) if session.video_path else None,
                  session.original, session_path=session_path, contacts=session.contacts, pins=tuple(session.pins))
        self.meta = dict(session.meta)
        self.set_frame(session.view.frame)  # back where the user was
        # back to the segment the user had selected, else the first flagged one (the panels are never empty)
        flagged = [s for s in self._segments if s.kind != SegmentKind.USER] or self._segments
        chosen = self.segment(session.view.selected) or (flagged[0] if flagged else None)
        self.select(chosen.id if chosen is not None else "")

    def to_session(self) -> Session:
        """The saved state (a pending candidate is not part of it: it is a proposal, not the user's work)."""
        if self._reconstruction is None:
            raise MotionError("nothing to save: no motion is loaded")
        return Session(self._reconstruction, self._original, list(self._segments),
                       str(self.video_path) if self.video_path else None, dict(self.meta),
                       SessionView(self._frame, self._selected),
                       {k: v for k, v in self._contacts.items() if self.segment(k) is not None}, list(self._pins))

    def set_video(self, path: Optional[Path], num_frames: int, fps: float) -> None:
        """Attach a video (its length/rate matter when no motion is loaded yet)."""
        self.video_path = Path(path) if path else None
        self._num_video_frames = int(num_frames)
        self._video_fps = float(fps) if fps > 0 else 30.0
        self.videoChanged.emit()

    def import_reconstruction(self, reconstruction: Reconstruction) -> None:
        """Replace the motion (an imported estimate) as one undoable step; it also becomes the original if
        there was none, so before/after comparisons have a reference."""
        if self._original is None:
            self._original = reconstruction.copy()
        self.undo_stack.push(edits.ReplaceReconstruction(self, reconstruction, "Import motion"))

    def mark_saved(self, session_path: Optional[Path] = None) -> None:
        if session_path is not None:
            self.session_path = Path(session_path)
        self.undo_stack.setClean()

    # ----- navigation (not undoable) -----
    def set_frame(self, frame: int) -> None:
        last = max(self.num_frames - 1, 0)
        frame = min(max(int(frame), 0), last)
        if frame != self._frame:
            self._frame = frame
            self.frameChanged.emit(frame)

    def select(self, seg_id: str) -> None:
        if seg_id and self.segment(seg_id) is None:
            raise KeyError(f"no segment with id {seg_id!r}")
        if seg_id != self._selected:
            self._selected = seg_id
            self.selectionChanged.emit(seg_id)

    def segment_at(self, frame: int) -> Optional[Segment]:
        return next((s for s in self._segments if s.start <= frame < s.stop), None)

    def neighbour_segment(self, step: int) -> Optional[Segment]:
        """The next (``step`` > 0) or previous segment relative to the playhead, for ↑/↓ navigation."""
        if step > 0:
            return next((s for s in self._segments if s.start > self._frame), None)
        before = [s for s in self._segments if s.start < self._frame]
        return before[-1] if before else None

    def set_preview_candidate(self, on: bool) -> None:
        """The before/after toggle: show the candidate instead of the current motion."""
        on = bool(on) and self._candidate is not None
        if on != self._preview_candidate:
            self._preview_candidate = on
            self.previewCandidateChanged.emit(on)
            self.reconstructionChanged.emit()

    # ----- candidates (result of a job; accepting is undoable, proposing/discarding is not) -----
    def set_candidate(self, candidate: Optional[Reconstruction], label: str = "candidate") -> None:
        if candidate is not None and self._reconstruction is not None and \
                candidate.num_frames != self._reconstruction.num_frames:
            raise MotionError(f"candidate has {candidate.num_frames} frames, the session "
                              f"{self._reconstruction.num_frames}")
        self._candidate = candidate
        self.candidate_label = label if candidate is not None else ""
        self.candidateChanged.emit()
        self.set_preview_candidate(candidate is not None)

    def discard_candidate(self) -> None:
        self.set_candidate(None)

    def accept_candidate(self) -> None:
        if self._candidate is None:
            raise MotionError("there is no candidate to accept")
        self.undo_stack.push(edits.AcceptCandidate(self))

    # ----- undoable edits -----
    def add_segment(self, start: int, stop: int, who: str = "both",
                    kind: SegmentKind = SegmentKind.USER) -> Segment:
        seg = Segment(int(start), int(stop), who, kind)
        self._check_range(seg.start, seg.stop)
        self.undo_stack.push(edits.ReplaceSegments(self, self._segments + [seg], "Add segment", select=seg.id))
        return seg

    def delete_segment(self, seg_id: str) -> None:
        self._require(seg_id)
        self.undo_stack.push(edits.ReplaceSegments(
            self, [s for s in self._segments if s.id != seg_id], "Delete segment", select=""))

    def split_segment(self, seg_id: str, frame: int) -> tuple[Segment, Segment]:
        seg = self._require(seg_id)
        left, right = seg.split(int(frame))
        rest = [s for s in self._segments if s.id != seg_id]
        self.undo_stack.push(edits.ReplaceSegments(self, rest + [left, right], "Split segment", select=left.id))
        return left, right

    def merge_segments(self, first_id: str, second_id: str) -> Segment:
        a, b = self._require(first_id), self._require(second_id)
        if a.id == b.id:
            raise MotionError("cannot merge a segment with itself")
        merged = a.merged(b)
        rest = [s for s in self._segments if s.id not in (a.id, b.id)]
        self.undo_stack.push(edits.ReplaceSegments(self, rest + [merged], "Merge segments", select=merged.id))
        return merged

    def set_segment_range(self, seg_id: str, start: int, stop: int) -> None:
        """Move a segment's edges (a timeline drag). No-op when nothing changes."""
        seg = self._require(seg_id)
        start, stop = int(start), int(stop)
        if (start, stop) == (seg.start, seg.stop):
            return
        self._check_range(start, stop)
        moved = seg.with_range(start, stop)
        rest = [s if s.id != seg_id else moved for s in self._segments]
        self.undo_stack.push(edits.ReplaceSegments(self, rest, "Move segment edges", select=seg_id))

    def set_description(self, seg_id: str, text: str, author: str = USER_AUTHOR) -> None:
        """A new description version. Consecutive typing by the user merges into one undo step (and one
        history entry); text from a backend is always its own step."""
        seg = self._require(seg_id)
        if seg.latest is not None and seg.latest.text == text:
            return
        self.undo_stack.push(edits.EditDescription(self, seg_id, text, author))

    def add_contact(self, seg_id: str, contact: Contact) -> None:
        seg = self._require(seg_id)
        self._push_contacts(seg_id, self._user_contacts(seg_id).with_added(contact, seg), "Add contact")

    def remove_contact(self, seg_id: str, contact: Contact) -> None:
        self._require(seg_id)
        self._push_contacts(seg_id, self._user_contacts(seg_id).without(contact), "Remove contact")

    def replace_contact(self, seg_id: str, old: Contact, new: Contact) -> None:
        seg = self._require(seg_id)
        self._push_contacts(seg_id, self._user_contacts(seg_id).replaced(old, new, seg), "Edit contact")

    def pin_joint(self, pin: Pin, posed: Reconstruction, replacing: Optional[Pin] = None) -> None:
        """A dragged joint: the motion posed onto ``pin`` (limb IK) and the pin kept (instead of ``replacing``,
        when given), as one undo step."""
        if self._reconstruction is None:
            raise MotionError("no motion loaded")
        if pin.stop > self.num_frames:
            raise MotionError(f"pin frames [{pin.start}, {pin.stop}) go past the last frame ({self.num_frames})")
        self.undo_stack.beginMacro(f"Pin {pin.person}'s {pin.joint.replace('_', ' ')}")
        self.undo_stack.push(edits.ReplaceReconstruction(self, posed, "Pose edit"))
        kept = tuple(p for p in self._pins if p != replacing)
        self.undo_stack.push(edits.SwapValue("Add pin", self._apply_pins, self._pins, kept + (pin,)))
        self.undo_stack.endMacro()

    def remove_pin(self, pin: Pin) -> None:
        if pin not in self._pins:
            raise MotionError(f"{pin.label()} is not pinned")
        self.undo_stack.push(edits.SwapValue("Remove pin", self._apply_pins, self._pins,
                                             tuple(p for p in self._pins if p != pin)))

    def end_typing(self) -> None:
        """The user left the description box (or paused): the next keystroke starts a new undo step."""
        self.typing_burst += 1

    def swap_identities(self, from_frame: int) -> None:
        """Exchange A and B from ``from_frame`` on (a tracker's identity switch)."""
        if self._reconstruction is None:
            raise MotionError("no motion loaded")
        if not 0 <= from_frame < self._reconstruction.num_frames:
            raise MotionError(f"swap frame {from_frame} outside 0..{self._reconstruction.num_frames - 1}")
        self.undo_stack.push(edits.ReplaceReconstruction(
            self, self._reconstruction.swapped(int(from_frame)), f"Swap A/B from frame {from_frame}"))

    # ----- state changes, called by the undo commands only -----
    def _apply_segments(self, segments: list[Segment], select: Optional[str]) -> None:
        before = {s.id: self.contacts(s.id) for s in self._segments}
        self._segments = sorted(segments, key=lambda s: (s.start, s.stop))
        self.segmentsChanged.emit()
        reparsed = [changes(before[s.id], self.contacts(s.id)) for s in self._segments if s.id in before]
        reparsed = [r for r in reparsed if r[0] or r[1]]
        if reparsed:  # a text edit (or its undo) re-read the contacts: say what changed
            self.last_reparse = reparsed[0]
            self.contactsChanged.emit()
        if select is not None:
            self._selected = ""  # force the signal: the selected segment's content may have changed
            self.select(select if self.segment(select) else "")
        elif self._selected and self.segment(self._selected) is None:
            self.select("")

    def _user_contacts(self, seg_id: str) -> SegmentContacts:
        return self._contacts.get(seg_id, SegmentContacts())

    def _push_contacts(self, seg_id: str, after: SegmentContacts, text: str) -> None:
        apply = lambda value: self._apply_contacts(seg_id, value)  # noqa: E731
        self.undo_stack.push(edits.SwapValue(text, apply, self._user_contacts(seg_id), after))

    def _apply_contacts(self, seg_id: str, value: SegmentContacts) -> None:
        self._contacts[seg_id] = value
        self.contactsChanged.emit()

    def _apply_pins(self, pins: tuple[Pin, ...]) -> None:
        self._pins = pins
        self.pinsChanged.emit()

    def _apply_reconstruction(self, reconstruction: Optional[Reconstruction]) -> None:
        self._reconstruction = reconstruction
        self.reconstructionChanged.emit()

    def _apply_candidate(self, candidate: Optional[Reconstruction], label: str) -> None:
        self._candidate = candidate
        self.candidate_label = label if candidate is not None else ""
        if candidate is None:
            self._preview_candidate = False
            self.previewCandidateChanged.emit(False)
        self.candidateChanged.emit()

    # ----- helpers -----
    def _require(self, seg_id: str) -> Segment:
        seg = self.segment(seg_id)
        if seg is None:
            raise KeyError(f"no segment with id {seg_id!r}")
        return seg

    def _check_range(self, start: int, stop: int) -> None:
        if not 0 <= start < stop:
            raise MotionError(f"segment range [{start}, {stop}) is empty or negative")
        if self.num_frames and stop > self.num_frames:
            raise MotionError(f"segment range [{start}, {stop}) goes past the last frame ({self.num_frames})")

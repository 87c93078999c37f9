"""The document model without a window: every edit is undoable, signals fire, typing merges."""

from __future__ import annotations

import numpy as np
import pytest

from inference.motion import MotionError
from sm_studio.document import Document

from app_support import make_reconstruction, make_segments

pytestmark = pytest.mark.gui


@pytest.fixture
def doc(qapp) -> Document:
    d = Document()
    d.load(make_reconstruction(), make_segments())
    return d


def test_load_sorts_segments_and_is_clean(doc: Document) -> None:
    assert [s.start for s in doc.segments] == [20, 45]
    assert not doc.is_modified
    assert doc.original is not None and doc.original.equals(doc.reconstruction)
    assert doc.original is not doc.reconstruction


def test_segment_edits_undo_redo(doc: Document, qtbot) -> None:
    before = doc.segments
    with qtbot.waitSignal(doc.segmentsChanged):
        seg = doc.add_segment(5, 10, "A")
    assert doc.selected_id == seg.id and len(doc.segments) == 3 and doc.is_modified
    left, right = doc.split_segment(seg.id, 7)
    assert [(s.start, s.stop) for s in doc.segments[:2]] == [(5, 7), (7, 10)]
    doc.set_segment_range(right.id, 8, 12)
    merged = doc.merge_segments(left.id, right.id)
    assert (merged.start, merged.stop) == (5, 12)
    doc.delete_segment(merged.id)
    assert doc.selected_id == ""
    assert doc.segments == before
    for _ in range(5):
        doc.undo_stack.undo()
    assert doc.segments == before and not doc.is_modified
    for _ in range(5):
        doc.undo_stack.redo()
    assert doc.segments == before and doc.is_modified
    doc.undo_stack.undo()  # undo delete → merged comes back, selected
    assert doc.selected_id == merged.id


def test_bad_ranges_are_refused(doc: Document) -> None:
    with pytest.raises(MotionError):
        doc.add_segment(50, 70)  # past the 60 frames
    with pytest.raises(MotionError):
        doc.split_segment(doc.segments[0].id, 20)
    assert doc.undo_stack.count() == 0


def test_typing_merges_into_one_step_and_one_history_entry(doc: Document) -> None:
    seg = doc.segments[0]
    for text in ("A", "A h", "A hu", "A hug"):
        doc.set_description(seg.id, text)
    assert doc.undo_stack.count() == 1
    edited = doc.segment(seg.id)
    assert edited.description == "A hug" and len(edited.history) == 2 and edited.latest.by_user
    doc.end_typing()
    doc.set_description(seg.id, "A hugs")
    assert doc.undo_stack.count() == 2
    doc.set_description(seg.id, "model text", author="some-vlm")
    doc.set_description(seg.id, "user again")
    assert doc.undo_stack.count() == 4  # a backend's text is its own step and stops merging
    for _ in range(4):
        doc.undo_stack.undo()
    assert doc.segment(seg.id).history == seg.history


def test_accept_candidate_is_one_step(doc: Document, qtbot) -> None:
    cand = doc.reconstruction.copy()
    cand.people[0].transl[:] += 1.0
    doc.set_candidate(cand, "smoothing")
    assert doc.previewing_candidate and doc.shown_reconstruction is cand
    doc.set_preview_candidate(False)
    assert doc.shown_reconstruction is doc.reconstruction
    before = doc.reconstruction
    with qtbot.waitSignal(doc.reconstructionChanged):
        doc.accept_candidate()
    assert doc.reconstruction is cand and doc.candidate is None and doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.reconstruction is before and doc.candidate is cand and doc.candidate_label == "smoothing"


def test_candidate_length_checked(doc: Document) -> None:
    with pytest.raises(MotionError):
        doc.set_candidate(doc.reconstruction.slice(0, 10))


def test_swap_identities_undo(doc: Document) -> None:
    a0 = doc.reconstruction.people[0].transl.copy()
    doc.swap_identities(30)
    r = doc.reconstruction
    assert np.array_equal(r.people[0].transl[:30], a0[:30])
    assert np.array_equal(r.people[1].transl[30:], a0[30:])
    doc.undo_stack.undo()
    assert np.array_equal(doc.reconstruction.people[0].transl, a0)


def test_navigation(doc: Document, qtbot) -> None:
    with qtbot.waitSignal(doc.frameChanged) as blocker:
        doc.set_frame(1000)
    assert blocker.args == [59] and doc.frame == 59
    doc.set_frame(0)
    assert doc.neighbour_segment(+1).start == 20
    doc.set_frame(30)
    assert doc.neighbour_segment(+1).start == 45 and doc.neighbour_segment(-1).start == 20
    assert doc.segment_at(30).start == 20 and doc.segment_at(40) is None


def test_model_and_worker_layers_do_not_import_widgets() -> None:
    """The layer rule of DESIGN.md: document model and workers use QtCore/QtGui only."""
    import subprocess
    import sys

    modules = ["sm_studio.document", "sm_studio.edits", "sm_studio.jobs", "sm_studio.latest_worker",
               "sm_studio.frame_loader", "sm_studio.overlay_worker", "sm_studio.playback", "sm_studio.autosave"]
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + \
        "print('PySide6.QtWidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"

"""Issue 18's smaller items, each through the real window: shortcuts without repeats (and Ctrl+Y), Cancel frees
the bar at once and says so, export names the files really written, errors reach the status bar, opening a
session selects its first flagged segment and names the window, the 3D view is big enough and framed, the
timeline's rows keep their labels apart without a legend on the curves, and editing a text shows what the
re-parse changed while hand-made contacts stay."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialogButtonBox

from inference.describe.contacts import ContactConstraint
from inference.edit.contacts import Contact
from inference.session import Session, load_session, save_session
from sm_studio.main_window import MainWindow
from sm_studio.motion_backends import MotionBackend

from app_support import make_reconstruction, make_segments, open_test_window, tiny_engine_backend, wait_idle

pytestmark = pytest.mark.gui
NUM_FRAMES = 60


@pytest.fixture
def session_file(tmp_path: Path) -> Path:
    path = tmp_path / "start.smsession"
    save_session(Session(make_reconstruction(NUM_FRAMES), segments=make_segments()), path)
    return path


@pytest.fixture
def window(qtbot, tmp_path: Path, session_file: Path):
    w = open_test_window(qtbot, tmp_path)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    w.files.open_paths([session_file])  # as the command line does
    wait_idle(qtbot, w)
    yield w
    w.shutdown()


def _accept(qtbot, window: MainWindow, dialog) -> None:
    """Press OK; the window is active again afterwards (the offscreen platform does not re-activate it)."""
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.Ok), Qt.LeftButton)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)


def test_every_shortcut_is_bound_once_and_ctrl_y_redoes(window: MainWindow, qtbot) -> None:
    keys = Counter(k.toString() for act in window.findChildren(type(window.actions_by_name["undo"]))
                   for k in act.shortcuts())
    assert keys and max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]
    listed = [k for row, _ in window.shortcut_table() for k in row.split(", ")]
    assert len(listed) == len(set(listed))  # F1 lists each key once
    redo_keys = {k.toString() for k in window.actions_by_name["redo"].shortcuts()}
    assert {"Ctrl+Y", "Ctrl+Shift+Z"} <= redo_keys
    doc = window.doc
    doc.add_segment(2, 8, "A")
    n = len(doc.segments)
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert len(doc.segments) == n - 1
    qtbot.keyClick(window, Qt.Key_Y, Qt.ControlModifier)
    assert len(doc.segments) == n


def test_open_session_selects_first_flagged_segment_and_names_the_window(window: MainWindow,
                                                                         session_file: Path) -> None:
    first = min((s for s in window.doc.segments if s.kind.value != "user-marked"), key=lambda s: s.start)
    assert window.doc.selected_id == first.id
    assert window.actions_by_name["infill"].isEnabled()
    assert window.description.title.text().startswith(f"Segment {first.start}")
    assert window.windowTitle().startswith(session_file.name)


def test_cancel_frees_the_bar_at_once_and_says_so(window: MainWindow, qtbot) -> None:
    window.backend = tiny_engine_backend(steps=400)
    qtbot.keyClick(window, Qt.Key_I, Qt.ControlModifier)
    job = window.job_bar.job
    started = []
    job.progress.connect(lambda *_: started.append(True))
    qtbot.waitUntil(lambda: bool(started), timeout=20000)
    qtbot.mouseClick(window.job_bar.cancel_button, Qt.LeftButton)
    assert not window.job_bar.busy and not window.job_bar.isVisible()
    assert "cancelled" in window.statusBar().currentMessage()
    assert window.actions_by_name["infill"].isEnabled()
    ended = []
    job.ended.connect(lambda: ended.append(True))
    qtbot.waitUntil(lambda: bool(ended), timeout=20000)
    assert window.doc.candidate is None


def test_job_errors_reach_the_status_bar(window: MainWindow, qtbot) -> None:
    def broken(*_args, **_kwargs):
        raise RuntimeError("the sampler diverged")
    window.backend = MotionBackend(broken, broken, "broken (test)", "broken (test)")
    qtbot.keyClick(window, Qt.Key_I, Qt.ControlModifier)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: "the sampler diverged" in window.statusBar().currentMessage(), timeout=5000)


def test_export_dialog_names_the_files_written(window: MainWindow, qtbot, tmp_path: Path) -> None:
    qtbot.keyClick(window, Qt.Key_E, Qt.ControlModifier)
    dialog = window.export_dialog
    dialog.format.setCurrentText("fbx")
    dialog.path.setText(str(tmp_path / "out.fbx"))
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.Ok), Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(window.files.last_export) and not window.job_bar.busy, timeout=60000)
    written = window.files.last_export
    assert sorted(p.name for p in written) == ["out_A.fbx", "out_B.fbx"]  # FBX: one file per person
    message = window.statusBar().currentMessage()
    assert all(p.is_file() and str(p) in message for p in written)
    assert not (tmp_path / "out.fbx").exists() and f"{tmp_path / 'out.fbx'}," not in message


def test_3d_view_is_big_and_frames_the_people(window: MainWindow, qtbot) -> None:
    views = window.video_view.height() + window.orbit_view.height()
    qtbot.waitUntil(lambda: window.orbit_view.height() > 0.35 * views, timeout=5000)
    joints = window.tools.posed.joints(window.doc.reconstruction)[window.doc.frame]
    camera = window.tools._orbit_camera()
    px, _ = camera.to_widget(joints.reshape(-1, 3))
    height = px[:, 1].max() - px[:, 1].min()
    assert height > 0.5 * window.orbit_view.height()  # the people fill the view, not 5 % of it


def test_timeline_rows_share_one_axis_width_and_have_no_legend(window: MainWindow) -> None:
    plots = window.timeline._plots
    assert len(plots) >= 3 and len({p.getAxis("left").width() for p in plots}) == 1
    assert all(p.legend is None for p in plots)


def test_text_edit_reparses_and_keeps_hand_made_contacts(window: MainWindow, qtbot) -> None:
    doc, panel = window.doc, window.contacts_panel
    seg = doc.selected_segment
    hand = Contact(ContactConstraint("A", "left_wrist", "B", ("head",), seg.start, seg.stop, "head"), "hand")
    doc.add_contact(seg.id, hand)
    window.description.editor.setPlainText("A shakes B's hand.")
    rows = panel.contact_rows()
    assert any("from the text" in r and "right wrist" in r for r in rows) and any("by hand" in r for r in rows)
    assert "+ A right wrist" in panel.changes.text()  # what the re-parse changed is shown
    window.description.editor.setPlainText("")
    assert panel.contact_rows() == [r for r in rows if "by hand" in r]
    assert "−" in panel.changes.text()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)  # undo the text edit: its contacts come back
    assert any("from the text" in r for r in panel.contact_rows())


def test_drag_a_joint_in_the_3d_view_pins_it_and_undo_takes_it_back(window: MainWindow, qtbot) -> None:
    doc, overlay = window.doc, window.tools.orbit_overlay
    doc.set_frame(10)
    qtbot.waitUntil(lambda: overlay.joint_position(0, 21) is not None, timeout=10000)
    before, start = doc.reconstruction, overlay.joint_position(0, 21).toPoint()
    qtbot.mousePress(overlay, Qt.LeftButton, pos=start)
    for step in range(1, 5):
        qtbot.mouseMove(overlay, start + QPoint(6 * step, -4 * step))
    qtbot.mouseRelease(overlay, Qt.LeftButton, pos=start + QPoint(24, -16))
    wait_idle(qtbot, window)  # the limb's IK runs as a job
    assert [p.joint for p in doc.pins] == ["right_wrist"] and doc.reconstruction is not before
    moved = window.tools.posed.joints(doc.reconstruction)[10, 0, 21]
    assert np.linalg.norm(moved - np.asarray(doc.pins[0].target)) < 0.002
    assert overlay.joint_position(0, 21).toPoint() == start + QPoint(24, -16)  # drawn where it was dropped
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)  # one step: the pose edit and the pin
    assert doc.pins == () and doc.reconstruction is before
    yaw = window.orbit_view.orbit.yaw
    corner = QPoint(5, 5)  # no joint there: the press reaches the 3D view, which orbits
    qtbot.mousePress(overlay, Qt.LeftButton, pos=corner)
    qtbot.mouseMove(overlay, corner + QPoint(40, 0))
    qtbot.mouseRelease(overlay, Qt.LeftButton, pos=corner + QPoint(40, 0))
    assert window.orbit_view.orbit.yaw != yaw and doc.pins == ()


def test_contacts_and_pins_are_undoable_and_saved_with_the_session(window: MainWindow, qtbot,
                                                                   tmp_path: Path) -> None:
    doc, panel = window.doc, window.contacts_panel
    seg = doc.selected_segment
    hand = Contact(ContactConstraint("B", "right_wrist", "A", ("spine3",), seg.start, seg.stop, "back"), "hand")
    doc.add_contact(seg.id, hand)
    overlay = window.tools.video_overlay
    doc.set_frame(seg.start + 2)
    qtbot.waitUntil(lambda: overlay.joint_position(1, 20) is not None, timeout=10000)
    start = overlay.joint_position(1, 20).toPoint()
    qtbot.mousePress(overlay, Qt.LeftButton, pos=start)
    qtbot.mouseMove(overlay, start + QPoint(10, 10))
    qtbot.mouseRelease(overlay, Qt.LeftButton, pos=start + QPoint(10, 10))
    wait_idle(qtbot, window)
    assert len(doc.pins) == 1
    dropped = window.tools.posed.joints(doc.reconstruction)[doc.pins[0].start, 1, 20]  # as near as the arm reaches
    panel.pins.setCurrentRow(0)  # hold it over five frames: the joint stays where it was dropped
    qtbot.mouseClick(panel.pin_frames, Qt.LeftButton)
    panel.frames_dialog.last.setValue(doc.pins[0].start + 4)
    _accept(qtbot, window, panel.frames_dialog)
    wait_idle(qtbot, window)
    pin = doc.pins[0]
    assert len(doc.pins) == 1 and pin.stop - pin.start == 5
    held = window.tools.posed.joints(doc.reconstruction)[pin.start:pin.stop, 1, 20]
    assert np.linalg.norm(held - dropped, axis=-1).max() < 0.005
    path = tmp_path / "edited.smsession"
    window.files.save_to(path)
    wait_idle(qtbot, window)
    saved = load_session(path)
    assert saved.pins == list(doc.pins) and saved.contacts[seg.id].added == (hand,)
    panel.list.setCurrentRow(panel.contact_rows().index(next(r for r in panel.contact_rows() if "by hand" in r)))
    qtbot.mouseClick(panel.remove, Qt.LeftButton)
    assert hand not in doc.contacts(seg.id)
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert hand in doc.contacts(seg.id)
    panel.list.setCurrentRow(len(panel.contact_rows()) - 1)  # the hand-made one: narrow its frames
    qtbot.mouseClick(panel.frames, Qt.LeftButton)
    panel.frames_dialog.first.setValue(seg.start + 3)
    panel.frames_dialog.last.setValue(seg.start + 6)
    _accept(qtbot, window, panel.frames_dialog)
    assert hand.with_range(seg.start + 3, seg.start + 7) in doc.contacts(seg.id) and hand not in doc.contacts(seg.id)
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert hand in doc.contacts(seg.id)
    qtbot.mouseClick(panel.add, Qt.LeftButton)  # picking mode; Esc leaves it without a contact
    assert window.tools.scene.picking
    qtbot.keyClick(window, Qt.Key_Escape)
    assert not window.tools.scene.picking and len(doc.contacts(seg.id)) == len(saved.contacts[seg.id].resolve(seg))

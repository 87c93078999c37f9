"""The real main window, offscreen: open a test-written video + motion, play, seek, edit, undo, jobs, save/reopen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from inference.io.npz import load_reconstruction, save_reconstruction
from inference.session import Session, load_session, save_session
from sm_studio.main_window import MainWindow

from app_support import (frame_index, make_reconstruction, make_segments, open_test_window, tiny_engine_backend,
                         wait_idle, write_video)

pytestmark = pytest.mark.gui
NUM_FRAMES = 60


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    video = write_video(tmp_path / "clip.avi", NUM_FRAMES)
    recon = make_reconstruction(NUM_FRAMES)
    npz = tmp_path / "motion.npz"
    save_reconstruction(recon, npz)
    session = tmp_path / "start.smsession"
    save_session(Session(recon, segments=make_segments(), video_path=str(video)), session)
    return {"video": video, "npz": npz, "session": session}


@pytest.fixture
def window(qtbot, tmp_path: Path):
    w = open_test_window(qtbot, tmp_path)
    w.resize(1000, 700)
    w.show()
    yield w
    w.shutdown()


def _image_array(img) -> np.ndarray:
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    return arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3)


def _shown_index(w: MainWindow) -> int:
    return frame_index(_image_array(w.video_view.frame_image))


def test_open_video_and_motion_then_seek_frame_exact(window: MainWindow, files, qtbot) -> None:
    window.files.open_paths([files["video"], files["npz"]])
    wait_idle(qtbot, window)
    assert window.video is not None and window.doc.reconstruction is not None
    assert window.doc.reconstruction.equals(load_reconstruction(files["npz"]))
    for target in (37, 3, 59, 0, 21):
        window.doc.set_frame(target)
        qtbot.waitUntil(lambda: window.video_view.frame_index == target, timeout=5000)
        assert _shown_index(window) == target
    raw = window.pipeline.last_decoded.rgb
    for mode in ("skeleton", "solid"):
        window.mode_combo.setCurrentText(mode)
        qtbot.waitUntil(lambda: window.video_view.composited and window.video_view.frame_index == 21
                        and window.pipeline.last_overlay_request.style.mode == mode, timeout=30000)
        composite = _image_array(window.video_view.frame_image)
        assert composite.shape == raw.shape
        changed = np.abs(composite.astype(int) - raw).sum(-1) > 30
        assert changed.sum() > 300, (mode, window.pipeline.note)  # the bodies were drawn
        assert _shown_index(window) == 21  # over the right frame (the index blocks are not covered)
    assert window.orbit_view.joints is not None and window.orbit_view.joints.shape == (2, 22, 3)


def test_play_advances_and_keys_step(window: MainWindow, files, qtbot) -> None:
    window.files.open_paths([files["session"]])
    wait_idle(qtbot, window)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key_Space)
    assert window.playback.playing
    qtbot.waitUntil(lambda: window.doc.frame >= 10, timeout=5000)
    qtbot.keyClick(window, Qt.Key_Space)
    assert not window.playback.playing
    f = window.doc.frame
    qtbot.keyClick(window, Qt.Key_Right)
    assert window.doc.frame == f + 1
    qtbot.keyClick(window, Qt.Key_Left, Qt.ShiftModifier)
    assert window.doc.frame == max(f + 1 - 30, 0)
    window.doc.set_frame(0)
    qtbot.keyClick(window, Qt.Key_Down)
    assert window.doc.frame == 20 and window.doc.selected_segment.start == 20
    qtbot.keyClick(window, Qt.Key_L)
    qtbot.keyClick(window, Qt.Key_L)
    assert window.playback.speed == 2.0
    qtbot.keyClick(window, Qt.Key_K)
    assert not window.playback.playing


def test_timeline_and_panel_follow_the_model_both_ways(window: MainWindow, files, qtbot) -> None:
    window.files.open_paths([files["session"]])
    wait_idle(qtbot, window)
    doc = window.doc
    assert window.video is not None and len(doc.segments) == 2
    seg = doc.segments[0]
    region = window.timeline.region(seg.id)
    assert region.getRegion() == (20, 36)
    # widget → model: click selects, dragging an edge is one undoable edit
    region.clicked.emit(seg.id)
    assert doc.selected_id == seg.id
    region.setRegion((18, 36))
    region.sigRegionChangeFinished.emit(region)
    assert (doc.segment(seg.id).start, doc.segment(seg.id).stop) == (18, 36)
    # model → widget
    doc.undo_stack.undo()
    assert window.timeline.region(seg.id).getRegion() == (20, 36)
    assert window.description.editor.toPlainText() == "A hugs B from the front."
    # typing in the panel edits the model; undo restores the panel
    window.description.editor.setFocus()
    window.description.editor.selectAll()
    qtbot.keyClicks(window.description.editor, "They dance")
    assert doc.segment(seg.id).description == "They dance"
    assert doc.segment(seg.id).latest.by_user
    assert "you" in window.description.author.text()
    doc.undo_stack.undo()
    assert window.description.editor.toPlainText() == "A hugs B from the front."
    doc.undo_stack.redo()
    assert window.description.editor.toPlainText() == "They dance"
    # split/merge/delete through the actions
    doc.set_frame(28)
    window.actions_by_name["split"].trigger()
    assert [(s.start, s.stop) for s in doc.segments][:2] == [(20, 28), (28, 36)]
    window.actions_by_name["merge"].trigger()
    assert [(s.start, s.stop) for s in doc.segments][0] == (20, 36)
    window.actions_by_name["delete"].trigger()
    assert len(doc.segments) == 1 and len(window.timeline._regions) == 1


def test_infill_job_runs_to_a_candidate_and_accepts(window: MainWindow, files, qtbot) -> None:
    window.files.open_paths([files["session"]])
    wait_idle(qtbot, window)
    doc = window.doc
    doc.select(doc.segments[0].id)
    before = doc.reconstruction
    window.actions_by_name["infill"].trigger()
    assert window.job_bar.busy
    wait_idle(qtbot, window)
    assert doc.candidate is not None and doc.previewing_candidate
    assert window.backend.infill_label in doc.candidate_label
    assert window.candidate_bar.isVisibleTo(window)
    b_before, b_after = before.people[1], doc.candidate.people[1]
    assert not np.allclose(b_before.body_pose[20:36], b_after.body_pose[20:36])  # it changed the segment
    assert np.array_equal(b_before.body_pose[:18], b_after.body_pose[:18])  # and nothing outside it
    assert np.array_equal(before.people[0].body_pose, doc.candidate.people[0].body_pose)  # nor person A
    window.actions_by_name["show_after"].trigger()
    assert not doc.previewing_candidate
    window.actions_by_name["accept"].trigger()
    assert doc.reconstruction is not before and doc.candidate is None and not window.candidate_bar.isVisibleTo(window)
    doc.undo_stack.undo()
    assert doc.reconstruction is before and doc.candidate is not None


def test_cancel_a_job_midway(window: MainWindow, files, qtbot) -> None:
    window.files.open_paths([files["session"]])
    wait_idle(qtbot, window)
    doc = window.doc
    doc.select(doc.segments[0].id)
    seen: list[float] = []
    window.backend = tiny_engine_backend(steps=200)  # many sampling steps: Cancel lands midway

    def on_progress(fraction: float, _msg: str) -> None:
        seen.append(fraction)
        window.job_bar.cancel()  # press Cancel after the first step reported
    window.actions_by_name["infill"].trigger()
    job = window.job_bar.job
    job.progress.connect(on_progress)
    cancelled = []
    job.cancelled.connect(lambda: cancelled.append(True))
    qtbot.waitUntil(lambda: bool(seen), timeout=20000)
    assert not window.job_bar.busy and not window.job_bar.isVisible()  # freed at once, not at the next check
    assert "cancelled" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: bool(cancelled), timeout=20000)  # the work itself stops at its next check
    assert doc.candidate is None and max(seen) < 1.0


def test_save_and_reopen_session(window: MainWindow, files, qtbot, tmp_path: Path) -> None:
    window.files.open_paths([files["session"]])
    wait_idle(qtbot, window)
    doc = window.doc
    doc.set_description(doc.segments[1].id, "B turns away")
    doc.add_segment(2, 8, "A")
    doc.swap_identities(50)
    assert doc.is_modified
    out = tmp_path / "edited.smsession"
    window.files.save_to(out)
    wait_idle(qtbot, window)
    assert not doc.is_modified and doc.session_path == out and "edited" in window.windowTitle()
    expected = doc.to_session()
    assert load_session(out).equals(expected)
    window.doc.load(make_reconstruction(NUM_FRAMES))  # something else in between
    window.files.open_paths([out])
    wait_idle(qtbot, window)
    assert doc.to_session().equals(expected)
    assert str(out.resolve()) in window.settings.recent_files()


def test_bad_file_gives_an_error_and_keeps_the_session(window: MainWindow, files, qtbot, tmp_path: Path) -> None:
    window.files.open_paths([files["session"]])
    wait_idle(qtbot, window)
    before = window.doc.to_session()
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"not a zip at all")
    window.files.open_paths([bad])
    wait_idle(qtbot, window)
    assert "broken.npz" in window.last_error
    assert window.doc.to_session().equals(before)


def test_regenerate_description_with_the_installed_backend(window: MainWindow, files, qtbot) -> None:
    window.files.open_paths([files["session"]])
    wait_idle(qtbot, window)
    doc = window.doc
    seg = doc.segments[0]
    doc.select(seg.id)
    button = window.description.regenerate
    if window.describer is None:
        assert not button.isEnabled() and button.toolTip().startswith("Disabled:")
        pytest.skip("no description backend installed")
    assert button.isEnabled()
    button.click()
    wait_idle(qtbot, window, timeout=60000)
    latest = doc.segment(seg.id).latest
    assert not latest.by_user and latest.author == window.describer.author and latest.text
    assert window.description.editor.toPlainText() == latest.text
    assert len(doc.segment(seg.id).history) == len(seg.history) + 1
    doc.undo_stack.undo()
    assert doc.segment(seg.id).history == seg.history


def test_ctrl_z_in_the_text_box_undoes_through_the_document(window: MainWindow, files, qtbot) -> None:
    window.files.open_paths([files["session"]])
    wait_idle(qtbot, window)
    doc = window.doc
    seg = doc.segments[0]
    doc.select(seg.id)
    editor = window.description.editor
    editor.setFocus()
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(editor, " Slowly")
    assert doc.segment(seg.id).description.endswith("Slowly") and doc.undo_stack.count() == 1
    qtbot.keyClick(editor, Qt.Key_Z, Qt.ControlModifier)
    assert doc.segment(seg.id).history == seg.history and editor.toPlainText() == seg.description
    qtbot.keyClick(editor, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert doc.segment(seg.id).description.endswith("Slowly")
    typed = editor.toPlainText()
    qtbot.keyClick(editor, Qt.Key_Space)  # typing a space goes into the text, it does not start playback
    assert not window.playback.playing and len(editor.toPlainText()) == len(typed) + 1


def test_export_npz_and_other_formats(window: MainWindow, files, qtbot, tmp_path: Path) -> None:
    window.files.open_paths([files["session"]])
    wait_idle(qtbot, window)
    out = tmp_path / "out.npz"
    window.files.export_to(out, "npz")
    wait_idle(qtbot, window)
    assert load_reconstruction(out).equals(window.doc.reconstruction)
    formats = window.files.extra_export_formats()
    if "bvh" in formats:  # the exporters of inference.export, through the same job machinery
        window.files.export_to(tmp_path / "out.bvh", "bvh")
        wait_idle(qtbot, window, timeout=60000)
        assert list(tmp_path.glob("out*.bvh")), window.last_error


def test_drop_video_and_motion_opens_both(window: MainWindow, files, qtbot) -> None:
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(files["npz"])), QUrl.fromLocalFile(str(files["video"]))])
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(event)
    wait_idle(qtbot, window)
    assert window.video is not None and window.doc.reconstruction is not None
    assert window.doc.video_path == files["video"]


def test_log_panel_shows_worker_messages_and_recent_menu(window: MainWindow, files, qtbot) -> None:
    window.files.open_paths([files["session"]])
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: "job finished: Opening start.smsession" in window.log_panel.toPlainText(), timeout=5000)
    window._fill_recent_menu()
    entries = [a.text() for a in window.recent_menu.actions()]
    assert str(files["session"].resolve()) in entries


def test_autosave_writes_recovery_and_restore_brings_it_back(window: MainWindow, files, qtbot, tmp_path: Path) -> None:
    window.files.open_paths([files["session"]])
    wait_idle(qtbot, window)
    doc = window.doc
    recovery = window.autosave.path
    window.autosave.save_now()
    assert not recovery.exists()  # nothing unsaved yet
    doc.add_segment(1, 5, "A")
    doc.set_description(doc.segments[0].id, "typed before the crash")
    window.autosave.save_now()
    qtbot.waitUntil(recovery.is_file, timeout=10000)
    qtbot.waitUntil(lambda: window.autosave._job is None, timeout=10000)
    expected = doc.to_session()
    assert load_session(recovery).equals(expected)

    other = MainWindow(window.settings, backend=window.backend, recovery_path=tmp_path / "other-recovery.smsession")
    other.confirm_close = False
    qtbot.addWidget(other)
    try:
        other.files.restore(recovery)
        qtbot.waitUntil(lambda: not other.job_bar.busy and other.doc.reconstruction is not None, timeout=20000)
        assert other.doc.to_session().equals(expected)
        assert other.doc.is_modified and other.doc.session_path is None and other.video is not None
    finally:
        other.shutdown()

    window.files.save_to(tmp_path / "saved.smsession")  # saved for real: the recovery file goes away
    wait_idle(qtbot, window)
    assert not recovery.exists()


def test_shortcut_help_lists_the_bound_keys(window: MainWindow) -> None:
    table = dict(window.shortcut_table())
    assert table["Space"] == "Play/Pause" and table["J"] == "Shuttle backward" and table["Down"] == "Next segment"
    assert any(k.startswith("Ctrl+S") for k in table) and "Shift+Left" in table


def test_3d_view_renders_meshes_when_paused_and_follows_the_orbit(window: MainWindow, files, qtbot) -> None:
    window.files.open_paths([files["session"]])
    wait_idle(qtbot, window)
    view = window.orbit_view
    qtbot.waitUntil(lambda: view.mesh_image is not None, timeout=30000)
    first = view.mesh_image
    view._set_orbit(yaw=view.orbit.yaw + 90)  # what a mouse drag does
    qtbot.waitUntil(lambda: window.pipeline.last_overlay_request.orbit == view.orbit
                    and view.mesh_image is not first, timeout=30000)
    a, b = _image_array(first), _image_array(view.mesh_image)
    assert a.shape == b.shape and (np.abs(a.astype(int) - b).sum(-1) > 30).sum() > 200  # the view turned


def test_playhead_drag_opacity_and_person_toggles(window: MainWindow, files, qtbot) -> None:
    window.files.open_paths([files["session"]])
    wait_idle(qtbot, window)
    window.timeline.playheads[0].setValue(12.4)  # dragging the playhead scrubs the document
    assert window.doc.frame == 12
    assert window.timeline.playheads[1].value() == 12  # and the other plot's playhead follows the model

    def composite_for(**style) -> np.ndarray:
        qtbot.waitUntil(lambda: window.video_view.composited and window.video_view.frame_index == 12
                        and all(getattr(window.pipeline.last_overlay_request.style, k) == v
                                for k, v in style.items()), timeout=30000)
        return _image_array(window.video_view.frame_image).astype(int)

    window.opacity_slider.setValue(100)
    opaque = composite_for(opacity=1.0)
    window.opacity_slider.setValue(30)
    faint = composite_for(opacity=0.3)
    raw = window.pipeline.last_decoded.rgb.astype(int)
    assert np.abs(faint - raw).sum() < 0.6 * np.abs(opaque - raw).sum()
    window.person_checks["B"].setChecked(False)
    only_a = composite_for(visible=(True, False))
    assert 0 < np.abs(only_a - raw).sum() < np.abs(faint - raw).sum()

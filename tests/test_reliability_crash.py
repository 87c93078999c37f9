"""Crash recovery for real: the app process itself is started, edited through its own actions, killed with
SIGKILL mid-editing, and the start-up recovery code must bring back exactly what was autosaved last.

How the real process is driven: ``sm-studio open SESSION --exec-script SCRIPT`` runs a Python file inside the app
(a documented automation option, like Blender's ``--python``). The script below triggers the window's actions
(add segment, split, swap A/B) and the document's description edit — the same undo-stack commands the keyboard and
widgets use — one edit every 120 ms, and after each edit writes the in-memory session as ground truth
(``state-<undo index>``). The app logs ``autosaved undo step N`` when a recovery write has finished; the test kills
the process while edits keep coming and checks that the recovery file equals a ground-truth state at least as recent
as the last logged autosave (a write may complete just before the kill without its log line getting out).
Then the app is started again for real: a second script answers the start-up question "Restore unsaved work?"
with Yes, saves what the window then holds, and closes normally — which must remove the recovery file.
Settings and the data folder are isolated with ``XDG_CONFIG_HOME``/``XDG_DATA_HOME``; the autosave interval is the
real ``autosave/intervalSeconds`` preference written into the isolated settings file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from inference.session import Session, load_session, save_session
from sm_studio.autosave import find_recovery

from app_process import App
from app_support import make_reconstruction, make_segments

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[1]

EDITING_SCRIPT = r'''
import sys
from pathlib import Path
from PySide6.QtCore import QTimer
from inference.session import save_session

OUT = Path(sys_out_dir)
w = window
doc = w.doc
state = {"step": 0}

def edit(step):
    doc.set_frame((3 + 4 * step) % 50)
    kind = step % 4
    if kind == 0:
        w.actions_by_name["add_segment"].trigger()
    elif kind == 1 and doc.selected_segment is not None:
        seg = doc.selected_segment
        doc.set_frame((seg.start + seg.stop) // 2)
        w.actions_by_name["split"].trigger()
    elif kind == 2:
        w.actions_by_name["swap"].trigger()
    else:
        seg = doc.segments[0]
        doc.set_description(seg.id, f"edit {step}: A holds B's shoulder")
        doc.end_typing()

def tick():
    if doc.reconstruction is None or w.job_bar.busy:
        return  # the session is still opening
    if state["step"] == 0:
        print(f"RECOVERY {w.autosave.path}", flush=True)
    if state["step"] >= max_edits:
        return
    edit(state["step"])
    state["step"] += 1
    index = doc.undo_stack.index()
    save_session(doc.to_session(), OUT / f"state-{index}.smsession")
    print(f"EDIT {state['step']} index={index}", flush=True)

timer = QTimer(w)
timer.timeout.connect(tick)
timer.start(120)
'''

RESTORING_SCRIPT = r'''
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox
from inference.session import save_session

def answer():  # runs inside the start-up question's event loop
    box = app.activeModalWidget()
    if not isinstance(box, QMessageBox):
        QTimer.singleShot(50, answer)
        return
    print("ASKED " + box.text().replace("\\n", " "), flush=True)
    box.button(QMessageBox.Yes).click()
    QTimer.singleShot(50, restored)

def restored():
    if window.doc.reconstruction is None or window.job_bar.busy:
        QTimer.singleShot(50, restored)
        return
    save_session(window.doc.to_session(), Path(sys_out_dir) / "restored.smsession")
    print(f"RESTORED modified={window.doc.is_modified}", flush=True)
    window.confirm_close = False  # the user closes and confirms "discard"
    window.close()

answer()
'''


@pytest.fixture
def session_file(tmp_path: Path) -> Path:
    path = tmp_path / "work.smsession"
    save_session(Session(make_reconstruction(60), segments=make_segments()), path)
    return path


def test_kill_9_mid_editing_then_restart_offers_the_last_autosave(tmp_path: Path, session_file: Path) -> None:
    saved_bytes = session_file.read_bytes()
    app = App(tmp_path, [session_file], EDITING_SCRIPT, max_edits=200)
    try:
        app.wait_for(lambda: len(app.autosaved()) >= 2 and app.edits() >= app.autosaved()[-1] + 2)
    finally:
        app.kill()  # SIGKILL while edits keep coming: no chance to clean up
    assert app.proc.returncode == -signal.SIGKILL
    last_logged, edits_done = app.autosaved()[-1], app.edits()
    recovery = app.recovery_path()
    assert recovery.is_relative_to(tmp_path / "data")  # the app's data folder, not the session's

    offer = find_recovery(recovery)  # what the next start calls before asking "Restore unsaved work?"
    assert offer is not None and "did not close normally" in offer.question()
    assert not list(recovery.parent.glob(".recovery*.tmp*"))  # an interrupted write left nothing behind
    matches = [n for n in range(1, edits_done + 1)
               if (app.out / f"state-{n}.smsession").is_file()
               and offer.session.equals(load_session(app.out / f"state-{n}.smsession"))]
    assert matches, "the recovered session equals none of the states the app went through"
    assert last_logged <= matches[0] <= edits_done
    assert not offer.session.equals(load_session(session_file))  # the edits are in it
    assert session_file.read_bytes() == saved_bytes  # the user's own file was never touched by autosave

    # the real next start: the app asks, the user says Yes, the window holds the recovered work (unsaved);
    # then the user closes normally, and the recovery file is gone
    again = App(tmp_path, [], RESTORING_SCRIPT)
    try:
        again.wait_for(lambda: again.said("RESTORED"))
        assert again.proc.wait(60) == 0
    finally:
        again.kill()
    assert any("did not close normally" in line for line in again.lines if line.startswith("ASKED"))
    assert "RESTORED modified=True" in again.lines
    assert load_session(app.out / "restored.smsession").equals(offer.session)
    assert not recovery.exists() and find_recovery(recovery) is None


def test_interrupted_write_and_unreadable_recovery_are_handled(tmp_path: Path) -> None:
    """A kill during the rename-into-place leaves a temporary file; a damaged recovery file is kept aside."""
    recovery = tmp_path / "recovery.smsession"
    save_session(Session(make_reconstruction(30)), recovery)
    stray = tmp_path / ".recovery.smsession.ab12cd.tmp.smsession"
    stray.write_bytes(b"PK\x03\x04 half a zip")
    offer = find_recovery(recovery)
    assert offer is not None and offer.session.equals(Session(make_reconstruction(30)))
    assert not stray.exists() and recovery.is_file()

    recovery.write_bytes(b"not a zip at all")
    assert find_recovery(recovery) is None
    aside = list(tmp_path.glob("recovery.smsession.*.unreadable"))
    assert len(aside) == 1 and aside[0].read_bytes() == b"not a zip at all" and not recovery.exists()


CHILD_INSTANCE = r'''
import os, sys
from pathlib import Path
from PySide6.QtCore import QCoreApplication
sys.path.insert(0, "tests")
from app_support import make_reconstruction
from sm_studio.autosave import Autosave
from sm_studio.document import Document

app = QCoreApplication([])
doc = Document()
doc.load(make_reconstruction(30))
autosave = Autosave(doc, Path(sys.argv[1]), interval_ms=3_600_000)
doc.add_segment(3, 9, "B")
autosave.save_now()
autosave._pool.waitForDone()
app.processEvents()
print(autosave.path, flush=True)
sys.stdin.readline()  # runs until the test says; then dies without any clean-up
os.kill(os.getpid(), 9)
'''


def test_two_instances_never_share_or_take_each_others_recovery_file(tmp_path: Path, qtbot) -> None:
    """A second window of the app (another process) autosaves beside the first; neither offers, overwrites or
    deletes the other's file while it runs; when the other dies, its work is offered and, once taken over,
    removed only after this instance's own file holds it."""
    from sm_studio.autosave import Autosave
    from sm_studio.document import Document

    family = tmp_path / "recovery.smsession"
    other = subprocess.Popen([sys.executable, "-c", CHILD_INSTANCE, str(family)], cwd=ROOT, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    try:
        other_path = Path(other.stdout.readline().strip())
        assert other_path == family and family.is_file()  # the first instance owns the plain name
        doc = Document()
        mine = Autosave(doc, family, interval_ms=3_600_000)
        assert mine.path != family and mine.path.parent == tmp_path  # beside it, its own
        assert mine.find_recovery() is None  # the other one is alive: its file is not ours to offer
        doc.load(make_reconstruction(20))
        doc.add_segment(1, 4, "A")
        mine.save_now()
        qtbot.waitUntil(lambda: mine.path.is_file() and mine._job is None, timeout=10000)
        assert load_session(family).current.num_frames == 30  # the other's file untouched
    finally:
        other.communicate("die\n", timeout=30)  # SIGKILL, no clean-up
    offer = find_recovery(family)  # as a start now sees it: the dead instance's file (ours is locked by us)
    assert offer is not None and offer.path == family and offer.session.current.num_frames == 30
    doc.load_session(offer.session)  # restored into this window…
    doc.undo_stack.resetClean()
    mine.retire(offer.path)
    qtbot.waitUntil(lambda: mine._job is None, timeout=10000)
    assert not family.exists()  # …and the dead instance's file went once ours held the work
    assert load_session(mine.path).equals(offer.session)
    mine.stop()
    mine.discard()
    assert not mine.path.exists() and not list(tmp_path.glob("*.lock"))


def test_undo_then_a_different_edit_is_autosaved(tmp_path: Path, qtbot) -> None:
    """The undo index repeats after undo + another edit; the recovery file must still get the new edit."""
    from sm_studio.autosave import Autosave
    from sm_studio.document import Document

    doc = Document()
    doc.load(make_reconstruction(30))
    autosave = Autosave(doc, tmp_path / "recovery.smsession", interval_ms=3_600_000)

    def write() -> Session:
        autosave.save_now()
        qtbot.waitUntil(lambda: autosave._job is None, timeout=10000)
        return load_session(autosave.path)
    doc.add_segment(2, 6, "A")
    assert write().equals(doc.to_session())
    doc.undo_stack.undo()
    doc.add_segment(10, 20, "B")  # same undo index as the first edit, different work
    assert write().equals(doc.to_session())
    autosave.stop()

"""Crash recovery for real: the app process itself is started, edited through its own actions, killed with
SIGKILL mid-editing, and the start-up recovery code must bring back exactly what was autosaved last.

How the real process is driven: ``sm-studio open SESSION --exec-script SCRIPT`` runs a Python file inside the app
(a documented automation option, like Blender's ``--python``). The script below triggers the window's actions
(add segment, split, swap A/B) and the document's description edit — the same undo-stack commands the keyboard and
widgets use — one edit every 120 ms, and after each edit writes the in-memory session as ground truth
(``state-<undo index>``). The app logs ``autosaved undo step N`` when a recovery write has finished; the test kills
the process while edits keep coming and checks that the recovery file equals a ground-truth state at least as recent
as the last logged autosave (a write may complete just before the kill without its log line getting out).
Settings and the data folder are isolated with ``XDG_CONFIG_HOME``/``XDG_DATA_HOME``; the autosave interval is the
real ``autosave/intervalSeconds`` preference written into the isolated settings file.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from inference.session import Session, load_session, save_session
from sm_studio.autosave import find_recovery

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
    if close_after is not None and state["step"] == close_after:
        QTimer.singleShot(close_wait_ms, close)

def close():
    w.confirm_close = False  # the user confirmed "discard" in the dialog
    w.close()

timer = QTimer(w)
timer.timeout.connect(tick)
timer.start(120)
'''


class App:
    """The real app as a child process, its output (stdout + stderr) collected line by line in a thread."""

    def __init__(self, tmp: Path, session: Path, max_edits: int, close_after: "int | None" = None,
                 close_wait_ms: int = 0, interval_s: float = 0.3) -> None:
        self.out = tmp / "states"
        self.out.mkdir(exist_ok=True)
        config = tmp / "config" / "SM Studio"
        config.mkdir(parents=True, exist_ok=True)
        (config / "SM Studio.conf").write_text(f"[autosave]\nintervalSeconds={interval_s}\n")
        script = tmp / "edits.py"
        script.write_text(f"sys_out_dir = {str(self.out)!r}\nmax_edits = {max_edits}\n"
                          f"close_after = {close_after!r}\nclose_wait_ms = {close_wait_ms}\n" + EDITING_SCRIPT)
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp / "config"),
                   XDG_DATA_HOME=str(tmp / "data"), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "sm_studio", "-v", "open", str(session),
                                      "--exec-script", str(script)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, condition, timeout: float = 60.0) -> None:
        end = time.monotonic() + timeout
        while not condition():
            if self.proc.poll() is not None and not self._reader.is_alive():
                raise AssertionError("the app exited early:\n" + "\n".join(self.lines[-40:]))
            if time.monotonic() > end:
                raise AssertionError("timed out; app output:\n" + "\n".join(self.lines[-40:]))
            time.sleep(0.02)

    def autosaved(self) -> list[int]:
        return [int(m.group(1)) for line in list(self.lines) if (m := re.search(r"autosaved undo step (\d+)", line))]

    def edits(self) -> int:
        return sum(line.startswith("EDIT ") for line in list(self.lines))

    def recovery_path(self) -> Path:
        return Path(next(line[len("RECOVERY "):] for line in self.lines if line.startswith("RECOVERY ")))

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._reader.join(5)


@pytest.fixture
def session_file(tmp_path: Path) -> Path:
    path = tmp_path / "work.smsession"
    save_session(Session(make_reconstruction(60), segments=make_segments()), path)
    return path


def test_kill_9_mid_editing_then_restart_offers_the_last_autosave(tmp_path: Path, session_file: Path) -> None:
    saved_bytes = session_file.read_bytes()
    app = App(tmp_path, session_file, max_edits=200)
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


def test_normal_close_removes_the_recovery_file(tmp_path: Path, session_file: Path) -> None:
    app = App(tmp_path, session_file, max_edits=3, close_after=3, close_wait_ms=600)
    try:
        app.wait_for(lambda: any(n >= 3 for n in app.autosaved()))
        recovery = app.recovery_path()
        assert recovery.is_file()  # autosaved while the app ran…
        assert app.proc.wait(30) == 0
    finally:
        app.kill()
    assert not recovery.exists()  # …and gone after the confirmed close
    assert find_recovery(recovery) is None


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

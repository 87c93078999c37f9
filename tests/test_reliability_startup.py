"""The app always starts: with a recovery file that fails to read in any way, and with a data folder where nothing
can be written (read-only, full). Each runs the real app process with its own data folder; the user is told what
happened (a moved-aside file, "Autosave off") instead of the app exiting."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from inference.session import Session, save_session

from app_process import App
from app_support import make_reconstruction
from disk_support import fill_up, small_tmpfs

pytestmark = pytest.mark.gui

REPORT_SCRIPT = r'''
from PySide6.QtCore import QTimer

def report():
    print("STARTED", flush=True)
    print("AUTOSAVE_OFF " + window.autosave.off_reason, flush=True)
    print("LABEL " + (window.autosave_label.text() if window.autosave_label.isVisible() else ""), flush=True)
    print("STATUS " + window.statusBar().currentMessage(), flush=True)
    window.doc.swap_identities(3)  # an edit: autosave (off or failing) must not disturb it
    window.autosave.save_now()
    QTimer.singleShot(300, finish)

def finish():
    print(f"MODIFIED {window.doc.is_modified}", flush=True)
    window.confirm_close = False
    window.close()

QTimer.singleShot(100, report)
'''


def _data_folder(tmp: Path) -> Path:
    folder = tmp / "data" / "SM Studio" / "SM Studio"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _run(tmp: Path, work: Path) -> App:
    app = App(tmp, [work], REPORT_SCRIPT)
    app.wait_for(lambda: app.said("MODIFIED"), timeout=90)
    app.proc.wait(30)
    return app


def _line(app: App, word: str) -> str:
    return next(line[len(word) + 1:] for line in app.lines if line.startswith(word + " "))


@pytest.fixture
def work(tmp_path: Path) -> Path:
    path = tmp_path / "work.smsession"
    save_session(Session(make_reconstruction(30)), path)
    return path


def _hostile_recovery(path: Path, work: Path) -> None:
    """A recovery file whose manifest has ``segments: [1]`` (an AttributeError, not a SessionError, before)."""
    with zipfile.ZipFile(work) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["manifest.json"] = parts["manifest.json"].replace(b'"segments": []', b'"segments": [1]')
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in parts.items():
            zf.writestr(name, content)


def test_starts_with_unreadable_recovery_files(tmp_path: Path, work: Path) -> None:
    """Three dead instances' recovery files, each unreadable in another way: ``segments: [1]``, garbage, JSON
    nested 50,000 deep; all are moved aside with a message and the app starts."""
    folder = _data_folder(tmp_path)
    _hostile_recovery(folder / "recovery.smsession", work)
    (folder / "recovery-1111.smsession").write_bytes(b"PK\x03\x04" + b"\xff" * 300)
    with zipfile.ZipFile(folder / "recovery-2222.smsession", "w") as zf:
        zf.writestr("manifest.json", "[" * 50_000 + "]" * 50_000)
    app = _run(tmp_path, work)
    assert app.proc.returncode == 0, "\n".join(app.lines[-30:])
    aside = sorted(folder.glob("recovery*.smsession.*.unreadable"))
    assert len(aside) == 3 and not list(folder.glob("recovery*.smsession"))
    assert all(str(a) in _line(app, "STATUS") for a in aside) and "could not be read" in _line(app, "STATUS")
    assert _line(app, "AUTOSAVE_OFF") == "" and _line(app, "MODIFIED") == "True"


@pytest.mark.parametrize("kind", ["full", "read-only"])
def test_starts_with_a_full_or_read_only_data_folder(tmp_path: Path, work: Path, kind: str) -> None:
    """A real small tmpfs as the data folder, filled up or mounted read-only (needs permission to mount)."""
    with small_tmpfs(tmp_path / "data" / "SM Studio", "64k", "ro" if kind == "read-only" else "nr_inodes=16") \
            as point:
        if kind == "full":
            fill_up(point)
            for n in range(64):  # and every inode (the mount has 16)
                try:
                    (point / f"i{n}").touch()
                except OSError:
                    break
        app = _run(tmp_path, work)
        assert app.proc.returncode == 0, "\n".join(app.lines[-30:])
        assert "cannot write recovery files" in _line(app, "AUTOSAVE_OFF")
        assert _line(app, "LABEL") == "Autosave off"
        assert "Autosave is off" in _line(app, "STATUS")
        assert _line(app, "MODIFIED") == "True"

"""Faults met for real in the real window (offscreen): failing and out-of-memory jobs, CUDA missing or full, bad
files opened, a disk that fills up during a save. Each must show a clear error, keep the session exactly as it
was, and leave the app working."""

from __future__ import annotations

import errno
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import inference.io.atomic as atomic
from inference.engine.baselines import interpolate_segment
from inference.io.npz import reconstruction_arrays
from inference.session import Session, load_session, save_session
from sm_studio.main_window import MainWindow
from sm_studio.motion_backends import MotionBackend

from app_support import make_reconstruction, make_segments, open_test_window, wait_idle, write_video
from disk_support import fill_up, small_tmpfs

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def window(qtbot, tmp_path: Path):
    w = open_test_window(qtbot, tmp_path)
    w.show()
    video = write_video(tmp_path / "clip.avi", 60)
    session = tmp_path / "start.smsession"
    save_session(Session(make_reconstruction(60), segments=make_segments(), video_path=str(video)), session)
    w.files.open_paths([session])
    wait_idle(qtbot, w, timeout=30000)
    w.doc.add_segment(2, 8, "A")  # unsaved work that a fault must not touch
    w.doc.select(w.doc.segments[0].id)
    yield w
    w.shutdown()


def _infill(w: MainWindow, qtbot) -> None:
    w.last_error = ""
    w.actions_by_name["infill"].trigger()
    wait_idle(qtbot, w, timeout=30000)


FAULTS = [RuntimeError("the sampler diverged"), MemoryError("cannot allocate 96 GB"),
          torch.cuda.OutOfMemoryError("CUDA out of memory (raised on the CPU path: nothing to fall back to)"),
          SystemExit("a plug-in called sys.exit(3)")]


def test_failing_job_leaves_the_session_and_the_app_working(window: MainWindow, qtbot) -> None:
    before, path, undo_index = window.doc.to_session(), window.doc.video_path, window.doc.undo_stack.index()
    working, doc = window.backend, window.doc
    for fault in FAULTS:
        def broken(*_args, fault=fault, **_kwargs):
            raise fault
        window.backend = MotionBackend(broken, broken, "broken (test)", "broken (test)")
        _infill(window, qtbot)
        assert type(fault).__name__ in window.last_error and str(fault) in window.last_error
        assert "The motion is unchanged" in window.last_error
        window.last_error = ""
        window.actions_by_name["refine"].trigger()
        wait_idle(qtbot, window, timeout=30000)
        assert str(fault) in window.last_error
        assert doc.to_session().equals(before) and doc.video_path == path and doc.undo_stack.index() == undo_index
        assert doc.candidate is None and doc.is_modified

    window.backend = working  # the app keeps working: the next job runs to a candidate, edits still go through
    _infill(window, qtbot)
    assert window.last_error == "" and doc.candidate is not None
    window.actions_by_name["accept"].trigger()
    assert not doc.reconstruction.equals(before.current)
    doc.undo_stack.undo()
    assert doc.to_session().equals(before)


def test_cuda_out_of_memory_reruns_the_job_on_the_cpu(window: MainWindow, qtbot, monkeypatch, caplog) -> None:
    """A GPU that runs out of memory mid-job: the result comes from a CPU rerun, with a notice, not an error."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # this machine has none; the job acts as one
    devices: list[str] = []

    def infill(recon, seg, _text, progress, _cancel, device="cpu", **_constraints):
        devices.append(device)
        progress(0.5, f"sampling on {device}")
        if device != "cpu":
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return interpolate_segment(recon, seg)
    window.backend = MotionBackend(infill, None, "test infiller")
    window.settings.set_device("cuda")
    caplog.set_level(logging.WARNING, "sm_studio.motion_backends")
    _infill(window, qtbot)
    assert devices == ["cuda", "cpu"]
    assert window.last_error == "" and window.doc.candidate is not None
    assert "running the job again on the CPU" in caplog.text


def test_cuda_unavailable_runs_on_the_cpu_with_a_notice(window: MainWindow, qtbot, monkeypatch, caplog) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    devices: list[str] = []

    def refine(recon, _segs, _progress, _cancel, device="cpu", **_constraints):
        devices.append(device)
        return interpolate_segment(recon, make_segments()[0])
    window.backend = MotionBackend(None, refine, "", "test refiner")
    window.settings.set_device("cuda")
    caplog.set_level(logging.WARNING, "sm_studio.motion_backends")
    window.actions_by_name["refine"].trigger()
    wait_idle(qtbot, window, timeout=30000)
    assert devices == ["cpu"] and window.doc.candidate is not None
    assert "CUDA is not available" in caplog.text


def _bad_npz_with_nan(path: Path) -> Path:
    arrays = reconstruction_arrays(make_reconstruction(60))
    arrays["B_body_pose"] = arrays["B_body_pose"].copy()
    arrays["B_body_pose"][30, 13] = np.nan
    np.savez(path, **arrays)
    return path


def _written(data: bytes):
    def make(path: Path) -> Path:
        path.write_bytes(data)
        return path
    return make


@pytest.mark.parametrize("name,make,expect", [
    ("empty.mp4", _written(b""), "empty.mp4"),
    ("garbage.mp4", _written(bytes(range(256)) * 400), "garbage.mp4"),
    ("nan.npz", _bad_npz_with_nan, "B_body_pose"),
])
def test_bad_file_shows_a_clear_error_and_loses_nothing(window: MainWindow, qtbot, tmp_path: Path, name, make,
                                                        expect) -> None:
    before, video, index = window.doc.to_session(), window.video, window.doc.undo_stack.index()
    bad = make(tmp_path / name)
    window.files.open_paths([bad])
    wait_idle(qtbot, window, timeout=30000)
    assert name in window.last_error and expect in window.last_error, window.last_error
    assert window.doc.to_session().equals(before) and window.video == video
    assert window.doc.undo_stack.index() == index and window.doc.is_modified


def _write_half_then_fail(real_open):
    """``open`` for the atomic writer whose files take half of what is written, then report a full disk."""
    class FillingUp:
        def __init__(self, handle) -> None:
            self._h = handle

        def write(self, data: bytes) -> int:
            self._h.write(data[: len(data) // 2])
            self._h.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self._h.close()

    return lambda path, mode="r", *a, **k: FillingUp(real_open(path, mode, *a, **k)) if "w" in mode \
        else real_open(path, mode, *a, **k)


def test_disk_full_during_save_keeps_the_previous_file(window: MainWindow, qtbot, tmp_path: Path,
                                                       monkeypatch) -> None:
    target = tmp_path / "work.smsession"
    window.files.save_to(target)
    wait_idle(qtbot, window, timeout=30000)
    previous = target.read_bytes()
    window.doc.swap_identities(40)
    unsaved = window.doc.to_session()
    monkeypatch.setattr(atomic, "open", _write_half_then_fail(open), raising=False)
    window.files.save_to(target)
    wait_idle(qtbot, window, timeout=30000)
    monkeypatch.undo()
    assert "No space left on device" in window.last_error and "disk full" in window.last_error
    assert target.read_bytes() == previous and not list(tmp_path.glob(".work.smsession*"))
    assert window.doc.is_modified and window.doc.to_session().equals(unsaved)  # still open, still unsaved
    monkeypatch.setattr(atomic, "open", _write_half_then_fail(open), raising=False)
    window.autosave.save_now()  # the background recovery write meets the full disk too: the user is told
    qtbot.waitUntil(lambda: "Autosave failed" in window.statusBar().currentMessage(), timeout=10000)
    assert "No space left" in window.statusBar().currentMessage() and not window.autosave.path.exists()
    monkeypatch.undo()
    window.files.save_to(target)  # space again: the same save now works
    wait_idle(qtbot, window, timeout=30000)
    assert load_session(target).equals(unsaved) and not window.doc.is_modified


def test_disk_full_on_a_real_small_filesystem(window: MainWindow, qtbot, tmp_path: Path) -> None:
    """The same on a real full disk: a small tmpfs, filled up after the first save (needs permission to mount)."""
    with small_tmpfs(tmp_path / "small", "8m") as mount:
        target = mount / "work.smsession"
        window.files.save_to(target)
        wait_idle(qtbot, window, timeout=30000)
        previous = target.read_bytes()
        fill_up(mount)
        window.doc.swap_identities(40)
        window.files.save_to(target)
        wait_idle(qtbot, window, timeout=30000)
        assert "No space left on device" in window.last_error
        assert target.read_bytes() == previous
        assert sorted(p.name for p in mount.iterdir()) == ["filler", "work.smsession"]  # no temporary file left
        assert window.doc.is_modified


def test_body_model_dir_without_model_files(tmp_path: Path) -> None:
    from inference.body import BodyModelError, load_body_model

    empty = tmp_path / "smplx-empty"
    empty.mkdir()
    with pytest.raises(BodyModelError, match="SMPLX_NEUTRAL"):
        load_body_model(empty)
    corrupt = tmp_path / "smplx-corrupt"
    corrupt.mkdir()
    (corrupt / "SMPLX_NEUTRAL.npz").write_bytes(b"PK\x03\x04 truncated download")
    with pytest.raises(BodyModelError, match="SMPLX_NEUTRAL"):
        load_body_model(corrupt)

    motion = tmp_path / "motion.npz"
    np.savez(motion, **reconstruction_arrays(make_reconstruction(10)))
    out = tmp_path / "out.glb"
    run = subprocess.run([sys.executable, "-m", "sm_studio", "--body-model-dir", str(corrupt), "export",
                          str(motion), str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    assert "SMPLX_NEUTRAL" in run.stderr and str(corrupt) in run.stderr and "Traceback" not in run.stderr
    assert not out.exists()

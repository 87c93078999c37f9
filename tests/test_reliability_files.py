"""Saves and the command line's errors, for real: a save through a symbolic link writes the file it points to,
temporary files a killed writer left are removed by the next save, and whatever goes wrong in a command reaches
the user as one sentence (``-v`` adds the trace) — including a save to a real full disk."""

from __future__ import annotations

import os
import signal
from dataclasses import replace
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from inference.io.atomic import atomic_write
from inference.io.npz import load_reconstruction, save_reconstruction

from app_support import make_reconstruction
from disk_support import small_tmpfs

ROOT = Path(__file__).resolve().parents[1]


def test_save_through_a_symlink_writes_the_target(tmp_path: Path) -> None:
    real = tmp_path / "projects" / "take1.npz"
    real.parent.mkdir()
    save_reconstruction(make_reconstruction(10), real)
    link = tmp_path / "current.npz"
    link.symlink_to(real)
    save_reconstruction(make_reconstruction(20), link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert load_reconstruction(real).num_frames == 20


KILLED_WRITER = r"""
import sys, time
from pathlib import Path
from inference.io.atomic import atomic_path
with atomic_path(Path(sys.argv[1])) as tmp:
    tmp.write_bytes(b"half an export")
    print("WRITING", flush=True)
    time.sleep(60)
"""


def test_the_next_save_in_the_folder_removes_temporaries_of_a_killed_writer(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(target)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert writer.stdout is not None and writer.stdout.readline().strip() == "WRITING"
    live = [p for p in tmp_path.iterdir() if p.name.startswith(".out.mp4.")]
    atomic_write(tmp_path / "out.mp4", b"another run, while the first is still writing")
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".out.mp4.")] == live  # a live writer's: kept
    writer.send_signal(signal.SIGKILL)
    writer.wait(10)
    assert len(live) == 1 and live[0].exists()  # what kill -9 leaves behind
    atomic_write(tmp_path / "other.npz", b"the next run, another file in the folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.npz", "out.mp4"]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sm_studio", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_an_os_error_is_one_sentence_and_v_shows_the_trace(tmp_path: Path, capsys) -> None:
    from sm_studio.cli import main

    motion = tmp_path / "m.npz"
    save_reconstruction(make_reconstruction(10), motion)
    out = tmp_path / "missing-folder" / "out.npz"  # the folder does not exist: an OSError from the save
    assert main(["import", str(motion), "-o", str(out)]) == 1
    assert capsys.readouterr().err == f"sm-studio: error: {out}: No such file or directory\n"
    assert main(["-v", "import", str(motion), "-o", str(out)]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_an_unexpected_exception_is_one_line_naming_it(tmp_path: Path, monkeypatch, capsys) -> None:
    """A bug (here: a KeyError planted in ``info``) still reaches the user as one line; ``-v`` prints the trace."""
    import sm_studio.commands.info as info
    from sm_studio.cli import main

    def broken(path):  # type: ignore[no-untyped-def]
        raise KeyError("frontend")

    monkeypatch.setattr(info, "describe_file", broken)
    assert main(["info", str(tmp_path / "x.npz")]) == 1
    err = capsys.readouterr().err
    assert err == "sm-studio: error: internal error KeyError: 'frontend' (run with -v for the details)\n"
    assert main(["-v", "info", str(tmp_path / "x.npz")]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_cli_save_to_a_real_full_disk_is_one_sentence(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "small", "256k") as mount:
        motion = tmp_path / "m.npz"
        save_reconstruction(make_reconstruction(600), motion)  # ~0.5 MB: more than the disk holds
        run = _cli("import", str(motion), "-o", str(mount / "out.npz"))
        assert run.returncode == 1, run.stderr
        assert run.stderr == f"sm-studio: error: {mount / 'out.npz'}: No space left on device\n"
        assert list(mount.iterdir()) == []  # no temporary file left


def test_keypoints_are_stored_compactly(tmp_path: Path) -> None:
    """Per-frame detections live in one float32 array and read back as the same detections."""
    from inference.frontend.keypoints import Detection, DetectionStore

    store = DetectionStore()
    rng = np.random.default_rng(0)
    frames = [[Detection.from_landmarks(np.c_[rng.uniform(0, 100, (33, 2)), rng.uniform(0, 1, 33)])
               for _ in range(n)] for n in [2, 0, 1] * 50]
    for dets in frames:
        store.append(dets)
    assert len(store) == 150 and store._data.nbytes < 150 * 2 * 33 * 3 * 4 * 2  # doubling capacity at most
    for got, want in zip(store, frames):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.landmarks, w.landmarks, rtol=1e-6)
            np.testing.assert_allclose(g.box, w.box, rtol=1e-5)


def test_redetected_people_are_added_to_stored_frames() -> None:
    """Re-detection adds a person to a frame already stored, also to a frame whose slots are full; clothing
    colours (what tracking tells people apart by) come back as they went in."""
    from inference.frontend.keypoints import Detection, DetectionStore

    rng = np.random.default_rng(1)
    det = lambda: Detection.from_landmarks(np.c_[rng.uniform(0, 100, (33, 2)), rng.uniform(0, 1, 33)])  # noqa: E731
    store = DetectionStore(people=2)
    store.append([det()])
    store.append([det(), det()])
    extra, third = det(), replace(det(), colour=rng.uniform(0, 1, 6))
    store.add(0, extra)
    store.add(1, third)
    assert [len(store[t]) for t in range(2)] == [2, 3]
    np.testing.assert_allclose(store[0][1].landmarks, extra.landmarks, rtol=1e-6)
    np.testing.assert_allclose(store[1][2].landmarks, third.landmarks, rtol=1e-6)
    np.testing.assert_allclose(store[1][2].colour, third.colour, rtol=1e-6)
    assert store[0][1].colour is None
    with pytest.raises(IndexError):
        store.add(2, det())

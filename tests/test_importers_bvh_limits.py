"""The BVH reader is bounded: hostile files (thousands of joints, lying frame counts, a 5 MB line, absurd frame
times, FIFOs and folders named .bvh) are refused with one sentence naming the file, before anything big is
allocated — checked under a 1.5 GB address-space cap in a child process, so a regression fails this test
instead of the machine. Also: ``--frames``/``--fps`` on the command line, and a long take retargeted in slices."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from importer_files import write_family_bvh
from inference.importers.bvh_file import MAX_JOINTS, read_bvh
from inference.motion import MotionError

ROOT = Path(__file__).resolve().parents[1]
CAP = 1536 << 20


def _hierarchy(joints: int) -> str:
    """A root with one channel and ``joints - 1`` channel-less children."""
    kids = "".join(f"JOINT j{i}\n{{\nOFFSET 0 1 0\nCHANNELS 0\nEnd Site\n{{\nOFFSET 0 1 0\n}}\n}}\n"
                   for i in range(joints - 1))
    return f"HIERARCHY\nROOT Hips\n{{\nOFFSET 0 0 0\nCHANNELS 1 Xposition\n{kids}}}\n"


# name -> (file name, joints, Frames, Frame Time, motion text, what the refusal must say)
_HOSTILE = {
    # 5.4 MB: 40k joints × 1.4M frames, petabytes of forward kinematics
    "many joints": ("many_joints", 40_000, 1_400_000, "0.01", "0\n" * 1_400_000, f"more than {MAX_JOINTS} joints"),
    # 900 joints × 200k frames: each allowed, together 180M joint-frames
    "joint-frames": ("wide", 900, 200_000, "0.01", "0\n" * 200_000, "joint-frames this reader handles"),
    "lying frame count": ("liar", 2, 250_000, "0.01", "0\n0\n", "more values than its"),
    "too many frames": ("one_line", 2, 2_500_000, "0.01", "0 " * 2_700_000,
                        "Frames should be a whole number from 0 to 250000"),
    "long line": ("long_line", 2, 200_000, "0.01", "0 " * 600_000, "is longer than 1048576 characters"),
    "absurd frame time": ("tiny_frame_time", 2, 2, "1e-300", "0\n0\n", "outside 1–1000 fps"),
    "0.2 fps": ("slow", 2, 2, "5", "0\n0\n", "means 0.2 fps, outside 1–1000 fps"),
}


def _hostile_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, what the refusal must say)."""
    out = {}
    for name, (stem, joints, frames, frame_time, motion, words) in _HOSTILE.items():
        path = folder / f"{stem}.bvh"
        path.write_text(_hierarchy(joints) + f"MOTION\nFrames: {frames}\nFrame Time: {frame_time}\n" + motion)
        out[name] = (path, words)
    fifo = folder / "fifo.bvh"
    os.mkfifo(fifo)
    out["fifo"] = (fifo, "not a regular file")
    (folder / "dir.bvh").mkdir()
    out["folder"] = (folder / "dir.bvh", "not a regular file")
    return out


_CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from inference.importers.bvh_file import read_bvh
from inference.motion import MotionError
for path in sys.argv[1:]:
    try:
        read_bvh(path)
        print("ACCEPTED " + path)
    except MotionError as exc:
        print("REFUSED " + str(exc).replace(chr(10), " | "))
    status = open("/proc/self/status").read()  # VmHWM: this process's peak RSS (ru_maxrss survives exec)
    print("PEAK", int(status.split("VmHWM:")[1].split()[0]) // 1024)
"""


def test_hostile_files_are_refused_in_one_sentence_under_a_memory_cap(tmp_path):
    files = _hostile_files(tmp_path)
    run = subprocess.run([sys.executable, "-c", _CHILD.format(cap=CAP), *[str(p) for p, _ in files.values()]],
                         cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr[-2000:]
    lines = [line for line in run.stdout.splitlines() if not line.startswith("PEAK")]
    assert len(lines) == len(files)
    for (name, (path, words)), line in zip(files.items(), lines):
        assert line.startswith(f"REFUSED {path}: ") and words in line and " | " not in line, (name, line)
    peaks = [int(line.split()[1]) for line in run.stdout.splitlines() if line.startswith("PEAK")]
    assert max(peaks) < 400, peaks  # MB: nothing near the size a file claims


def test_an_overridden_rate_and_a_take_in_slices(tmp_path, monkeypatch):
    """``fps`` replaces an absurd Frame Time; a take retargeted in many small slices (as long takes are) gives
    exactly what one slice gives, floor and error figures included."""
    from app_support import make_reconstruction
    from inference.body import load_body_model
    from inference.importers import bvh
    import torch

    (tmp_path / "t.bvh").write_text(_hierarchy(2) + "MOTION\nFrames: 2\nFrame Time: 1e-300\n0\n0\n")
    assert read_bvh(tmp_path / "t.bvh", fps=24.0).fps == pytest.approx(24.0)
    with pytest.raises(MotionError, match="frame rate 5000 fps is outside"):
        read_bvh(tmp_path / "t.bvh", fps=5000.0)
    recon = make_reconstruction(120)
    rest = load_body_model().rest(torch.as_tensor(recon.people[0].betas))[1].numpy().astype(np.float64)
    path = tmp_path / "long.bvh"
    write_family_bvh(path, "mixamo", recon.people[0], rest, units=100.0)
    whole = bvh.load_bvh_people([path], rest_fn=lambda b: rest)
    monkeypatch.setattr(bvh, "SLICE_POINTS", 7 * len(read_bvh(path).point_names))  # 7 frames a slice
    sliced = bvh.load_bvh_people([path], rest_fn=lambda b: rest)
    np.testing.assert_allclose(whole.people[0].body_pose, sliced.people[0].body_pose, atol=1e-6)
    np.testing.assert_allclose(whole.people[0].transl, sliced.people[0].transl, atol=1e-6)
    for key, value in whole.report[str(path)].items():
        assert sliced.report[str(path)][key] == (value if isinstance(value, str) else pytest.approx(value))


def test_import_command_frames_fps_and_report(tmp_path, capsys):
    from app_support import make_reconstruction
    from inference.body import load_body_model
    from sm_studio.cli import main
    import torch

    recon = make_reconstruction(30)
    rest = load_body_model().rest(torch.as_tensor(recon.people[0].betas))[1].numpy().astype(np.float64)
    paths = [tmp_path / f"p{k}.bvh" for k in range(2)]
    for p, path in zip(recon.people, paths):
        write_family_bvh(path, "mixamo", p, rest, units=100.0)
    out = tmp_path / "x.npz"
    assert main(["import", *map(str, paths), "-o", str(out), "--frames", "5:25", "--fps", "50"]) == 0
    text = capsys.readouterr().out
    assert "wrote" in text and "20 frames at 50 fps" in text
    assert "p0.bvh (mixamo): joints" in text and "p1.bvh (mixamo)" in text
    assert main(["import", *map(str, paths), "-o", str(out), "--report"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[1].split()[:3] == ["file", "family", "limbs"] and table[2].split()[:2] == ["p0.bvh", "mixamo"]
    assert main(["import", *map(str, paths), "-o", str(out), "--frames", "40:50"]) == 1
    assert "keeps no frames" in capsys.readouterr().err
    from inference.io.npz import save_reconstruction  # --frames applies to every format, after reading

    save_reconstruction(recon, tmp_path / "two.npz")
    assert main(["import", str(tmp_path / "two.npz"), "-o", str(out), "--frames=-10:"]) == 0
    assert "10 frames at 30 fps" in capsys.readouterr().out

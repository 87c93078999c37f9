"""The GUI verbs on the command line: registered, and a bad path is a one-line error, not a window."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sm_studio.cli import build_parser


def test_open_and_demo_are_registered() -> None:
    parser, verbs = build_parser()
    assert {"open", "demo"} <= verbs
    args = parser.parse_args(["open", "a.mp4", "b.npz"])
    assert [p.name for p in args.files] == ["a.mp4", "b.npz"]


def test_missing_file_is_reported_without_starting_qt(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp4"
    proc = subprocess.run([sys.executable, "-m", "sm_studio", str(missing)], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 1
    assert "nope.mp4" in proc.stderr and "not found" in proc.stderr
    assert "Traceback" not in proc.stderr

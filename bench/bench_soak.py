"""Soak: the real app loops the embedded demo at 4× speed with both meshes for ``--minutes`` (default 10),
scrubbing, selecting segments and editing (swap A/B from a frame, then undo: a new motion to pose each time) along
the way. It must not crash and its memory must stay flat: prints the resident set size sampled every 30 s, start
vs end after a warm-up minute, the frames shown, and (Python 3.11) the reference count of ``None`` — the number a
leaky PySide6 drives to zero (see ``sm_studio/qt_refcount.py``).

Usage: ``xvfb-run -a -s "-screen 0 1920x1080x24" nice .venv/bin/python bench/bench_soak.py [--minutes 10]``
(without a display it runs offscreen, where the video view is the painter one).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from sm_studio.app_settings import AppSettings  # noqa: E402
from sm_studio.main_window import MainWindow  # noqa: E402
from sm_studio.qt_refcount import NONE_IS_IMMORTAL  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--warmup-seconds", type=float, default=60.0)
    args = ap.parse_args()
    app = QApplication(sys.argv[:1])
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        win = MainWindow(AppSettings(QSettings(str(folder / "s.ini"), QSettings.IniFormat)),
                         recovery_path=folder / "recovery.smsession")
        win.confirm_close = False
        win.resize(1600, 1000)
        win.show()
        win.files.open_demo()
        start = time.perf_counter()
        while win.doc.reconstruction is None or win.job_bar.busy:
            app.processEvents()
            time.sleep(0.005)
        doc, view = win.doc, win.video_view
        end = start + 60 * args.minutes
        samples: list[tuple[float, float]] = []
        next_sample = next_action = time.perf_counter()
        action = 0
        edits = 0
        while time.perf_counter() < end:
            now = time.perf_counter()
            if not win.playback.playing:
                win.playback.set_speed(4.0)
            if now >= next_action:
                action += 1
                if action % 4 == 0:  # scrub: a burst of seeks, as dragging the playhead does
                    for _ in range(8):
                        doc.set_frame(int(rng.integers(0, doc.num_frames)))
                        app.processEvents()
                elif action % 4 == 1 and doc.segments:
                    win.jump_segment(1 if action % 8 == 1 else -1)
                elif action % 4 == 2:
                    if doc.undo_stack.canUndo() and edits % 2 == 1:
                        doc.undo_stack.undo()
                    else:
                        doc.swap_identities(int(rng.integers(1, doc.num_frames - 1)))
                    edits += 1
                else:
                    win.mode_combo.setCurrentText(("solid", "wireframe", "solid", "skeleton")[(action // 4) % 4])
                next_action = now + 2.0
            if now >= next_sample:
                samples.append((now - start, rss_mb()))
                next_sample = now + 30.0
            app.processEvents()
            time.sleep(0.002)
        samples.append((time.perf_counter() - start, rss_mb()))
        painted = view.frames_painted
        win.shutdown()
        win.close()
    after_warmup = [s for s in samples if s[0] >= args.warmup_seconds] or samples
    print(f"soak: {args.minutes:g} min of the demo at 4x with meshes ({type(view).__name__}), scrubbing, "
          f"segment jumps, "
          f"{edits} edits/undos; {painted} distinct frames with bodies painted; load average "
          f"{os.getloadavg()[0]:.1f}")
    print("RSS (MB) every 30 s: " + ", ".join(f"{t:.0f}s {m:.0f}" for t, m in samples))
    print(f"RSS after warm-up: start {after_warmup[0][1]:.0f} MB, end {after_warmup[-1][1]:.0f} MB "
          f"({after_warmup[-1][1] - after_warmup[0][1]:+.0f} MB)")
    if not NONE_IS_IMMORTAL:
        print(f"references to None at the end: {sys.getrefcount(None)} (a leaky PySide6 drives this to 0 and aborts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

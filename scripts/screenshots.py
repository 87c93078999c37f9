"""Screenshots of the real app on the embedded demo, for the docs (``docs/screenshots/*.png``).

Starts SM Studio under a virtual X server (``xvfb-run``; re-executes itself there when no display is set), opens
the demo, goes to a frame inside the first occluded segment with the mesh overlay on, and captures the screen:

* ``main-window.png`` — video with both meshes, 3D view, timeline with the segments, description panel;
* ``candidate.png`` — after "Infill segment": the candidate bar with before/after, Accept, Discard;
* ``skeleton-mode.png`` — the skeleton overlay and the 3D view orbited;
* ``correction-1…8-*.png`` — the correction loop of ``tests/correction_scenario.py`` (contact by clicking, wrist
  pinned by dragging, infill judged by the difference curve and metrics, accepted, exported from the dialog).
  This part runs on Qt's offscreen platform in a second process: with PySide6 6.12 under xcb, QTest key clicks
  abort the interpreter ("deallocating None"); widgets render the same way offscreen (``QWidget.grab``).

Usage: ``.venv/bin/python scripts/screenshots.py [--out docs/screenshots]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1600, 1000)


def _reexec_under_xvfb() -> int:
    if shutil.which("xvfb-run") is None:
        print("screenshots: no display and no xvfb-run (apt-get install xvfb xauth)", file=sys.stderr)
        return 2
    cmd = ["xvfb-run", "-a", "-s", f"-screen 0 {SIZE[0]}x{SIZE[1]}x24", sys.executable, __file__, *sys.argv[1:]]
    return subprocess.call(cmd)


def _pump(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def _wait(app, cond, what: "str | Callable[[], str]", timeout: float = 180.0) -> None:
    """Process events until ``cond()``; ``what`` (or what it returns, for the state at the time) names it."""
    start = time.perf_counter()
    while not cond():
        app.processEvents()
        time.sleep(0.005)
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"screenshots: timed out waiting for {what if isinstance(what, str) else what()}")


def _shoot(app, window, path: Path) -> None:
    _pump(app, 0.5)
    screen = window.screen() or app.primaryScreen()
    pixmap = screen.grabWindow(0, window.x(), window.y(), window.frameGeometry().width(),
                               window.frameGeometry().height())
    if pixmap.isNull() or pixmap.width() < 100:
        pixmap = window.grab()
    if not pixmap.save(str(path)):
        raise OSError(f"screenshots: could not write {path}")
    print(f"wrote {path} ({pixmap.width()}x{pixmap.height()})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    ap.add_argument("--loop-only", action="store_true", help="only the correction loop (run offscreen)")
    args = ap.parse_args()
    if args.loop_only:
        from sm_studio.app import make_application

        app = make_application()
        with tempfile.TemporaryDirectory() as tmp:
            _correction_loop(app, Path(tmp), args.out)
        return 0
    if not os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        return _reexec_under_xvfb()
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    from PySide6.QtCore import QSettings

    from sm_studio.app import make_application
    from sm_studio.app_settings import AppSettings
    from sm_studio.main_window import MainWindow

    args.out.mkdir(parents=True, exist_ok=True)
    app = make_application()
    with tempfile.TemporaryDirectory() as tmp:  # fresh settings: default layout, the user's are untouched
        window = MainWindow(AppSettings(QSettings(str(Path(tmp) / "s.ini"), QSettings.IniFormat)),
                            recovery_path=Path(tmp) / "recovery.smsession")
        window.confirm_close = False
        window.setGeometry(0, 0, *SIZE)
        window.show()
        try:
            window.files.open_demo()
            _wait(app, lambda: not window.job_bar.busy and window.doc.reconstruction is not None, "the demo")
            doc = window.doc
            occluded = [s for s in doc.segments if s.kind.value == "occluded"] or list(doc.segments)
            if not occluded:
                raise RuntimeError("screenshots: the demo has no segments")
            seg = occluded[0]
            frame = (seg.start + seg.stop) // 2
            doc.select(seg.id)
            doc.set_frame(frame)
            if window.description.regenerate.isEnabled():  # a description from the installed backend
                window.description.regenerate.click()
                _wait(app, lambda: not window.job_bar.busy, "the description")
            _wait(app, lambda: window.video_view.composited and window.video_view.frame_index == frame
                  and not window.pipeline.note, lambda: f"the overlay (note: {window.pipeline.note!r})")
            _pump(app, 1.0)  # the 3D view's mesh picture follows from the overlay worker
            _shoot(app, window, args.out / "main-window.png")

            window.actions_by_name["infill"].trigger()
            _wait(app, lambda: not window.job_bar.busy, "the infill job", timeout=600)
            _wait(app, lambda: window.video_view.composited and window.video_view.frame_index == frame
                  and not window.pipeline.note, lambda: f"the candidate overlay (note: {window.pipeline.note!r})")
            _pump(app, 1.0)
            _shoot(app, window, args.out / "candidate.png")
            window.doc.discard_candidate()

            window.mode_combo.setCurrentText("skeleton")
            window.orbit_view.yaw, window.orbit_view.pitch = 75.0, 25.0
            _wait(app, lambda: window.pipeline.last_overlay_request is not None
                  and window.pipeline.last_overlay_request.style.mode == "skeleton", "skeletons")
            _pump(app, 1.0)
            _shoot(app, window, args.out / "skeleton-mode.png")
        finally:
            window.shutdown()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.call([sys.executable, __file__, "--loop-only", "--out", str(args.out)], env=env)


def _correction_loop(app, tmp: Path, out: Path) -> None:
    """A fresh window through the scenario the tests run, photographed at each step."""
    from PySide6.QtCore import QSettings

    from sm_studio.app_settings import AppSettings
    from sm_studio.main_window import MainWindow

    sys.path.insert(0, str(ROOT / "tests"))
    import correction_scenario

    window = MainWindow(AppSettings(QSettings(str(tmp / "s2.ini"), QSettings.IniFormat)),
                        recovery_path=tmp / "recovery2.smsession")
    window.confirm_close = False
    window.setGeometry(0, 0, *SIZE)
    window.show()
    try:
        result = correction_scenario.run(
            window, lambda cond, ms: _wait(app, cond, "the correction loop", ms / 1000), tmp,
            lambda name: _shoot(app, window.export_dialog if name == "7-export-dialog" else window,
                                out / f"correction-{name}.png"))
        print(f"correction loop: pin {result.pin_mm:.2f} mm, contact gap {result.contact_mm:.2f} mm, "
              f"largest change {result.difference_peak_mm:.0f} mm, exported {[p.name for p in result.exported]}")
    finally:
        window.shutdown()


if __name__ == "__main__":
    sys.exit(main())

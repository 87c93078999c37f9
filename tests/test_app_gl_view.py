"""The GL video view in the real app, under a real X server (Xvfb): video + meshes drawn in the window, still
drawn after 50 resizes and mode toggles, the correction layer drawn over it, and a clean exit (no EGL errors, no crash).

Runs ``sm-studio demo --exec-script`` in a subprocess under ``xvfb-run``: the test process itself is on Qt's
headless platform, where no GL window can be made (the app uses the painter view there).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = [pytest.mark.gui, pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run")]

SCRIPT = textwrap.dedent("""
    import time
    import numpy as np
    from PySide6.QtGui import QImage

    def wait(cond, timeout=90.0):
        end = time.time() + timeout
        while not cond():
            if time.time() > end:
                raise TimeoutError("the GL view did not show the frame")
            app.processEvents()
            time.sleep(0.005)

    def meshes_drawn(frame, meshes=True):
        view = window.video_view
        wait(lambda: view.frame_index == frame and (view.scene is not None) == meshes
             and window.pipeline.last_decoded is not None and window.pipeline.last_decoded.index == frame)
        for _ in range(20):
            app.processEvents()
            time.sleep(0.01)
        img = view.frame_image.convertToFormat(QImage.Format_RGB888)
        arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
        arr = arr[:, :img.width() * 3].reshape(img.height(), img.width(), 3)
        r = view.image_rect()
        shown = arr[int(r.top()):int(r.top()) + int(r.height()), int(r.left()):int(r.left()) + int(r.width())]
        raw = window.pipeline.last_decoded.rgb
        import cv2
        raw = cv2.resize(raw, (shown.shape[1], shown.shape[0]), interpolation=cv2.INTER_AREA)
        return int((np.abs(shown.astype(int) - raw).sum(-1) > 60).sum()), shown.shape

    try:
        wait(lambda: window.doc.reconstruction is not None and not window.job_bar.busy)
        print("VIEW", type(window.video_view).__name__, flush=True)
        window.resize(1600, 1000)  # the video view large enough that scaling differences stay small
        window.doc.set_frame(60)
        print("BEFORE", *meshes_drawn(60), flush=True)
        # the full body posed for the frame shown can arrive before the sequence's proxy: it ends "posing…" too
        from sm_studio.frame_pipeline import POSING_NOTE
        pipeline, recon = window.pipeline, window.doc.shown_reconstruction
        pipeline._set_note(POSING_NOTE)
        pipeline._full_body_ready((recon, 60), pipeline.poser.full_vertices(recon, 60))
        print("POSED", repr(pipeline.note), flush=True)
        modes = ("solid", "wireframe", "skeleton")
        for i in range(50):
            window.resize(900 + 31 * (i % 9), 620 + 19 * (i % 7))
            window.mode_combo.setCurrentText(modes[i % 3])
            window.doc.set_frame((7 * i) % window.doc.num_frames)
            if i % 10 == 4:
                window.playback.toggle()
            for _ in range(3):
                app.processEvents()
                time.sleep(0.005)
        window.playback.pause()
        window.resize(1600, 1000)
        window.mode_combo.setCurrentText("solid")
        window.doc.set_frame(61)
        print("AFTER", *meshes_drawn(61), "NOTE", repr(window.pipeline.note), flush=True)
        window.overlay_check.setChecked(False)
        window.doc.set_frame(10)  # before the demo's segment: no contact markers over the raw video
        print("RAW", *meshes_drawn(10, meshes=False), flush=True)
        window.tools.start_picking()  # the correction layer (joint markers) is drawn by the GL window itself
        window.video_view.update()
        print("PICK", *meshes_drawn(10, meshes=False), flush=True)
        window.tools.cancel_picking()
    finally:
        window.close()
""")


def test_gl_view_draws_meshes_survives_resizes_and_exits_cleanly(tmp_path: Path) -> None:
    script = tmp_path / "drive.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")])
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # settings and the recovery file stay in tmp_path
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    proc = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable, "-m", "sm_studio",
                           "demo", "--exec-script", str(script)],
                          capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "VIEW GLVideoView" in out, out[-3000:]
    lines = {line.split()[0]: line.split() for line in proc.stdout.splitlines() if line.split()}
    assert "AFTER" in lines, out[-3000:]
    unchanged = int(lines["RAW"][1])  # the video alone, as the window shows it (scaling differences only)
    for key in ("BEFORE", "AFTER"):
        changed = int(lines[key][1])
        assert changed > max(2000, 5 * unchanged), (key, out[-2000:])  # the bodies drawn over the video
    assert lines["AFTER"][-1] == "''"  # no overlay problem reported
    assert lines["POSED"][1] == "''", out[-2000:]  # the frame has its bodies: no "posing the bodies…" left
    assert int(lines["PICK"][1]) > unchanged + 200, out[-2000:]  # the pickable joints are seen over the video
    for bad in ("close failed", "eglMakeCurrent", "Traceback", "Segmentation", "Fatal Python error"):
        assert bad not in out, out[-3000:]

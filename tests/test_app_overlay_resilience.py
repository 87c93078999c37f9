"""The overlay keeps drawing through ordinary use, and says so in the picture when it cannot.

Before: the overlay thread kept up to three pyrender renderers (one per image size) and closing one terminated the
EGL display all of them shared, so the overlay silently stopped whenever a view changed size often enough.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from app_support import make_reconstruction, open_test_window, wait_idle, write_video
from inference.io.npz import save_reconstruction

pytestmark = pytest.mark.gui
FRAMES = 30


def _array(img) -> np.ndarray:
    img = img.convertToFormat(img.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    return arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3)


@pytest.fixture
def window(qtbot, tmp_path: Path):
    w = open_test_window(qtbot, tmp_path)
    w.show()  # each test sizes it
    yield w
    w.shutdown()


def _open(window, qtbot, tmp_path: Path, recon) -> None:
    npz = tmp_path / "motion.npz"
    save_reconstruction(recon, npz)
    window.files.open_paths([write_video(tmp_path / "clip.avi", FRAMES), npz])
    wait_idle(qtbot, window)


def test_overlay_still_draws_after_50_resizes_and_mode_toggles(window, qtbot, tmp_path: Path) -> None:
    _open(window, qtbot, tmp_path, make_reconstruction(FRAMES))
    modes = ("solid", "wireframe", "skeleton")
    for i in range(50):
        window.resize(760 + 37 * (i % 9), 560 + 23 * (i % 7))  # both views change size: new render sizes
        window.mode_combo.setCurrentText(modes[i % 3])
        window.doc.set_frame((7 * i) % FRAMES)
        if i % 10 == 4:
            window.playback.toggle()  # playing renders at another scale
        qtbot.wait(15)
    window.playback.pause()
    window.mode_combo.setCurrentText("solid")
    for k, frame in enumerate((12, 13, 14, 15)):  # each resize makes a new 3D-view size: the survivors must draw
        window.resize(900 + 40 * k, 640)
        window.doc.set_frame(frame)
        qtbot.waitUntil(lambda: window.video_view.composited and window.video_view.frame_index == frame
                        and window.pipeline.last_overlay_request.style.mode == "solid"
                        and window.pipeline.last_overlay_request.style.scale == 1.0, timeout=30000)
        composite = _array(window.video_view.frame_image).astype(int)
        raw = window.pipeline.last_decoded.rgb
        assert (np.abs(composite - raw).sum(-1) > 30).sum() > 300, frame  # the meshes are drawn over the video
        assert window.pipeline.note == ""
        qtbot.waitUntil(lambda: window.orbit_view.mesh_image is not None, timeout=30000)  # and the 3D view's


def test_a_problem_is_written_into_the_picture(window, qtbot, tmp_path: Path) -> None:
    """A motion the overlay cannot draw (no camera): the view says why on the picture, not only in the Log."""
    window.resize(1000, 700)
    _open(window, qtbot, tmp_path, replace(make_reconstruction(FRAMES), camera=None))
    window.doc.set_frame(5)
    qtbot.waitUntil(lambda: "no camera" in window.video_view.note, timeout=30000)
    qtbot.waitUntil(lambda: window.video_view.frame_index == 5, timeout=30000)
    window.video_view.repaint()
    shot = _array(window.video_view.grab().toImage())
    rect = window.video_view.image_rect()
    band = shot[int(rect.bottom()) - 40:int(rect.bottom()) - 4, int(rect.left()) + 2:int(rect.right()) - 2]
    red = (band[..., 0].astype(int) - band[..., 2] > 60).mean()
    assert red > 0.5, red  # the banner (text pixels aside)

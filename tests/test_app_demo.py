"""The embedded demo in the real window: it opens with its video, motion and occluded segments, and the overlay
draws over the footage inside an occluded segment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from inference.demo import ensure_demo
from inference.session import load_session
from sm_studio.app_settings import AppSettings
from sm_studio.main_window import MainWindow

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def test_demo_opens_and_overlays_an_occluded_segment(qtbot, tmp_path: Path) -> None:
    files = ensure_demo()  # shipped, or generated once into the user cache (outside the timed window steps)
    w = MainWindow(AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)),
                   recovery_path=tmp_path / "recovery.smsession")
    w.confirm_close = False
    qtbot.addWidget(w)
    w.show()
    try:
        w.files.open_demo()
        qtbot.waitUntil(lambda: not w.job_bar.busy and w.doc.reconstruction is not None, timeout=120000)
        doc = w.doc
        assert w.video is not None and w.video.path == files.video
        assert doc.segments and doc.session_path is None and not doc.is_modified
        seg = doc.segments[0]
        mid = (seg.start + seg.stop) // 2
        doc.set_frame(mid)
        qtbot.waitUntil(lambda: w.video_view.composited and w.video_view.frame_index == mid, timeout=120000)
        raw = w.pipeline.last_decoded.rgb
        img = w.video_view.frame_image
        shown = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(img.height(), -1)
        shown = shown[:, : img.width() * 3].reshape(img.height(), img.width(), 3)
        assert (np.abs(shown.astype(int) - raw).sum(-1) > 30).sum() > 500, w.pipeline.note
        out = tmp_path / "demo.smsession"
        w.files.save_to(out)
        qtbot.waitUntil(lambda: not w.job_bar.busy, timeout=30000)
        assert load_session(out).equals(doc.to_session())
        assert files.video.is_file()  # the shipped files were only read
    finally:
        w.shutdown()

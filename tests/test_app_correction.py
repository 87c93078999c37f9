"""Issue 18's "done when": the whole correction loop on the demo through widgets and shortcuts only — a contact
made by clicking two body parts, a wrist pinned by dragging, infill with exactly that list, the difference curve
and metrics, accept, undo/redo, export from the dialog — and the result keeps the pin (< 2 cm) and the contact
(< 3 cm). The real window, the real infiller and the real exporter."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from sm_studio.app_settings import AppSettings
from sm_studio.main_window import MainWindow

import correction_scenario

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def test_correction_loop_on_the_demo(qtbot, tmp_path: Path) -> None:
    w = MainWindow(AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)),
                   recovery_path=tmp_path / "recovery.smsession")
    w.confirm_close = False
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    try:
        result = correction_scenario.run(w, lambda cond, ms: qtbot.waitUntil(cond, timeout=ms), tmp_path)
    finally:
        w.shutdown()
    assert result.pin_mm < 20.0, result
    assert result.contact_mm < 30.0, result
    assert result.exported and all(p.is_file() for p in result.exported)
    bvh = result.exported[0].read_text()
    assert "HIERARCHY" in bvh and "Frames:" in bvh
    assert all(str(p) in w.statusBar().currentMessage() for p in result.exported)

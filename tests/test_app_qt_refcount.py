"""The installed PySide6 must not lose references to ``None`` (6.12.0 on Python 3.11 did: the app aborted with
"Fatal Python error: none_dealloc" about a minute into playback)."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from sm_studio.qt_refcount import NONE_IS_IMMORTAL, leak_warning

pytestmark = pytest.mark.gui


@pytest.mark.skipif(NONE_IS_IMMORTAL, reason="None is immortal on Python >= 3.12: a lost reference cannot crash, "
                                             "and sys.getrefcount(None) no longer counts")
def test_void_qt_calls_keep_none_references(qapp) -> None:
    widget, timer = QWidget(), QTimer()
    calls = 300
    before = sys.getrefcount(None)
    for _ in range(calls):
        widget.update()
        timer.start(1000)
        qapp.processEvents()
    lost = before - sys.getrefcount(None)
    keep = [None] * max(lost, 0)  # hand the references back so a leaky build fails this test instead of aborting
    assert lost <= 2, f"{lost} references to None lost in {3 * calls} Qt calls: {leak_warning()}"  # a leak: ~900
    assert len(keep) == max(lost, 0)


def test_start_up_check_agrees(qapp) -> None:
    """The warning the app prints at start-up is empty exactly when the installation is safe."""
    assert leak_warning() == ""

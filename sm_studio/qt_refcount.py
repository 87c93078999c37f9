"""Detects PySide6 builds that lose a reference to ``None`` on every Qt call that returns nothing.

PySide6 6.12.0 on CPython 3.11 does this (measured 2026-12-07: ``update()``, ``QTimer.start()``,
``processEvents()`` each drop one); a playing app makes thousands of such calls a second and aborts after about a
minute with "Fatal Python error: none_dealloc". 6.7.0–6.11.3 on 3.11 lose none, and on CPython ≥ 3.12 ``None`` is
immortal, so the loss is harmless there. ``pyproject.toml`` pins a build that does not leak; this check turns a
wrong install into a clear message at start-up instead of a crash a minute into playback.
"""

from __future__ import annotations

import sys
from typing import Optional

from PySide6.QtCore import QObject, QTimer

NONE_IS_IMMORTAL = sys.version_info >= (3, 12)
_GIVEN_BACK: list[None] = []  # references the probe itself took from None, returned so probing never crashes


def none_references_lost(calls: int = 50) -> Optional[int]:
    """How many references to ``None`` ``calls`` void Qt calls dropped, or ``None`` where ``None`` is immortal
    (the count cannot be observed there, and a loss could not crash). Needs no QApplication."""
    if NONE_IS_IMMORTAL:
        return None
    timer, obj = QTimer(), QObject()
    timer.stop()
    obj.setObjectName("probe")
    before = sys.getrefcount(None)
    for _ in range(calls):
        timer.stop()  # returns void in C++
        obj.setObjectName("probe")  # ditto
    lost = before - sys.getrefcount(None)
    _GIVEN_BACK.extend([None] * max(lost, 0))
    return lost


def leak_warning() -> str:
    """"" when Qt calls are safe here, else a one-sentence explanation of what to install instead."""
    lost = none_references_lost()
    if not lost:
        return ""
    import PySide6

    return (f"PySide6 {PySide6.__version__} on Python {sys.version.split()[0]} loses a reference to None on every "
            "Qt call, so the app would crash after about a minute of playback: install PySide6-Essentials<6.12 "
            "(./dev.sh does) or use Python 3.12 or newer.")

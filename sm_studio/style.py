"""Colours shared by every view, so person A looks the same in the overlay, the 3D view and the timeline."""

from __future__ import annotations

from PySide6.QtGui import QColor

PERSON_RGB: dict[str, tuple[int, int, int]] = {"A": (240, 140, 40), "B": (50, 150, 240)}
BOTH_RGB = (150, 110, 200)
CANDIDATE_TINT = (90, 220, 120)


def person_color(who: str, alpha: int = 255) -> QColor:
    r, g, b = PERSON_RGB.get(who, BOTH_RGB)
    return QColor(r, g, b, alpha)

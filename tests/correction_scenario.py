"""The correction loop of issue 18 on the demo, acting only through widgets and shortcuts (QTest), shared by the
pytest-qt scenario and ``scripts/screenshots.py`` (which photographs each step).

Robust to the demo's content: it works on whatever segment the window selects on open (the first flagged one),
on that segment's person and the middle frame, and checks relations (pin met, contact closed), not numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox

from inference.edit.hold import engine_contacts
from inference.edit.judge import contact_gaps_mm, pin_distance_mm
from inference.skeleton import JOINT_INDEX

Wait = Callable[[Callable[[], bool], int], None]  # (condition, timeout ms)
Shoot = Callable[[str], None]


@dataclass
class ScenarioResult:
    pin_mm: float = float("nan")
    contact_mm: float = float("nan")
    difference_peak_mm: float = float("nan")
    exported: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _press(window, key: int, modifiers=Qt.NoModifier) -> None:
    QTest.keyClick(window, key, modifiers)


def _point(overlay, person: int, joint: int) -> QPoint:
    pos = overlay.joint_position(person, joint)
    assert pos is not None, f"joint {joint} of person {person} is not in view"
    return pos.toPoint()


def run(window, wait: Wait, out_dir: Path, shoot: Optional[Shoot] = None) -> ScenarioResult:
    shoot = shoot or (lambda _name: None)
    doc, tools, res = window.doc, window.tools, ScenarioResult()
    window.actions_by_name["open_demo"].trigger()
    wait(lambda: not window.job_bar.busy and doc.reconstruction is not None, 120000)
    seg = doc.selected_segment
    assert seg is not None, "opening the demo selects its first flagged segment"
    person = 1 if seg.who == "B" else 0
    other = 1 - person
    mid = (seg.start + seg.stop) // 2
    while doc.frame + doc.fps <= mid:  # the playhead, by keyboard: seconds, then frames
        _press(window, Qt.Key_Right, Qt.ShiftModifier)
    while doc.frame < mid:
        _press(window, Qt.Key_Right)
    wait(lambda: window.video_view.composited and window.video_view.frame_index == mid, 60000)
    overlay = tools.video_overlay
    shoot("1-segment-selected")

    # a contact by clicking: this person's right wrist on the other's body part nearest to it
    joints = tools.scene.joints
    wrist = JOINT_INDEX["right_wrist"]
    target = int(np.linalg.norm(joints[other] - joints[person, wrist], axis=-1).argmin())
    QTest.mouseClick(window.contacts_panel.add, Qt.LeftButton)
    QTest.mouseClick(overlay, Qt.LeftButton, Qt.NoModifier, _point(overlay, person, wrist))
    shoot("2-contact-first-click")
    QTest.mouseClick(overlay, Qt.LeftButton, Qt.NoModifier, _point(overlay, other, target))
    hand = [c for c in doc.contacts(seg.id) if c.origin == "hand"]
    assert len(hand) == 1 and hand[0].constraint.joint == "right_wrist", doc.contacts(seg.id)
    assert any("by hand" in row for row in window.contacts_panel.contact_rows())
    shoot("3-contact-added")

    # a pin by dragging this person's left wrist 30 px sideways in the video
    left = JOINT_INDEX["left_wrist"]
    start = _point(overlay, person, left)
    before = doc.reconstruction
    QTest.mousePress(overlay, Qt.LeftButton, Qt.NoModifier, start)
    for step in range(1, 7):
        QTest.mouseMove(overlay, start + QPoint(5 * step, -2 * step))
    QTest.mouseRelease(overlay, Qt.LeftButton, Qt.NoModifier, start + QPoint(30, -12))
    wait(lambda: len(doc.pins) == 1 and not window.job_bar.busy, 30000)  # the limb's IK runs as a job
    assert len(doc.pins) == 1 and doc.pins[0].joint == "left_wrist" and doc.reconstruction is not before
    assert window.contacts_panel.pins.count() == 1
    shoot("4-wrist-pinned")

    # infill with exactly that list (Ctrl+I), then judge: difference curve and metrics
    _press(window, Qt.Key_I, Qt.ControlModifier)
    wait(lambda: doc.candidate is not None and not window.job_bar.busy, 300000)
    diff = window.timeline_marks.difference
    assert diff is not None and diff[seg.start:seg.stop].max() > diff.max() * 0.5
    res.difference_peak_mm = float(diff.max())
    metrics = window.metrics_panel
    wait(lambda: "candidate" in metrics.title.text(), 5000)
    assert metrics.after is not None and metrics.after.pins is not None and metrics.after.contacts is not None
    _press(window, Qt.Key_B, Qt.ControlModifier)  # side by side: current | candidate
    wait(lambda: window.compare_view.isVisible() and len(window.compare_view.halves) == 2, 5000)
    (left, before_joints), (right, after_joints) = window.compare_view.halves
    assert (left, right) == ("current", "candidate") and not np.allclose(before_joints, after_joints)
    shoot("5-candidate-judged")
    _press(window, Qt.Key_B, Qt.ControlModifier)

    # accept (Ctrl+Return), then undo / redo with the standard shortcuts
    candidate = doc.candidate
    _press(window, Qt.Key_Return, Qt.ControlModifier)
    assert doc.reconstruction is candidate and doc.candidate is None
    _press(window, Qt.Key_Z, Qt.ControlModifier)
    assert doc.reconstruction is not candidate and doc.candidate is candidate
    _press(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert doc.reconstruction is candidate
    _press(window, Qt.Key_Z, Qt.ControlModifier)
    _press(window, Qt.Key_Y, Qt.ControlModifier)
    assert doc.reconstruction is candidate
    shoot("6-accepted")

    # the result honours the pin and the contact
    final = tools.posed.joints(doc.reconstruction)
    res.pin_mm = pin_distance_mm(final, doc.pins)
    contacts = engine_contacts([c for c in doc.contacts(seg.id) if c.origin == "hand"], doc.reconstruction,
                               tools.posed.body)
    res.contact_mm = max(contact_gaps_mm(final, contacts))

    # export from the dialog (Ctrl+E): BVH of this person, part of the frames, Z up, centimetres
    _press(window, Qt.Key_E, Qt.ControlModifier)
    dialog = window.export_dialog
    dialog.format.setCurrentText("bvh")
    dialog.path.setText(str(out_dir / "corrected.bvh"))
    dialog.person.setCurrentText("AB"[person])
    dialog.first.setValue(seg.start)
    dialog.last.setValue(seg.stop - 1)
    dialog.up.setCurrentText("z")
    dialog.units.setCurrentText("cm")
    shoot("7-export-dialog")
    QTest.mouseClick(dialog.buttons.button(QDialogButtonBox.Ok), Qt.LeftButton)
    wait(lambda: not window.job_bar.busy and bool(window.files.last_export), 60000)
    res.exported = list(window.files.last_export)
    shoot("8-exported")
    return res

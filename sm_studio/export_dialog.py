"""File → Export…: the command line's export options in a dialog (format, file, version, person, frames, up axis,
units). The dialog only returns :class:`ExportOptions`; :mod:`session_files` runs the export as a job and the
status bar names the files the exporter really wrote (FBX and BVH write one file per person)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLineEdit, QPushButton, QSpinBox, QWidget)

from inference.export import FORMATS, VERSIONS

PEOPLE = {"both": ("A", "B"), "A": ("A",), "B": ("B",)}
FIXED_FRAME = ("npz", "mp4", "glb", "gltf")  # formats whose axes and units are fixed (the exporter refuses others)


@dataclass(frozen=True)
class ExportOptions:
    path: Path
    format: str
    version: str = "corrected"
    people: tuple[str, ...] = ("A", "B")
    frames: Optional[tuple[int, int]] = None  # half-open; None: all
    up: str = "y"
    units: str = "m"


class ExportDialog(QDialog):
    def __init__(self, num_frames: int, suggested: Path, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.format = QComboBox()
        self.format.addItems(list(dict.fromkeys(FORMATS.values())))
        self.path = QLineEdit(str(suggested))
        browse = QPushButton("Browse…")
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse)
        self.version = QComboBox()
        self.version.addItems(VERSIONS)
        self.person = QComboBox()
        self.person.addItems(list(PEOPLE))
        self.first, self.last = QSpinBox(), QSpinBox()
        for box, value in ((self.first, 0), (self.last, num_frames - 1)):
            box.setRange(0, max(num_frames - 1, 0))
            box.setValue(value)
        frames = QHBoxLayout()
        frames.addWidget(self.first)
        frames.addWidget(self.last)
        self.up = QComboBox()
        self.up.addItems(["y", "z"])
        self.units = QComboBox()
        self.units.addItems(["m", "cm"])
        form = QFormLayout(self)
        form.addRow("Format", self.format)
        form.addRow("File", file_row)
        form.addRow("Motion", self.version)
        form.addRow("Person", self.person)
        form.addRow("Frames (first, last)", frames)
        form.addRow("Up axis", self.up)
        form.addRow("Units", self.units)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Ok).setText("Export")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self._num_frames = num_frames
        browse.clicked.connect(self._browse)
        self.format.currentTextChanged.connect(self._format_changed)
        self.format.setCurrentText(FORMATS.get(suggested.suffix.lower(), "fbx"))
        self._format_changed(self.format.currentText())

    def _format_changed(self, fmt: str) -> None:
        fixed = fmt in FIXED_FRAME
        for box in (self.up, self.units):
            box.setEnabled(not fixed)
            if fixed:
                box.setCurrentIndex(0)
        self.path.setText(str(Path(self.path.text()).with_suffix(f".{fmt}")))

    def _browse(self) -> None:
        fmt = self.format.currentText()
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text(), f"{fmt.upper()} (*.{fmt})")
        if path:
            self.path.setText(str(Path(path).with_suffix(f".{fmt}")))

    def options(self) -> ExportOptions:
        first, last = self.first.value(), self.last.value()
        frames = None if (first, last) == (0, self._num_frames - 1) else (min(first, last), max(first, last) + 1)
        return ExportOptions(Path(self.path.text()), self.format.currentText(), self.version.currentText(),
                             PEOPLE[self.person.currentText()], frames, self.up.currentText(),
                             self.units.currentText())

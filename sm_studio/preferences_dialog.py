"""Preferences: where the licensed SMPL-X files are, which vision-language model describes segments, and which
device the engine should use.

All take effect at the next start: the body model and the engine's networks are loaded once per process (and
the overlay thread holds its body model), so swapping them under a running session would mix two bodies.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QWidget)

from .app_settings import DEVICES, AppSettings


class PreferencesDialog(QDialog):
    def __init__(self, settings: AppSettings, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self._settings = settings
        self.body_dir = QLineEdit(settings.body_model_dir())
        self.body_dir.setPlaceholderText("empty: the free body shipped with SM Studio")
        self.vlm_dir = QLineEdit(settings.vlm_model_dir())
        self.vlm_dir.setPlaceholderText("empty: describe from the 3D motion (no model)")
        self.device = QComboBox()
        self.device.addItems(DEVICES)
        self.device.setCurrentText(settings.device())
        form = QFormLayout(self)
        form.addRow("SMPL-X model folder", self._folder_row(self.body_dir, "SMPL-X model folder"))
        form.addRow("Vision-language model folder", self._folder_row(
            self.vlm_dir, "Vision-language model folder (Qwen2.5-VL, SmolVLM2, …)"))
        form.addRow("Compute device", self.device)
        form.addRow(QLabel("Changes take effect the next time SM Studio starts."))
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _folder_row(self, field: QLineEdit, title: str) -> QHBoxLayout:
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: self._browse(field, title))
        row = QHBoxLayout()
        row.addWidget(field, 1)
        row.addWidget(browse)
        return row

    def _browse(self, field: QLineEdit, title: str) -> None:
        path = QFileDialog.getExistingDirectory(self, title, field.text())
        if path:
            field.setText(path)

    def accept(self) -> None:
        self._settings.set_body_model_dir(self.body_dir.text().strip())
        self._settings.set_vlm_model_dir(self.vlm_dir.text().strip())
        self._settings.set_device(self.device.currentText())
        super().accept()

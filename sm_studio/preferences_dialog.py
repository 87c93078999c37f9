"""Preferences: where the licensed SMPL-X files are, and which device the engine should use.

Both take effect at the next start: the body model and the engine's networks are loaded once per process (and
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
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.body_dir, 1)
        row.addWidget(browse)
        self.device = QComboBox()
        self.device.addItems(DEVICES)
        self.device.setCurrentText(settings.device())
        form = QFormLayout(self)
        form.addRow("SMPL-X model folder", row)
        form.addRow("Compute device", self.device)
        form.addRow(QLabel("Changes take effect the next time SM Studio starts."))
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "SMPL-X model folder", self.body_dir.text())
        if path:
            self.body_dir.setText(path)

    def accept(self) -> None:
        self._settings.set_body_model_dir(self.body_dir.text().strip())
        self._settings.set_device(self.device.currentText())
        super().accept()

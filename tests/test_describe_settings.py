"""The app's description settings: the vision-language model folder set in Preferences is what the app describes
with, and a folder that cannot be used falls back to the offline describer with a note saying why."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from inference.describe import CachedDescriber, OfflineDescriber
from inference.describe.vlm import VLMDescriber
from sm_studio.app_settings import AppSettings
from sm_studio.motion_backends import describe_backend
from sm_studio.preferences_dialog import PreferencesDialog

from vlm_support import build_qwen2_vl


def test_preferences_choose_the_vision_language_model(qtbot, tmp_path: Path) -> None:
    model = tmp_path / "Qwen2-VL-tiny"
    build_qwen2_vl(model)
    settings = AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    dialog = PreferencesDialog(settings)
    qtbot.addWidget(dialog)
    dialog.vlm_dir.setText(f"  {model}  ")
    dialog.accept()
    again = AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    assert again.vlm_model_dir() == str(model)
    describer, note = describe_backend(again.vlm_model_dir())
    assert isinstance(describer, CachedDescriber) and isinstance(describer.inner, VLMDescriber) and note == ""
    assert describer.author == "vlm:Qwen2-VL-tiny"
    describer, note = describe_backend(str(tmp_path / "nothing-here"))
    assert isinstance(describer.inner, OfflineDescriber)
    assert "no config.json" in note and note.endswith("using the offline describer")

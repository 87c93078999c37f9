"""Application start-up: the QApplication with its settings identity, the window, and the demo loader."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Sequence

from PySide6.QtWidgets import QApplication, QMessageBox

from .app_settings import APPLICATION, ORGANIZATION, AppSettings
from .main_window import MainWindow


def make_application(argv: Sequence[str] = ("sm-studio",)) -> QApplication:
    app = QApplication.instance() or QApplication(list(argv))
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    return app  # type: ignore[return-value]


def apply_body_model_setting(settings: AppSettings) -> None:
    """The SMPL-X folder from the preferences, unless ``--body-model-dir``/``SMPLX_MODEL_DIR`` already chose."""
    if not os.environ.get("SMPLX_MODEL_DIR") and settings.body_model_dir():
        os.environ["SMPLX_MODEL_DIR"] = settings.body_model_dir()


def run_app(files: Sequence[Path], demo: bool = False, argv: Sequence[str] = ("sm-studio",)) -> int:
    app = make_application(argv)
    settings = AppSettings()
    apply_body_model_setting(settings)
    window = MainWindow(settings)
    window.show()
    recovery = window.autosave.path
    if recovery.is_file() and QMessageBox.question(
            window, "Restore unsaved work?",
            f"SM Studio did not close normally last time. Restore the session autosaved at "
            f"{datetime.fromtimestamp(recovery.stat().st_mtime):%Y-%m-%d %H:%M}?") == QMessageBox.Yes:
        window.files.restore(recovery)
    elif demo:
        window.files.open_demo()
    elif files:
        window.files.open_paths(list(files))
    code = app.exec()
    window.shutdown()
    return int(code)

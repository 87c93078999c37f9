"""Application start-up: the QApplication with its settings identity, the window, the crash-recovery offer, and
the demo loader."""

from __future__ import annotations

import os
import runpy
import sys
import traceback
from pathlib import Path
from typing import Optional, Sequence

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from .app_settings import APPLICATION, ORGANIZATION, AppSettings
from .main_window import MainWindow
from .qt_refcount import leak_warning


def make_application(argv: Sequence[str] = ("sm-studio",)) -> QApplication:
    app = QApplication.instance() or QApplication(list(argv))
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    return app  # type: ignore[return-value]


def apply_body_model_setting(settings: AppSettings) -> None:
    """The SMPL-X folder from the preferences, unless ``--body-model-dir``/``SMPLX_MODEL_DIR`` already chose."""
    if not os.environ.get("SMPLX_MODEL_DIR") and settings.body_model_dir():
        os.environ["SMPLX_MODEL_DIR"] = settings.body_model_dir()


def run_script(path: Path, window: MainWindow, app: QApplication) -> None:
    """``--exec-script``: run a Python file inside the running app with ``window`` and ``app`` in its globals
    (as Blender's ``--python`` does), for automation and for driving the real app in tests. A script edits through
    the window's actions and the document's methods — the undo-stack commands the widgets use; an error in it is
    printed and the app keeps running."""
    try:
        runpy.run_path(str(path), init_globals={"window": window, "app": app}, run_name="__sm_studio_script__")
    except Exception:
        print(f"sm-studio: error in script {path}:\n{traceback.format_exc()}", file=sys.stderr, flush=True)


def run_app(files: Sequence[Path], demo: bool = False, argv: Sequence[str] = ("sm-studio",),
            script: Optional[Path] = None) -> int:
    app = make_application(argv)
    settings = AppSettings()
    apply_body_model_setting(settings)
    window = MainWindow(settings)
    window.show()
    unsafe_qt = leak_warning()
    if unsafe_qt:
        print(f"sm-studio: {unsafe_qt}", file=sys.stderr, flush=True)
        window.show_error("Unsafe PySide6 installation", unsafe_qt, "Reinstall with ./dev.sh, then restart.")
    if script is not None:
        QTimer.singleShot(0, lambda: run_script(script, window, app))
    offer = window.autosave.find_recovery()
    if window.autosave.notes or window.autosave.off_reason:  # start-up went on without them: say so
        notes = window.autosave.notes + ([f"Autosave is off: {window.autosave.off_reason}"]
                                         if window.autosave.off_reason else [])
        window.statusBar().showMessage(" ".join(notes), 60000)
    restore = offer is not None and QMessageBox.question(
        window, "Restore unsaved work?", offer.question()) == QMessageBox.Yes
    if offer is not None and not restore:
        window.autosave.retire(offer.path)  # declined: replaced by this instance's own insurance
    if restore:
        window.files.restore(offer.path)
    elif demo:
        window.files.open_demo()
    elif files:
        window.files.open_paths(list(files))
    code = app.exec()
    window.shutdown()
    return int(code)

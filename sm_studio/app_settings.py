"""Persistent preferences (QSettings, organisation and application "SM Studio"): recent files, body-model
directory, compute device, autosave interval, window geometry. Typed accessors so that no widget parses QSettings
values itself."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "SM Studio"
APPLICATION = "SM Studio"
MAX_RECENT = 10
DEVICES = ("cpu", "cuda")


class AppSettings:
    def __init__(self, settings: Optional[QSettings] = None) -> None:
        self.q = settings or QSettings(ORGANIZATION, APPLICATION)

    def recent_files(self) -> list[str]:
        value = self.q.value("recentFiles", [])
        if isinstance(value, str):  # QSettings returns a bare string for a one-element list on some backends
            value = [value]
        return [str(v) for v in (value or [])]

    def add_recent(self, path: Path) -> list[str]:
        p = str(Path(path).resolve())
        files = [p] + [f for f in self.recent_files() if f != p]
        self.q.setValue("recentFiles", files[:MAX_RECENT])
        return files[:MAX_RECENT]

    def clear_recent(self) -> None:
        self.q.setValue("recentFiles", [])

    def body_model_dir(self) -> str:
        return str(self.q.value("bodyModelDir", "") or "")

    def set_body_model_dir(self, path: str) -> None:
        self.q.setValue("bodyModelDir", path)

    def vlm_model_dir(self) -> str:
        """Folder of a downloaded vision-language model for descriptions; empty: the offline describer."""
        return str(self.q.value("vlmModelDir", "") or "")

    def set_vlm_model_dir(self, path: str) -> None:
        self.q.setValue("vlmModelDir", path)

    def device(self) -> str:
        value = str(self.q.value("device", "cpu"))
        return value if value in DEVICES else "cpu"

    def set_device(self, device: str) -> None:
        if device not in DEVICES:
            raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
        self.q.setValue("device", device)

    def autosave_interval_ms(self) -> int:
        """``autosave/intervalSeconds`` (default 60, at least 0.1): how often unsaved work goes to the recovery
        file. Short intervals are for tests and for users who want less at risk."""
        try:
            seconds = float(self.q.value("autosave/intervalSeconds", 60.0))
        except (TypeError, ValueError):
            seconds = 60.0
        return max(100, int(seconds * 1000))

    def set_autosave_interval(self, seconds: float) -> None:
        self.q.setValue("autosave/intervalSeconds", float(seconds))

    def geometry(self) -> tuple[Optional[QByteArray], Optional[QByteArray]]:
        return self.q.value("window/geometry"), self.q.value("window/state")

    def set_geometry(self, geometry: QByteArray, state: QByteArray) -> None:
        self.q.setValue("window/geometry", geometry)
        self.q.setValue("window/state", state)

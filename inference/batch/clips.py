"""What a batch processes: one :class:`ClipSpec` per video, read from a folder or a manifest.

Manifests name each clip's inputs and options so one command covers a heterogeneous collection:

* **CSV** with a header row: ``video`` (required), ``reconstruction``, ``description``, ``id``, ``options``
  (a JSON object, e.g. ``{"fit_steps": 80}``);
* **JSON lines** (``.jsonl``/``.json``): one object per line with the same keys (``options`` as an object).

Relative paths are resolved against the manifest's folder, so a manifest travels with its videos. A folder input
takes every file with a video suffix, in name order. Clip ids (the output folder names) default to the video's
full file name (``walk.mp4`` and ``walk.avi`` are two clips) and are made unique with a numeric suffix.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Optional, Union

from ..motion import MotionError

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
MANIFEST_KEYS = ("id", "video", "reconstruction", "description", "options")


class BatchError(MotionError):
    """A batch input (folder, manifest, option) is unusable; the message names the file, line and field."""


@dataclass
class ClipOptions:
    """Per-clip settings; the command line sets the defaults and a manifest row may override any of them."""

    max_frames: Optional[int] = None  # only the first N frames
    fit_steps: Optional[int] = None  # full-fit optimisation steps (None: the frontend's default)
    fov: Optional[float] = None  # horizontal field of view in degrees for the fit
    min_found: float = 0.2  # share of frames each person must be detected on, else "no two people"
    describe_backend: str = "offline"
    describe_model_dir: Optional[str] = None  # the vision-language model folder, for describe_backend "vlm"
    infill_steps: int = 20
    refine_method: str = "savgol"  # the engine's default (see inference/engine/refine.py)
    formats: tuple[str, ...] = ("npz", "session")  # of npz, fbx, glb, bvh, session
    seed: int = 0

    def merged(self, overrides: dict[str, Any], where: str) -> "ClipOptions":
        """A copy with ``overrides`` applied; unknown names or wrong types are a :class:`BatchError` at ``where``."""
        known = {f.name: f for f in fields(self)}
        values = {name: getattr(self, name) for name in known}
        for key, value in overrides.items():
            if key not in known:
                raise BatchError(f"{where}: unknown clip option {key!r} (known: {', '.join(sorted(known))})")
            values[key] = _coerce(key, value, values[key], where)
        return ClipOptions(**values)


def _coerce(key: str, value: Any, default: Any, where: str) -> Any:
    if key == "formats":
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(v, str) for v in items):
            raise BatchError(f"{where}: option 'formats' should be a list of names, got {value!r}")
        return tuple(v.strip() for v in items if v.strip())
    if key in ("describe_backend", "refine_method", "describe_model_dir"):
        if value is None and default is None:
            return None
        if not isinstance(value, str):
            raise BatchError(f"{where}: option {key!r} should be text, got {value!r}")
        return value
    if value is None and default is None:
        return None
    kind = float if key in ("fov", "min_found") else int
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BatchError(f"{where}: option {key!r} should be a number, got {value!r}")
    try:
        number = kind(value)
    except ValueError:
        raise BatchError(f"{where}: option {key!r} should be a number, got {value!r}") from None
    if kind is int and float(value) != number:
        raise BatchError(f"{where}: option {key!r} should be a whole number, got {value!r}")
    return number


@dataclass
class ClipSpec:
    """One clip of a batch: its id (output folder name), inputs and options."""

    id: str
    video: Optional[Path]
    reconstruction: Optional[Path] = None  # an existing estimate (.npz or .smsession): skips detection and fit
    description: Optional[str] = None  # the user's text for every flagged segment (replaces the describer's)
    options: ClipOptions = field(default_factory=ClipOptions)
    identity: dict[str, Any] = field(default_factory=dict)  # set by the runner (see .identity), kept in the record

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "video": str(self.video) if self.video else None,
                "reconstruction": str(self.reconstruction) if self.reconstruction else None,
                "description": self.description}


def _safe_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "clip"


def _unique(specs: list[ClipSpec]) -> list[ClipSpec]:
    taken: set[str] = set()
    for spec in specs:
        base, n = spec.id, 1
        while spec.id in taken:
            spec.id, n = f"{base}-{n}", n + 1
        taken.add(spec.id)
    return specs


def read_inputs(path: Union[str, Path], defaults: Optional[ClipOptions] = None) -> list[ClipSpec]:
    """The clips named by ``path``: a folder of videos, a CSV manifest or a JSON-lines manifest."""
    path = Path(path)
    defaults = defaults or ClipOptions()
    if path.is_dir():
        videos = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
        if not videos:
            raise BatchError(f"{path}: no video files ({', '.join(VIDEO_SUFFIXES)}) in this folder")
        return _unique([ClipSpec(_safe_id(v.name), v, options=defaults) for v in videos])
    if not path.is_file():
        raise BatchError(f"{path}: no such folder or manifest")
    if path.suffix.lower() == ".csv":
        rows = _csv_rows(path)
    elif path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        rows = _jsonl_rows(path)
    else:
        raise BatchError(f"{path}: expected a folder of videos or a manifest (.csv or .jsonl)")
    specs = [_spec_from_row(row, f"{path}:{line}", path.parent, defaults) for line, row in rows]
    if not specs:
        raise BatchError(f"{path}: the manifest lists no clips")
    return _unique(specs)


def _csv_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or "video" not in reader.fieldnames:
            raise BatchError(f"{path}: the CSV header needs a 'video' column (columns: {', '.join(MANIFEST_KEYS)})")
        rows = []
        for row in reader:
            line = reader.line_num
            clean = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
            if "options" in clean:
                try:
                    clean["options"] = json.loads(clean["options"])
                except json.JSONDecodeError as exc:
                    raise BatchError(f"{path}:{line}: field 'options' is not a JSON object ({exc})") from None
            rows.append((line, clean))
        return rows


def _jsonl_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BatchError(f"{path}:{line}: not valid JSON ({exc})") from None
        if not isinstance(row, dict):
            raise BatchError(f"{path}:{line}: expected a JSON object per line")
        rows.append((line, row))
    return rows


def _spec_from_row(row: dict[str, Any], where: str, base: Path, defaults: ClipOptions) -> ClipSpec:
    unknown = set(row) - set(MANIFEST_KEYS)
    if unknown:
        raise BatchError(f"{where}: unknown field(s) {sorted(unknown)} (known: {', '.join(MANIFEST_KEYS)})")

    def a_path(key: str) -> Optional[Path]:
        value = row.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise BatchError(f"{where}: field {key!r} should be a path, got {value!r}")
        p = Path(value).expanduser()
        return p if p.is_absolute() else base / p

    video, recon = a_path("video"), a_path("reconstruction")
    if video is None and recon is None:
        raise BatchError(f"{where}: field 'video' is missing (or give a 'reconstruction')")
    options = row.get("options") or {}
    if not isinstance(options, dict):
        raise BatchError(f"{where}: field 'options' should be an object, got {options!r}")
    description = row.get("description")
    if description is not None and not isinstance(description, str):
        raise BatchError(f"{where}: field 'description' should be text")
    clip_id = row.get("id") or (video or recon).name  # type: ignore[union-attr]
    return ClipSpec(_safe_id(str(clip_id)), video, recon, description, defaults.merged(options, where))

"""Per-clip output folders that appear whole or not at all, and the small JSON record that says what happened.

A clip is processed in a hidden staging folder beside its final one (``.ID.partial-TOKEN``) and moved into place
with a rename only when its record is written, so a worker killed mid-clip leaves nothing that looks finished:
the next run (or the end of this one) deletes the leftovers. Replacing an earlier result (a retried failure,
``--force``) moves the old folder aside first (``.ID.old-TOKEN``), so a crash between the two renames is
repaired on the next run by moving it back.

Layout of ``OUT/clips/ID/``: ``status.json`` (always), plus on success ``session.smsession``, ``motion.npz``,
``motion_A.fbx``… as the clip's formats ask, and ``keypoints.npz`` when the clip was detected from video.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..io.atomic import atomic_write

STATUS_FILE = "status.json"
STATUS_VERSION = 1
DONE, FAILED = "done", "failed"


@dataclass
class ClipRecord:
    """What ``status.json`` holds: enough to resume, to fill the summary table and to open the clip."""

    clip: str
    status: str  # DONE or FAILED
    video: Optional[str] = None
    stages: dict[str, float] = field(default_factory=dict)  # seconds per finished stage, in order
    substages: dict[str, float] = field(default_factory=dict)  # e.g. reconstruct's keypoints vs fit seconds
    failed_stage: Optional[str] = None
    error: Optional[str] = None
    frames: Optional[int] = None
    fps: Optional[float] = None
    segments: Optional[int] = None  # flagged segments
    quality: dict[str, float] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)  # file names inside the clip folder
    cpu_seconds: float = 0.0  # CPU time of the worker process over the clip (all threads): contention-free work
    attempt: int = 1  # how many runs have tried this clip (a rerun of a failure counts up)
    identity: dict[str, Any] = field(default_factory=dict)  # inputs and options it was made from (see .identity)
    worker: str = ""  # host:pid that wrote it
    finished_at: float = 0.0
    version: int = STATUS_VERSION

    @property
    def seconds(self) -> float:
        return float(sum(self.stages.values()))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ClipRecord":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def read_record(clip_dir: Path) -> Optional[ClipRecord]:
    """The clip's record, or None when it has none (never run) or it is unreadable (treated as not run)."""
    try:
        return ClipRecord.from_json(json.loads((clip_dir / STATUS_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def new_staging_dir(clip_dir: Path) -> Path:
    staging = clip_dir.with_name(f".{clip_dir.name}.partial-{uuid.uuid4().hex[:10]}")
    staging.mkdir(parents=True)
    return staging


def commit(staging: Path, clip_dir: Path, record: ClipRecord) -> None:
    """Write the record into ``staging`` and move it to ``clip_dir`` (replacing an earlier result)."""
    atomic_write(staging / STATUS_FILE, json.dumps(record.to_json(), indent=1, sort_keys=True).encode())
    old = None
    if clip_dir.exists():
        old = clip_dir.with_name(f".{clip_dir.name}.old-{uuid.uuid4().hex[:10]}")
        os.replace(clip_dir, old)
    os.replace(staging, clip_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def clean_leftovers(clips_root: Path) -> list[str]:
    """Remove staging folders of interrupted attempts; restore a result moved aside by an interrupted commit.

    Call only while no clip of this batch is being processed. Returns the names removed or restored."""
    touched = []
    if not clips_root.is_dir():
        return touched
    for entry in sorted(clips_root.iterdir()):
        if not entry.name.startswith("."):
            continue
        if ".partial-" in entry.name:
            shutil.rmtree(entry, ignore_errors=True)
            touched.append(entry.name)
        elif ".old-" in entry.name:
            final = clips_root / entry.name[1:].split(".old-")[0]
            if final.exists():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                os.replace(entry, final)
            touched.append(entry.name)
    return touched

"""What makes a clip's result reusable: the inputs' full names and contents, and every option that changes what
the clip's outputs hold.

A rerun reuses a finished clip only when its recorded identity equals the current one; otherwise the clip is
processed again and the reason (which part changed) is reported. Matching by file-name stem mixed clips up:
``walk.avi`` added beside ``walk.mp4`` took over the ``.mp4``'s result, and a changed ``--formats`` silently
reused old outputs.

The content fingerprint reads the whole file up to 16 MiB and, for larger files, the first and last MiB plus 16
evenly spaced 64 KiB samples, with the size: fast on hour-long videos, and any re-encode, trim or replacement
changes it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from .clips import ClipSpec

FULL_READ = 16 << 20
EDGE = 1 << 20
SAMPLE, SAMPLES = 64 << 10, 16


def fingerprint(path: Path) -> Optional[str]:
    """A content fingerprint of ``path`` (None when it cannot be read: the clip's own stage reports that)."""
    try:
        size = os.path.getsize(path)
        digest = hashlib.blake2b(str(size).encode(), digest_size=16)
        with open(path, "rb") as fh:
            if size <= FULL_READ:
                digest.update(fh.read())
            else:
                offsets = [0] + [EDGE + i * (size - 2 * EDGE) // SAMPLES for i in range(SAMPLES)] + [size - EDGE]
                for offset in offsets:
                    fh.seek(offset)
                    digest.update(fh.read(EDGE if offset in (0, size - EDGE) else SAMPLE))
        return digest.hexdigest()
    except OSError:
        return None


def clip_identity(spec: "ClipSpec", stages: tuple[str, ...]) -> dict[str, Any]:
    """The clip's identity as JSON-ready data: inputs (full name + fingerprint), text, options, stages."""
    def source(path: Optional[Path]) -> Optional[dict[str, Any]]:
        return None if path is None else {"name": Path(path).name, "fingerprint": fingerprint(Path(path))}

    options = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(spec.options).items()}
    return {"video": source(spec.video), "reconstruction": source(spec.reconstruction),
            "description": spec.description, "options": options, "stages": list(stages)}


def changes(recorded: dict[str, Any], current: dict[str, Any]) -> str:
    """Why a recorded identity no longer holds, in words ("" when it does)."""
    if not recorded:
        return "its earlier result records no inputs and options"
    parts = []
    for key in ("video", "reconstruction"):
        old, new = recorded.get(key), current.get(key)
        if old != new:
            same_name = old is not None and new is not None and old.get("name") == new.get("name")
            parts.append(f"{key} {'content' if same_name else 'file'} changed")
    options = sorted(k for k in set(recorded.get("options", {})) | set(current["options"])
                     if recorded.get("options", {}).get(k) != current["options"].get(k))
    if options:
        parts.append(f"options changed: {', '.join(options)}")
    for key in ("description", "stages"):
        if recorded.get(key) != current.get(key):
            parts.append(f"{key} changed")
    return "; ".join(parts)

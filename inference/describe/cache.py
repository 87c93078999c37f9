"""A disk cache of descriptions, so reopening a session (or re-running the CLI) does not recompute them.

The key is a SHA-256 over the backend id, the segment's frame range and the bytes of the motion inside that range
(both people's pose, translation and shape): editing the motion of a segment, moving its bounds or switching the
model each give a new key, while everything outside the segment is irrelevant to it. A backend that reads more
than the motion adds it through ``Describer.cache_salt`` (the VLM: a hash of the pixels it is shown and its prompt
version), so the same motion over a different video is not answered from the cache.

One small JSON file per entry: human-readable, safe to delete, and written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ..io.atomic import atomic_write
from .base import CancelFn, Describer, DescribeInput, Description, ProgressFn, never_cancelled, no_progress

CACHE_ENV = "SM_STUDIO_CACHE"


def default_cache_dir() -> Path:
    """``$SM_STUDIO_CACHE/descriptions``, else ``$XDG_CACHE_HOME/sm-studio/descriptions`` (``~/.cache``)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]) / "descriptions"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "sm-studio" / "descriptions"


def cache_key(backend_id: str, inp: DescribeInput, salt: str = "") -> str:
    seg = inp.segment
    h = hashlib.sha256()
    h.update(f"{backend_id}\0{seg.start}\0{seg.stop}\0{inp.reconstruction.fps}\0{salt}".encode())
    for _, person in inp.motion:
        for arr in (person.global_orient, person.body_pose, person.transl, person.betas):
            h.update(np.ascontiguousarray(arr, np.float32).tobytes())
    return h.hexdigest()


class DescriptionCache:
    """Descriptions on disk, keyed by ``cache_key``."""

    def __init__(self, directory: Optional[Union[str, Path]] = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str) -> Optional[Description]:
        """The stored description, or ``None`` (a missing or unreadable entry is a miss, never an error)."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            return Description(str(data["text"]), str(data["author"]), dict(data.get("details", {})), cached=True)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, description: Description) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        payload = {"text": description.text, "author": description.author, "details": description.details}
        atomic_write(self._path(key), json.dumps(payload, indent=1).encode("utf-8"))


def describe_cached(describer: Describer, inp: DescribeInput, cache: Optional[DescriptionCache],
                    progress: ProgressFn = no_progress, cancel: CancelFn = never_cancelled) -> Description:
    """``describer.describe_job(inp, progress, cancel)``, answered from ``cache`` when this segment was described
    before."""
    if cache is None:
        return describer.describe_job(inp, progress, cancel)
    key = cache_key(describer.backend_id, inp, describer.cache_salt(inp))
    hit = cache.get(key)
    if hit is not None:
        return hit
    result = describer.describe_job(inp, progress, cancel)
    cache.put(key, result)
    return result


class CachedDescriber(Describer):
    """A backend behind the disk cache, usable wherever a backend is: what the app holds, so reopening a session
    or asking again for an unchanged segment costs a file read."""

    def __init__(self, inner: Describer, cache: Optional[DescriptionCache] = None) -> None:
        self.inner = inner
        self.cache = cache if cache is not None else DescriptionCache()

    @property
    def backend_id(self) -> str:
        return self.inner.backend_id

    @property
    def author(self) -> str:
        return self.inner.author

    def cache_salt(self, inp: DescribeInput) -> str:
        return self.inner.cache_salt(inp)

    def describe(self, inp: DescribeInput) -> Description:
        return describe_cached(self.inner, inp, self.cache)

    def describe_job(self, inp: DescribeInput, progress: ProgressFn, cancel: CancelFn) -> Description:
        return describe_cached(self.inner, inp, self.cache, progress, cancel)

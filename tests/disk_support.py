"""Real small filesystems for the full-disk and read-only tests: a tmpfs mounted for the test (skipped where
mounting is not allowed, i.e. without root) and a way to take every free block."""

from __future__ import annotations

import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest


@contextmanager
def small_tmpfs(point: Path, size: str, *options: str) -> Iterator[Path]:
    point.mkdir(parents=True, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join((f"size={size}",) + options), "tmpfs", str(point)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=False)


def fill_up(folder: Path) -> None:
    """Write ``folder/filler`` until the disk is full."""
    with open(folder / "filler", "wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0" * 4096)
        except OSError:
            pass

"""Keeping MediaPipe/LiteRT's native log lines off the user's console.

The pose model's C++ runtime writes straight to file descriptor 2 (not through Python's ``warnings`` or
``logging``): 76 "Sparsity tensors may not yet be fully supported" warnings and ~25 LiteRT/XNNPACK lines per run,
none of which a user can act on. :func:`quiet_native_stderr` captures the descriptor around calls into that
runtime and writes back only the lines that match none of the known-harmless patterns, so a real native error
still reaches the console.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from contextlib import contextmanager
from typing import Iterator

# Lines the runtime prints on every run (model load, accelerator set-up, buffer alignment notices, teardown).
HARMLESS = re.compile(
    r"Sparsity tensors may not yet be fully supported"
    r"|LiteRT|XNNPACK|Accelerator|accelerator_registry|Flatbuffer model initialized"
    r"|Logging before InitGoogle|unaligned buffer|not aligned according to"
    r"|NORM_RECT without IMAGE_DIMENSIONS|TensorFlow Lite")


def filter_lines(text: str) -> str:
    """``text`` without the known-harmless runtime lines (blank lines dropped too)."""
    kept = [line for line in text.splitlines() if line.strip() and not HARMLESS.search(line)]
    return "".join(line + "\n" for line in kept)


@contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Capture fd 2 for the duration of the block; re-emit what :func:`filter_lines` keeps."""
    fd = 2  # where native code writes, whatever object ``sys.stderr`` is
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), fd)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            sink.seek(0)
            rest = filter_lines(sink.read().decode("utf-8", "replace"))
            if rest:
                sys.stderr.write(rest)
                sys.stderr.flush()

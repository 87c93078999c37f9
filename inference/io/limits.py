"""The bounds every reader applies before it trusts a file: one place, so every way in refuses the same things.

A few bytes can claim gigabytes: a zip member whose header promises 4 GB, an ``.npy`` header claiming 10^11 rows,
a pickle opcode with a 2^40-byte length, JSON nested a million deep. Each limit here is checked *before* memory is
allocated, and each refusal is a :class:`~inference.motion.MotionError` of one sentence naming the file and what
is wrong. The limits are generous for real work (half a million frames, about 4.6 hours at 30 fps, fit easily) and
``SM_STUDIO_MAX_READ_MB`` raises the per-array/member budget for unusually large files.

Frame rates are checked here too (:func:`check_frame_rate`): a rate read from a file must lie in 1–1000 fps (an
absurd rate gives infinite timestamps downstream, e.g. a glTF ``max`` of ``Infinity``); a rate the user states
(``--fps``) is the override and only has to keep timestamps finite.
"""

from __future__ import annotations

import json
import math
import os
import stat
import zipfile
from pathlib import Path
from typing import Any, Union

from ..motion import MotionError

MB = 1 << 20
MAX_MEMBER_BYTES = int(float(os.environ.get("SM_STUDIO_MAX_READ_MB", "512")) * MB)  # one array / zip member / pickle
MAX_RATIO = 1000  # compressed → uncompressed expansion refused above RATIO_FLOOR (deflate itself tops out ~1030)
RATIO_FLOOR = 64 * MB
MAX_FRAMES = 500_000  # about 4.6 h at 30 fps
MAX_JSON_BYTES = 16 * MB
MAX_INT_DIGITS = 30
FILE_FPS = (1.0, 1000.0)
USER_FPS = (1e-3, 1e6)

PathLike = Union[str, os.PathLike]


def check_regular_file(path: PathLike, label: str = "") -> int:
    """The size of ``path`` when it is a regular file (following links); otherwise a one-sentence refusal. Checked
    without opening, so a FIFO named ``x.npz`` is refused instead of blocking the reader for ever."""
    label = label or str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise MotionError(f"{label}: file not found") from None
    except OSError as exc:
        raise MotionError(f"{label}: cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a pipe" if stat.S_ISFIFO(info.st_mode) else \
            "a device or socket"
        raise MotionError(f"{label}: is {kind}, not a regular file")
    return info.st_size


def check_member(info: zipfile.ZipInfo, label: str, limit: int = MAX_MEMBER_BYTES) -> None:
    """Refuse a zip member whose declared size or expansion ratio is beyond the limits, before reading it (the
    declared size also bounds what ``zipfile`` will decompress)."""
    size, packed = info.file_size, max(info.compress_size, 1)
    if size > limit:
        raise MotionError(f"{label}: part '{info.filename}' would expand to {size / MB:,.0f} MB, over the "
                          f"{limit / MB:,.0f} MB limit (SM_STUDIO_MAX_READ_MB raises it)")
    if size > RATIO_FLOOR and size / packed > MAX_RATIO:
        raise MotionError(f"{label}: part '{info.filename}' expands {size / packed:,.0f}-fold, which only a "
                          f"decompression bomb does")


def check_array_bytes(count: int, itemsize: int, where: str, limit: int = MAX_MEMBER_BYTES) -> int:
    """``count × itemsize`` bytes when within the limit (Python ints: no overflow for absurd shapes); ``where``
    names the file and array ("x.npz: key 'A_transl'")."""
    nbytes = int(count) * int(itemsize)
    if nbytes > limit:
        raise MotionError(f"{where} claims {nbytes / MB:,.0f} MB, over the {limit / MB:,.0f} MB limit")
    return nbytes


def check_frames(frames: int, label: str) -> int:
    if frames > MAX_FRAMES:
        raise MotionError(f"{label}: {frames:,} frames; the longest supported is {MAX_FRAMES:,} "
                          f"(about {MAX_FRAMES / 30 / 3600:.1f} h at 30 fps)")
    return int(frames)


def check_frame_rate(value: Any, label: str, user: bool = False) -> float:
    """A frame rate as a float: from a file within 1–1000 fps; stated by the user (``user=True``: the override of
    a file's rate) anywhere that keeps timestamps finite. One shared check for every entry point."""
    try:
        fps = float(value)
    except (TypeError, ValueError, OverflowError):
        raise MotionError(f"{label}: frame rate should be a number, got {value!r}") from None
    low, high = USER_FPS if user else FILE_FPS
    if not (math.isfinite(fps) and low <= fps <= high):
        hint = "" if user else "; if that is really the rate, state it with --fps"
        raise MotionError(f"{label}: frame rate {fps:g} fps is outside {low:g}–{high:g} fps{hint}")
    return fps


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"a {len(text)}-digit integer")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} overflows a float")
    return value


def parse_json(data: Union[str, bytes], label: str, limit: int = MAX_JSON_BYTES, nonfinite: bool = False) -> Any:
    """JSON with bounds: at most ``limit`` bytes, integers of at most 30 digits, finite numbers only (no NaN,
    Infinity or 1e999; ``nonfinite=True`` lets them through for data arrays whose reader names the bad value),
    nesting only as deep as the parser's recursion allows. One sentence on refusal."""
    if len(data) > limit:
        raise MotionError(f"{label}: {len(data) / MB:,.1f} MB of JSON, over the {limit / MB:,.0f} MB limit")
    numbers = {} if nonfinite else {"parse_float": _finite_float, "parse_constant": _refuse_constant}
    try:
        return json.loads(data, parse_int=_bounded_int, **numbers)
    except RecursionError:
        raise MotionError(f"{label}: JSON nested too deeply to read") from None
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise MotionError(f"{label}: not valid JSON ({str(exc).splitlines()[0][:120]})") from None


def read_json_file(path: PathLike, label: str = "", limit: int = MAX_JSON_BYTES, nonfinite: bool = False) -> Any:
    """A JSON file through :func:`check_regular_file` and :func:`parse_json`."""
    label = label or str(path)
    size = check_regular_file(path, label)
    if size > limit:
        raise MotionError(f"{label}: {size / MB:,.1f} MB of JSON, over the {limit / MB:,.0f} MB limit")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise MotionError(f"{label}: cannot be read ({exc.strerror or exc})") from None
    return parse_json(data, label, limit, nonfinite)

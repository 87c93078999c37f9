"""BVH motion capture files: parsing and forward kinematics of the file's own skeleton.

BVH conventions followed (Biovision's, as Blender and most tools read them): each joint's rotation channels are
applied in the order listed (``Zrotation Xrotation Yrotation`` → ``Rz Rx Ry``, degrees, column vectors); a
joint's position channels, when present, replace its ``OFFSET`` as the translation from its parent (the root's
are its absolute position); the rest pose is all rotations zero. End Sites are kept as points named
``PARENT/end`` (some rigs' only toe).
"""

from __future__ import annotations

import io
import math
import os
import re
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional, TextIO, Union

import numpy as np

from ..motion import MotionError

MIN_FPS, MAX_FPS = 1.0, 1000.0  # frame rates a file may state without an override
# Bounds checked before anything is allocated for them: a real capture is far inside every one.
MAX_BYTES = 1 << 30  # file size
MAX_LINE = 1 << 20  # characters per line (a frame of a 1000-joint rig is ~100 KB)
MAX_JOINTS = 1000  # joints (and, separately, End Sites); body rigs have 20–300
MAX_FRAMES = 250_000  # frames: 35 min at 120 fps
MAX_POINT_FRAMES = 50_000_000  # frames × (joints + End Sites): the work of forward kinematics
_AXES = {"X": 0, "Y": 1, "Z": 2}
_CHANNELS = {f"{a}{kind}" for a in "XYZ" for kind in ("position", "rotation")}


@dataclass
class BvhSkeleton:
    names: list[str]
    parents: np.ndarray  # (J,) -1 for the root
    offsets: np.ndarray  # (J, 3)
    channels: list[list[str]]  # per joint, e.g. ["Xposition", ..., "Zrotation", ...]
    frame_time: float
    motion: np.ndarray  # (F, C) all channels of every frame
    label: str
    end_sites: tuple[tuple[int, tuple[float, float, float]], ...] = ()  # (parent joint, offset)

    @property
    def num_frames(self) -> int:
        return int(self.motion.shape[0])

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    def index(self, name: str) -> int:
        return self.names.index(name)

    def frames(self, start: int, stop: int) -> "BvhSkeleton":
        """The same skeleton with only frames ``start:stop``."""
        return replace(self, motion=self.motion[start:stop])

    @property
    def point_names(self) -> list[str]:
        """Joints, then End Sites as ``PARENT/end``: the names :meth:`points` and :meth:`rest_points` follow."""
        return self.names + [f"{self.names[p]}/end" for p, _ in self.end_sites]

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """World positions ``(F, P, 3)`` and rotations ``(F, P, 3, 3)`` of joints and End Sites (an End Site
        turns with its parent)."""
        pos, rot = self.forward_kinematics()
        if not self.end_sites:
            return pos, rot
        parents = [p for p, _ in self.end_sites]
        offsets = np.array([o for _, o in self.end_sites], np.float64)
        ends = pos[:, parents] + np.einsum("fpij,pj->fpi", rot[:, parents], offsets)
        return np.concatenate([pos, ends], 1), np.concatenate([rot, rot[:, parents]], 1)

    def rest_points(self) -> np.ndarray:
        """Rest positions ``(P, 3)`` of joints and End Sites, root at the origin."""
        rest = self.rest_positions()
        ends = [rest[p] + np.asarray(o) for p, o in self.end_sites]
        return np.concatenate([rest, np.reshape(ends, (-1, 3))], 0)

    def forward_kinematics(self) -> tuple[np.ndarray, np.ndarray]:
        """World joint positions ``(F, J, 3)`` and rotations ``(F, J, 3, 3)`` in the file's units and axes."""
        frames, joints = self.num_frames, len(self.names)
        local_rot = np.repeat(np.eye(3)[None, None], frames, 0).repeat(joints, 1)
        local_pos = np.repeat(self.offsets[None], frames, 0).copy()
        col = 0
        for j, chans in enumerate(self.channels):
            for name in chans:
                values = self.motion[:, col]
                axis = _AXES[name[0]]
                if name.endswith("position"):
                    local_pos[:, j, axis] = values
                else:
                    local_rot[:, j] = local_rot[:, j] @ _axis_rotation(axis, np.radians(values))
                col += 1
        pos = np.zeros((frames, joints, 3))
        rot = np.zeros((frames, joints, 3, 3))
        for j in range(joints):
            p = int(self.parents[j])
            if p < 0:
                rot[:, j], pos[:, j] = local_rot[:, j], local_pos[:, j]
            else:
                rot[:, j] = rot[:, p] @ local_rot[:, j]
                pos[:, j] = pos[:, p] + np.einsum("fij,fj->fi", rot[:, p], local_pos[:, j])
        return pos, rot

    def rest_positions(self) -> np.ndarray:
        """Joint positions ``(J, 3)`` with every rotation zero and the root at the origin (offsets only)."""
        pos = np.zeros((len(self.names), 3))
        for j in range(len(self.names)):
            p = int(self.parents[j])
            pos[j] = self.offsets[j] if p < 0 else pos[p] + self.offsets[j]
        return pos - pos[0]


def _axis_rotation(axis: int, angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    out = np.zeros(angle.shape + (3, 3))
    i, k = [(1, 2), (2, 0), (0, 1)][axis]
    out[..., axis, axis] = 1.0
    out[..., i, i], out[..., i, k], out[..., k, i], out[..., k, k] = c, -s, s, c
    return out


class _Tokens:
    """Tokens of a BVH text, line by line, never holding more than one line (of at most :data:`MAX_LINE`
    characters) beyond what the caller keeps."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream, self.label, self.line_no = stream, label, 0
        self.pending: list[str] = []

    def line(self) -> Optional[str]:
        """The next raw line, or None at the end of the file."""
        line = self.stream.readline(MAX_LINE + 1)
        if not line:
            return None
        self.line_no += 1
        if len(line) > MAX_LINE and not line.endswith("\n"):
            raise MotionError(f"{self.label}: line {self.line_no} is longer than {MAX_LINE} characters")
        return line

    def take(self, what: str) -> str:
        while not self.pending:
            line = self.line()
            if line is None:
                raise MotionError(f"{self.label}: file ends early (expected {what})")
            self.pending = _TOKEN.findall(line)[::-1]
        return self.pending.pop()


_TOKEN = re.compile(r"[^\s{}]+|[{}]")


def read_bvh(path: Union[str, Path], fps: Optional[float] = None) -> BvhSkeleton:
    """A BVH file (a regular file of at most :data:`MAX_BYTES`); ``fps`` replaces its ``Frame Time``, which must
    otherwise say :data:`MIN_FPS`–:data:`MAX_FPS` fps."""
    label = str(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise MotionError(f"{label}: not a regular file")
        if info.st_size > MAX_BYTES:
            raise MotionError(f"{label}: {info.st_size} bytes, more than the {MAX_BYTES} a BVH file may have here")
        with open(path, encoding="utf-8", errors="replace") as stream:
            skel = _parse(_Tokens(stream, label), label, info.st_size)
    except FileNotFoundError:
        raise MotionError(f"{label}: file not found") from None
    except OSError as exc:
        raise MotionError(f"{label}: cannot be read ({exc.strerror or exc})") from None
    if fps is not None:
        if not MIN_FPS <= fps <= MAX_FPS:
            raise MotionError(f"{label}: frame rate {fps:g} fps is outside {MIN_FPS:g}–{MAX_FPS:g} fps")
        return replace(skel, frame_time=1.0 / fps)
    if not MIN_FPS <= skel.fps <= MAX_FPS:
        raise MotionError(f"{label}: 'Frame Time' {skel.frame_time:g} s means {skel.fps:g} fps, outside "
                          f"{MIN_FPS:g}–{MAX_FPS:g} fps; give the real rate (--fps)")
    return skel


def parse_bvh(text: str, label: str = "<bvh>") -> BvhSkeleton:
    """A BVH file's text (the same limits as :func:`read_bvh`, except the frame rate's)."""
    return _parse(_Tokens(io.StringIO(text), label), label, len(text))


def _parse(tokens: _Tokens, label: str, size: int) -> BvhSkeleton:
    take = tokens.take

    def expect(word: str) -> None:
        tok = take(word)
        if tok.upper() != word.upper():
            raise MotionError(f"{label}: expected '{word}', found '{tok}' (line {tokens.line_no})")

    def number(what: str) -> float:
        tok = take(what)
        try:
            value = float(tok)
        except ValueError:
            raise MotionError(f"{label}: expected a number for {what}, found '{tok}' (line {tokens.line_no})") from None
        if not math.isfinite(value):
            raise MotionError(f"{label}: {what} is '{tok}', not a finite number")
        return value

    def count(what: str, most: float = math.inf) -> int:
        value = number(what)
        if value != int(value) or not 0 <= value <= most:
            raise MotionError(f"{label}: {what} should be a whole number from 0 to {most:g}, got {value:g}")
        return int(value)

    expect("HIERARCHY")
    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[list[str]] = []
    end_sites: list[tuple[int, tuple[float, float, float]]] = []
    stack: list[int] = []
    expect("ROOT")
    pending = "joint"
    while True:
        if pending == "joint":
            if len(names) >= MAX_JOINTS:
                raise MotionError(f"{label}: more than {MAX_JOINTS} joints, more than any body rig has")
            name = take("joint name")
            names.append(name)
            parents.append(stack[-1] if stack else -1)
            expect("{")
            stack.append(len(names) - 1)
            expect("OFFSET")
            offsets.append([number("OFFSET") for _ in range(3)])
            expect("CHANNELS")
            chans = [take("channel name") for _ in range(count("CHANNELS count", len(_CHANNELS)))]
            bad = [c for c in chans if c not in _CHANNELS]
            if bad:
                raise MotionError(f"{label}: joint '{name}' has unknown channel '{bad[0]}'")
            channels.append(chans)
        tok = take("JOINT, End Site or }")
        up = tok.upper()
        if up == "JOINT":
            pending = "joint"
        elif up == "END":
            expect("Site")
            expect("{")
            expect("OFFSET")
            end = (number("End Site OFFSET"), number("End Site OFFSET"), number("End Site OFFSET"))
            if len(end_sites) >= MAX_JOINTS:
                raise MotionError(f"{label}: more than {MAX_JOINTS} End Sites, more than any body rig has")
            end_sites.append((stack[-1], end))
            expect("}")
            pending = "none"
        elif tok == "}":
            stack.pop()
            pending = "none"
            if not stack:
                break
        else:
            raise MotionError(f"{label}: unexpected '{tok}' in HIERARCHY (line {tokens.line_no})")
    expect("MOTION")
    expect("Frames:")
    num_frames = count("Frames", MAX_FRAMES)
    expect("Frame")
    expect("Time:")
    frame_time = number("Frame Time")
    if not frame_time > 0:
        raise MotionError(f"{label}: 'Frame Time' must be positive, got {frame_time}")
    if num_frames == 0:
        raise MotionError(f"{label}: no frames")
    points = len(names) + len(end_sites)
    if num_frames * points > MAX_POINT_FRAMES:
        raise MotionError(f"{label}: {num_frames} frames of {points} joints and End Sites is more than the "
                          f"{MAX_POINT_FRAMES} joint-frames this reader handles")
    num_channels = sum(len(c) for c in channels)
    needed = num_frames * num_channels
    if 2 * needed > size + 1:  # every value takes a digit and a separator: refuse a lying count before allocating
        raise MotionError(f"{label}: says {num_frames} frames × {num_channels} channels, more values than its "
                          f"{size} bytes can hold")
    motion = _motion_values(tokens, num_frames, num_channels, label).reshape(num_frames, num_channels)
    return BvhSkeleton(names, np.array(parents), np.array(offsets, np.float64), channels, frame_time, motion, label,
                       tuple(end_sites))


def _motion_values(tokens: _Tokens, frames: int, channels: int, label: str) -> np.ndarray:
    """The first ``frames × channels`` numbers of the MOTION section (anything after them is ignored)."""
    needed = frames * channels
    out = np.empty(needed, np.float64)
    filled = 0
    chunk: Optional[list[str]] = tokens.pending[::-1]
    tokens.pending = []
    while filled < needed and chunk is not None:
        try:
            values = np.array(chunk[:needed - filled], dtype=np.float64)
        except ValueError:
            raise MotionError(f"{label}: MOTION holds a non-number (line {tokens.line_no})") from None
        out[filled:filled + len(values)] = values
        filled += len(values)
        line = tokens.line() if filled < needed else None
        chunk = None if line is None else line.split()
    if filled < needed:
        raise MotionError(f"{label}: MOTION has {filled} values, {frames} frames × {needed // frames} channels "
                          f"need {needed}")
    if not np.all(np.isfinite(out)):
        raise MotionError(f"{label}: MOTION holds non-finite values")
    return out

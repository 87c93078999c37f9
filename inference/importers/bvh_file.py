"""BVH motion capture files: parsing and forward kinematics of the file's own skeleton.

BVH conventions followed (Biovision's, as Blender and most tools read them): each joint's rotation channels are
applied in the order listed (``Zrotation Xrotation Yrotation`` → ``Rz Rx Ry``, degrees, column vectors); a
joint's position channels, when present, replace its ``OFFSET`` as the translation from its parent (the root's
are its absolute position); the rest pose is all rotations zero. End Sites are kept as points named
``PARENT/end`` (some rigs' only toe).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ..motion import MotionError

MIN_FPS, MAX_FPS = 1.0, 1000.0  # frame rates a file may state without an override
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


def read_bvh(path: Union[str, Path], fps: Optional[float] = None) -> BvhSkeleton:
    """A BVH file; ``fps`` replaces its ``Frame Time`` (which must otherwise say 1–1000 fps)."""
    label = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise MotionError(f"{label}: file not found") from None
    except OSError as exc:
        raise MotionError(f"{label}: cannot be read ({exc})") from None
    skel = parse_bvh(text, label)
    if fps is not None:
        if not MIN_FPS <= fps <= MAX_FPS:
            raise MotionError(f"{label}: frame rate {fps:g} fps is outside {MIN_FPS:g}–{MAX_FPS:g} fps")
        return replace(skel, frame_time=1.0 / fps)
    if not MIN_FPS <= skel.fps <= MAX_FPS:
        raise MotionError(f"{label}: 'Frame Time' {skel.frame_time:g} s means {skel.fps:g} fps, outside "
                          f"{MIN_FPS:g}–{MAX_FPS:g} fps; give the real rate (--fps)")
    return skel


def parse_bvh(text: str, label: str = "<bvh>") -> BvhSkeleton:
    tokens = re.findall(r"[^\s{}]+|[{}]", text)
    pos = 0

    def take(what: str) -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise MotionError(f"{label}: file ends early (expected {what})")
        pos += 1
        return tokens[pos - 1]

    def expect(word: str) -> None:
        tok = take(word)
        if tok.upper() != word.upper():
            raise MotionError(f"{label}: expected '{word}', found '{tok}' (token {pos})")

    def number(what: str) -> float:
        tok = take(what)
        try:
            value = float(tok)
        except ValueError:
            raise MotionError(f"{label}: expected a number for {what}, found '{tok}'") from None
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
            end_sites.append((stack[-1], end))
            expect("}")
            pending = "none"
        elif tok == "}":
            stack.pop()
            pending = "none"
            if not stack:
                break
        else:
            raise MotionError(f"{label}: unexpected '{tok}' in HIERARCHY")
    expect("MOTION")
    expect("Frames:")
    num_frames = count("Frames")
    expect("Frame")
    expect("Time:")
    frame_time = number("Frame Time")
    if not frame_time > 0:
        raise MotionError(f"{label}: 'Frame Time' must be positive, got {frame_time}")
    num_channels = sum(len(c) for c in channels)
    values = tokens[pos:]
    if len(values) < num_frames * num_channels:
        raise MotionError(f"{label}: MOTION has {len(values)} values, {num_frames} frames × {num_channels} "
                          f"channels need {num_frames * num_channels}")
    try:
        motion = np.array(values[:num_frames * num_channels], dtype=np.float64).reshape(num_frames, num_channels)
    except ValueError as exc:
        raise MotionError(f"{label}: MOTION holds a non-number ({exc})") from None
    if num_frames == 0:
        raise MotionError(f"{label}: no frames")
    if not np.all(np.isfinite(motion)):
        raise MotionError(f"{label}: MOTION holds non-finite values")
    return BvhSkeleton(names, np.array(parents), np.array(offsets, np.float64), channels, frame_time, motion, label,
                       tuple(end_sites))

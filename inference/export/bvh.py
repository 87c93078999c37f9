"""BVH: one file per person, the channel layout most mocap tools expect.

The root carries ``Xposition Yposition Zposition Zrotation Xrotation Yrotation``, every other joint
``Zrotation Xrotation Yrotation`` (``R = Rz Rx Ry``, the CMU/Motionbuilder habit). The root's OFFSET is zero and
its position channels hold the absolute root position: readers disagree on whether OFFSET is added to the root
channels, and with a zero OFFSET both readings agree. Leaf joints get an ``End Site`` (the format requires
one) half a bone further along their bone, so tools draw the last segment.
"""

from __future__ import annotations

import numpy as np

from ..skeleton import children
from .euler import matrices_to_euler
from .tracks import PersonTrack

_ROT_CHANNELS = "Zrotation Xrotation Yrotation"


def depth_first(parents: np.ndarray) -> list[int]:
    """Joint indices in the order the hierarchy is written (and the frame values follow)."""
    kids = children(parents)
    order: list[int] = []
    stack = [0]
    while stack:
        j = stack.pop()
        order.append(j)
        stack.extend(reversed(kids[j]))
    return order


def bvh_text(track: PersonTrack) -> str:
    kids = children(track.parents)
    offsets = track.rest_offsets
    lines = ["HIERARCHY"]

    def emit(j: int, depth: int) -> None:
        pad = "  " * depth
        keyword = "ROOT" if j == 0 else "JOINT"
        offset = np.zeros(3) if j == 0 else offsets[j]
        lines.append(f"{pad}{keyword} {track.joint_names[j]}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {_fmt(offset)}")
        if j == 0:
            lines.append(f"{pad}  CHANNELS 6 Xposition Yposition Zposition {_ROT_CHANNELS}")
        else:
            lines.append(f"{pad}  CHANNELS 3 {_ROT_CHANNELS}")
        for k in kids[j]:
            emit(k, depth + 1)
        if not kids[j]:
            lines.append(f"{pad}  End Site")
            lines.append(f"{pad}  {{")
            lines.append(f"{pad}    OFFSET {_fmt(0.5 * offsets[j])}")
            lines.append(f"{pad}  }}")
        lines.append(f"{pad}}}")

    emit(0, 0)
    order = depth_first(track.parents)
    euler = matrices_to_euler(track.local_rotations[:, order], "ZXY")  # (T, J, 3) as Z, X, Y
    values = np.concatenate([track.root_positions, euler.reshape(track.num_frames, -1)], axis=1)
    lines += ["MOTION", f"Frames: {track.num_frames}", f"Frame Time: {1.0 / track.fps:.9f}"]
    lines += [" ".join(f"{v:.6f}" for v in row) for row in values]
    return "\n".join(lines) + "\n"


def _fmt(v: np.ndarray) -> str:
    return " ".join(f"{x:.6f}" for x in v)

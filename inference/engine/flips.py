"""Repair of facing flips: a fitted body that turns round for a few frames and back.

Monocular fits confuse front and back (the 2D keypoints of a body seen from the front and from behind are nearly
mirror images), so a fitted sequence can hold a few frames whose root is turned by ~180°. No filter removes that:
a smoothing filter averages the flip into its neighbours and spreads it over its window (seen on a batch clip:
mean acceleration 12.8 → 25.6 m/s² after Savitzky-Golay), and the learned refiner only corrects small errors.

A flip is found from the root's angular speed: a jump faster than a pelvis can turn (``MAX_TURN`` degrees per
second), followed within ``max_seconds`` by a frame that is back near the pose before the jump. Those frames are
replaced by SLERP across them (pose and translation), like an occluded segment. A jump with no return in time is
left alone: it may be a real fast turn, and a long wrong span is the infiller's job (flag it as a segment).
"""

from __future__ import annotations

import numpy as np

from ..motion import Reconstruction
from ..rotations import axis_angle_to_matrices
from ..segments import Segment
from .baselines import interpolate_segment

MAX_TURN = 1200.0  # degrees per second; fast dance spins reach ~720


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Geodesic angle in degrees between axis-angle rotations ``a`` and ``b`` (``(..., 3)``)."""
    relative = np.swapaxes(axis_angle_to_matrices(a), -1, -2) @ axis_angle_to_matrices(b)
    cos = (np.trace(relative, axis1=-2, axis2=-1) - 1) / 2
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def find_flips(global_orient: np.ndarray, fps: float, max_seconds: float = 0.3) -> list[tuple[int, int]]:
    """Frame spans ``[start, stop)`` where the root flipped and came back within ``max_seconds``."""
    n = len(global_orient)
    per_frame = MAX_TURN / fps
    steps = _angle(global_orient[:-1], global_orient[1:])  # steps[i]: between frames i and i+1
    longest = max(1, int(round(max_seconds * fps)))
    spans, i = [], 0
    while i < n - 1:
        if steps[i] <= per_frame:
            i += 1
            continue
        before = i  # last good frame
        for stop in range(before + 2, min(n, before + 2 + longest)):
            # back: nearer the pose before the jump than half the jump, and reachable from it in the time
            back = _angle(global_orient[before], global_orient[stop])
            if back < steps[before] / 2 and back <= per_frame * (stop - before):
                spans.append((before + 1, stop))
                i = stop
                break
        else:
            i += 1
    return spans


def repair_flips(recon: Reconstruction, max_seconds: float = 0.3) -> Reconstruction:
    """``recon`` with each person's short facing flips replaced by interpolation across them."""
    out = recon
    for pid, person in zip("AB", recon.people):
        for start, stop in find_flips(person.global_orient, recon.fps, max_seconds):
            out = interpolate_segment(out, Segment(start, stop, pid))
    return out

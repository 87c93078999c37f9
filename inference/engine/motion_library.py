"""A prior learned from real motion by keeping it: fill a gap with the captured motion whose surroundings match.

Interpolation glides across a gap: a dancer's feet stop stepping and the body slides from one border pose to the
next. A network trained for a few CPU minutes on top of interpolation learns too little to undo that. Real motion
steps, so the library fills a gap with real motion instead (motion matching): among every window of the
captured takes, it finds those whose *visible* part best matches the window being filled, as positions of a few
joints, each candidate turned about the vertical and shifted on the ground to fit those visible joints best, and
takes their motion on the hidden entries. Two sets of matches are averaged for a hidden person: windows of
two-person takes (either role assignment) matching both people — the hidden person's frames before and after the
gap and everything the other person does, including during the gap — and windows of any take, one-person takes
too, matching the hidden person's own frames alone (only those when both people are hidden). Each match is
bent to meet the borders exactly (the offsets to the observed motion at the last visible frame before and the
first after are interpolated across the gap, like the infiller's base). Geometric guidance then runs on the
result as it does on the infiller's sample.

The library is motion capture itself (6D rotations and pelvis per frame, float16) and ships in
``resources/models/motion_library.npz`` with the data's acknowledgments (NOTICE).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, Optional, Sequence

import numpy as np
import torch
from torch import Tensor

from ..body.kinematics import forward_kinematics
from ..motion import MotionError
from ..rotations import matrix_to_rot6d, rot6d_to_matrix
from ..skeleton import JOINT_INDEX
from .base_motion import interpolation_base
from .checkpoint import MODELS_DIR
from .dataset import MotionClip
from .guidance import window_joints
from .pair_frame import PairFrame, encode, rot_y, to_pair_frame
from .root_convention import canonical

MATCH_JOINTS = [JOINT_INDEX[n] for n in ("pelvis", "left_ankle", "right_ankle", "left_wrist", "right_wrist", "head")]
STANCE_SCALE = 0.5  # the stance points lie this many left−right ankle offsets from the pelvis
FRAME_STRIDE = 3  # every third frame of the window is compared (motion is smooth at 30 fps)
START_STRIDE = 2  # candidate windows start every other frame (the bend to the borders absorbs a frame's offset)


def match_points(joints: Tensor) -> Tensor:
    """The points a window is matched on, from posed joints ``(..., 22, 3)``: the ``MATCH_JOINTS`` and two *stance
    points*, the pelvis ± ``STANCE_SCALE`` × (left − right ankle), ``(..., len(MATCH_JOINTS) + 2, 3)``.

    Which foot is ahead is a few centimetres of the ankles' world positions, lost among the pelvis trajectory's
    errors; the stance points weigh it on its own while still moving rigidly with the body (affine combinations of
    joints), so the closed-form alignment holds. Training pairs left out of the library (3 seeds): stepping on 1 s
    gaps 0.60 → 0.65, occluded MPJPE 68.0 → 67.5 mm, root 70.1 → 68.0; validation 53.3 → 52.7; generated
    validation 36.4 → 37.1 (a scale of 1: stepping 0.66 but MPJPE 69.2, root 76.4; 2: 78.3 mm).
    """
    stride = STANCE_SCALE * (joints[..., JOINT_INDEX["left_ankle"], :] - joints[..., JOINT_INDEX["right_ankle"], :])
    pelvis = joints[..., JOINT_INDEX["pelvis"], :]
    return torch.cat([joints[..., MATCH_JOINTS, :], torch.stack([pelvis + stride, pelvis - stride], -2)], -2)


class Match(NamedTuple):
    """One library window laid on the query: its squared distance, first frame, role order and alignment."""
    distance: float
    start: int
    order: list[int]
    yaw: float
    origin: np.ndarray


@dataclass
class MotionLibrary:
    rot6d: np.ndarray  # (N, 2, 22, 6) world rotations, canonical pelvis convention, all takes end to end
    pelvis: np.ndarray  # (N, 2, 3)
    rest_joints: np.ndarray  # (N, 2, 22, 3) each frame's people's rest skeletons
    take: np.ndarray  # (N,) take index: a window never spans two takes
    fps: float
    names: list[str]
    solo: Optional[np.ndarray] = None  # (takes,) True for one person's take (both slots hold them); default none

    def __post_init__(self) -> None:
        self.solo = np.zeros(len(self.names), bool) if self.solo is None else np.asarray(self.solo, bool)
        rot = rot6d_to_matrix(torch.as_tensor(self.rot6d, dtype=torch.float32))
        pelvis = torch.as_tensor(self.pelvis, dtype=torch.float32)
        rest = torch.as_tensor(self.rest_joints, dtype=torch.float32)
        n = len(self.rot6d)
        with torch.no_grad():
            transl = (pelvis - rest[:, :, 0]).flatten(0, 1)
            joints = forward_kinematics(rot.flatten(0, 1), rest.flatten(0, 1), transl)[0]
        joints = joints.unflatten(0, (n, 2))
        self._rot = rot
        self._pelvis = pelvis
        self._joints = match_points(joints).numpy()  # (N, 2, J, 3)

    @property
    def num_frames(self) -> int:
        return len(self.rot6d)

    def _starts(self, length: int) -> np.ndarray:
        """Window starts whose ``length`` frames all lie in one take."""
        starts = np.arange(0, max(0, self.num_frames - length + 1), START_STRIDE)
        return starts[self.take[starts] == self.take[starts + length - 1]]

    def _candidates(self, length: int, alone: bool) -> list[tuple[np.ndarray, list[int]]]:
        """Window starts and role orders to compare: two people's takes in either role assignment; one
        person's takes (both slots the same person) once, and only when a person is matched alone."""
        starts = self._starts(length)
        solo = self.solo[self.take[starts]]
        pairs = starts[~solo]
        return [(pairs, [0, 1]), (pairs, [1, 0])] + ([(starts[solo], [0, 1])] if alone else [])

    def fill(self, features: Tensor, keep: np.ndarray, rest_joints: Tensor, k: int = 8) -> Tensor:
        """Features ``(W, 2, F)`` (pair frame, as ``read_window`` makes them) whose entries not in ``keep``
        ``(W, 2)`` are replaced by the average of the best-matching library windows, bent to the borders.

        A hidden person is filled from two sets of ``k`` matches averaged together: windows matching them
        *alone* (their own frames around the gap; two people's takes and one person's), and, when the other
        person is seen, windows matching *both* (the partner's motion during the gap too). The pair set carries
        what the partner says about the gap; the alone set finds more of the hidden person's own motion than a
        small two-person library holds once the partner's surroundings must match too. On the salsa training
        pairs, each left out of the library in turn (3 seeds, 270 gaps), one person hidden: leader 56.5 → 55.9,
        follower 84.7 → 79.4 mm (both sets vs the pair set alone; the alone set alone: 62.7 / 80.9). When both
        people are hidden only the alone sets are used (69.6 → 62.0 mm on 1 s gaps against one window matching
        both): nothing inside the gap ties the two together but the contacts, which guidance restores.
        """
        w = features.shape[0]
        if keep.all() or self._starts(w).size == 0:
            return features
        with torch.no_grad():
            query = match_points(window_joints(features, rest_joints)).numpy().astype(np.float64)
        frames = np.arange(0, w, FRAME_STRIDE)
        seen = keep[frames].astype(np.float64)  # (F, 2) visible entries
        hidden = [p for p in (0, 1) if not keep[:, p].all()]
        together = [self._nearest(w, frames, query, seen, k, alone=False)] if len(hidden) == 1 else []
        glide = interpolation_base(features[None], keep[None])[0]
        filled = features.clone()
        for person in hidden:
            weights = np.zeros_like(seen)
            weights[:, person] = seen[:, person]
            if not weights.any():  # nothing seen of them in the window: nothing to match on
                continue
            sets = [s for s in together + [self._nearest(w, frames, query, weights, k, alone=True)] if s[0]]
            if not sets:  # no window of the library long enough
                continue
            match = self._bent_average([m for matches, _ in sets for m in matches], features, keep)
            trust = match_trust(float(np.mean([distance for _, distance in sets])))
            filled[:, person] = (glide + trust * (match - glide))[:, person]
        return torch.where(torch.as_tensor(keep)[..., None], features, filled)

    def _nearest(self, length: int, frames: np.ndarray, query: np.ndarray, weights: np.ndarray, k: int,
                 alone: bool) -> tuple[list[Match], float]:
        """The ``k`` library windows nearest the query's entries with ``weights`` ``(F, 2)``, and how far they
        lie from what is visible (root mean square over those entries' matched joints, metres)."""
        found: list[Match] = []
        for starts, order in self._candidates(length, alone):
            if starts.size:
                dist, yaw, origin = self._aligned_distances(starts, frames, order, query[frames], weights)
                found += [Match(float(dist[i]), int(starts[i]), order, float(yaw[i]), origin[i])
                          for i in np.argsort(dist)[:k]]
        found = sorted(found, key=lambda m: m.distance)[:k]
        if not found:
            return [], float("inf")
        return found, float(np.sqrt(np.mean([m.distance for m in found]) / (weights.sum() * query.shape[2])))

    def _bent_average(self, matches: list[Match], features: Tensor, keep: np.ndarray) -> Tensor:
        """The average of the ``matches``' windows, bent to meet the query's kept entries at the gap's borders
        (bending is linear: bending the average is averaging the bent windows)."""
        w = features.shape[0]
        cand = torch.stack([self._window_features(m.start, w, m.order, m.yaw, m.origin) for m in matches]).mean(0)
        return cand + interpolation_base((features - cand)[None], keep[None])[0]

    def _aligned_distances(self, starts: np.ndarray, frames: np.ndarray, order: list[int], query: np.ndarray,
                           weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For every candidate window, the turn about the vertical and shift on the ground that best lay its
        joints on the ``query`` joints ``(F, 2, J, 3)`` (weighted least squares over the visible entries,
        ``weights`` ``(F, 2)``), the remaining squared distance, and that alignment as a pair frame: its yaw
        (``rot_y``) and origin, ``(S,)`` and ``(S, 3)``.

        Aligning on all visible frames, not on the pose of one anchor frame, keeps one jittered estimate from
        turning every candidate (validation pair: occluded MPJPE 64.3 → 57.4 mm). Only weighted sums of the
        candidates' coordinates and their squares enter the closed-form 2D Procrustes solution, so they are
        accumulated frame by frame instead of gathering every window's joints at once.
        """
        n = len(starts)
        total = weights.sum() * query.shape[2]
        sum_x = np.zeros((n, 3))  # Σ w x
        sum_xx = np.zeros((n, 3))  # Σ w x_c²
        cross = np.zeros((n, 3, 3))  # Σ w x_c q_d
        w_q = weights[:, :, None, None] * query  # (F, 2, J, 3)
        for i, f in enumerate(frames):
            if not weights[i].any():
                continue
            x = self._joints[starts + f][:, order].astype(np.float64)  # (S, 2, J, 3)
            wx = x * weights[i][None, :, None, None]
            sum_x += wx.sum((1, 2))
            sum_xx += (wx * x).sum((1, 2))
            cross += np.einsum("spjc,pjd->scd", x, w_q[i])
        q_sum = w_q.sum((0, 1, 2))
        q_sq = (w_q * query).sum((0, 1, 2))
        xc, qc = sum_x / total, q_sum / total
        # centred cross terms on the ground plane (x = 0, z = 2)
        a = cross[:, 0, 0] + cross[:, 2, 2] - total * (xc[:, 0] * qc[0] + xc[:, 2] * qc[2])
        b = cross[:, 2, 0] - cross[:, 0, 2] - total * (xc[:, 2] * qc[0] - xc[:, 0] * qc[2])
        yaw = np.arctan2(b, a)
        spread_x = sum_xx[:, 0] + sum_xx[:, 2] - total * (xc[:, 0] ** 2 + xc[:, 2] ** 2)
        spread_q = q_sq[0] + q_sq[2] - total * (qc[0] ** 2 + qc[2] ** 2)
        vertical = sum_xx[:, 1] - 2 * cross[:, 1, 1] + q_sq[1]
        dist = spread_x + spread_q - 2 * np.hypot(a, b) + vertical
        # p_pair = R p + t, t = qc - R xc on the ground; as a PairFrame R (p - origin): origin = -Rᵀ t
        c, s = np.cos(yaw), np.sin(yaw)
        tx = qc[0] - (c * xc[:, 0] + s * xc[:, 2])
        tz = qc[2] - (-s * xc[:, 0] + c * xc[:, 2])
        origin = np.stack([-(c * tx - s * tz), np.zeros(n), -(s * tx + c * tz)], -1)
        return dist, yaw, origin

    def _window_features(self, start: int, length: int, order: list[int], yaw: float, origin: np.ndarray) -> Tensor:
        """Library frames ``[start, start + length)``, people in ``order``, as pair-frame features aligned to
        the query."""
        rot = self._rot[start:start + length][:, order][None]
        pelvis = self._pelvis[start:start + length][:, order][None]
        frame = PairFrame(rot_y(torch.tensor(yaw))[None], torch.as_tensor(origin, dtype=torch.float32)[None])
        return encode(*to_pair_frame(rot, pelvis, frame))[0]


MATCH_TRUST = (0.20, 0.30)  # metres: matches nearer than the first are used whole, farther than the second not


def match_trust(distance: float) -> float:
    """How much of a match to use, from how far its windows lie from what is visible (RMS, metres): 1 up to
    ``MATCH_TRUST[0]``, falling to 0 (interpolation) at ``MATCH_TRUST[1]``.

    The library knows salsa. On generated hugs, handshakes, pushes and walks (validation seeds 200000–200041)
    its best matches lie 0.21–0.46 m from the visible motion (median 0.27) against 0.13–0.30 on salsa takes
    left out of it (median 0.19), and used whole they lost to interpolation there (58.2 vs 34.5 mm). With this
    ramp: generated 37.2, salsa left out 72.8 instead of 71.8 (interpolation 88.7).
    """
    lo, hi = MATCH_TRUST
    return float(np.clip((hi - distance) / (hi - lo), 0.0, 1.0))


def build_library(clips: list[MotionClip], solo: Sequence[MotionClip] = ()) -> MotionLibrary:
    """A library of two people's ``clips`` and one person's ``solo`` takes (clips whose two slots hold that
    person, ``dataset.solo_clip``), all at one rate, each put in the canonical pelvis convention."""
    if not clips:
        raise MotionError("no two-person clips to build a motion library from")
    clips = list(clips) + list(solo)
    rates = {c.fps for c in clips}
    if len(rates) != 1:
        raise MotionError(f"motion library clips must share one frame rate, got {sorted(rates)}")
    rot6d, pelvis, rest, take = [], [], [], []
    for i, c in enumerate(clips):
        rot = rot6d_to_matrix(torch.as_tensor(c.rot6d))[None]
        rot = canonical(rot, torch.ones(rot.shape[:3]))[0][0]
        rot6d.append(matrix_to_rot6d(rot).numpy())
        pelvis.append(c.pelvis)
        rest.append(np.broadcast_to(c.rest_joints, (c.num_frames, 2, 22, 3)))
        take.append(np.full(c.num_frames, i))
    return MotionLibrary(np.concatenate(rot6d), np.concatenate(pelvis), np.concatenate(rest), np.concatenate(take),
                         float(rates.pop()), [c.name for c in clips], np.arange(len(clips)) >= len(clips) - len(solo))


def save_library(library: MotionLibrary, path: "str | Path", description: str = "") -> Path:
    """Write ``library`` as a compressed NPZ (rotations and positions float16; one rest skeleton per take)."""
    path = Path(path).with_suffix(".npz")
    first = np.searchsorted(library.take, np.arange(library.take.max() + 1))
    np.savez_compressed(path, rot6d=library.rot6d.astype(np.float16), pelvis=library.pelvis.astype(np.float16),
                        take_rest=library.rest_joints[first].astype(np.float32), take=library.take.astype(np.int32),
                        fps=np.float32(library.fps), names=np.array(library.names), solo=library.solo,
                        description=np.array(description))
    return path


def load_library(path: "str | Path") -> MotionLibrary:
    path = Path(path)
    if not path.is_file():
        raise MotionError(f"{path}: motion library not found")
    with np.load(path) as f:
        take = f["take"].astype(np.int64)
        names = [str(n) for n in f["names"]]
        solo = f["solo"] if "solo" in f.files else None  # libraries written before one-person takes have none
        if solo is not None and solo.shape != (len(names),):
            raise MotionError(f"{path}: field 'solo' should hold one flag per take ({len(names)}), got {solo.shape}")
        return MotionLibrary(f["rot6d"].astype(np.float32), f["pelvis"].astype(np.float32), f["take_rest"][take],
                             take, float(f["fps"]), names, solo)


SHIPPED = MODELS_DIR / "motion_library.npz"


@lru_cache(maxsize=2)
def get_library(path: Optional[str] = None) -> MotionLibrary:
    """The library at ``path`` (default: the shipped one), loaded once."""
    return load_library(path or SHIPPED)

"""Keeping two people's identities over a video: per-frame detections → two tracks (A, B).

Each frame, detections are matched to the tracks by the Hungarian algorithm on a cost mixing box overlap,
keypoint distance to where each track is *predicted* to be (last keypoints moved by a damped velocity) and, when
the detections carry them, the colours of the clothes (a running mean per track), so two people who cross or
overlap in the image keep their identities: when only the person in front is detected, their shirt says whose
track they continue. A track's colours count in full only once it has been seen on ``COLOUR_EVIDENCE`` frames
(until then they are the plain mean of its detections): a track started on a misplaced skeleton (landmarks on
the background, whose "shirt" is the sky) otherwise refused its own person for good — on a development clip of
the real-motion benchmark one dancer, in plain view, was found on 7 % of frames. A match costing more than
``gate`` is refused: the track is missing in that frame (keypoints held at the prediction, confidence 0).
A starts as the leftmost person of the first frame with two people. Each track's world landmarks come from the
same detections as its 2D landmarks (:func:`track_detections`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from .keypoints import Detection


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def overlap_of_smaller(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over the smaller box's area: 1 when one person's box lies inside the other's."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(ix * iy / smaller) if smaller > 0 else 0.0


MAX_EXTRAPOLATION = 3  # frames


class _Track:
    def __init__(self, det: Detection, frame: int) -> None:
        self.points = det.landmarks.copy()
        self.velocity = np.zeros((len(det.landmarks), 2))
        self.box = det.box.copy()
        self.frame = frame
        self.colour = None if det.colour is None else det.colour.copy()
        self.colours_seen = 0 if det.colour is None else 1

    def predict(self, frame: int) -> tuple[np.ndarray, np.ndarray]:
        # a velocity carries a few frames; beyond that it extrapolates a lost person out of the picture
        shift = self.velocity * min(frame - self.frame, MAX_EXTRAPOLATION)
        pts = self.points.copy()
        pts[:, :2] += shift
        move = shift.mean(0)
        return pts, self.box + np.concatenate([move, move])

    def update(self, det: Detection, frame: int) -> None:
        dt = max(frame - self.frame, 1)
        step = (det.landmarks[:, :2] - self.points[:, :2]) / dt
        self.velocity = 0.5 * self.velocity + 0.5 * step
        self.points, self.box, self.frame = det.landmarks.copy(), det.box.copy(), frame
        if det.colour is not None:
            self.colours_seen += 1
            rate = max(1.0 / self.colours_seen, 0.1)  # the mean of the first ten, then a running mean
            self.colour = det.colour.copy() if self.colour is None else (1 - rate) * self.colour + rate * det.colour

    @property
    def colour_trust(self) -> float:
        """How much the track's clothing colours say about who it is: in full after ``COLOUR_EVIDENCE`` frames."""
        return min(1.0, self.colours_seen / COLOUR_EVIDENCE)


POSITION_MEMORY = 5  # frames
COLOUR_WEIGHT = 6.0  # per unit of RGB distance (two different shirts differ by 0.2–1)
COLOUR_EVIDENCE = 10  # frames a track is seen on before its clothing colours count in full


def match_cost(pred_points: np.ndarray, pred_box: np.ndarray, det: Detection,
               colour: Optional[np.ndarray] = None, unseen: int = 1, colour_trust: float = 1.0) -> float:
    """Cost of giving ``det`` to a track predicted at ``pred_points``/``pred_box`` with clothes ``colour``,
    last seen ``unseen`` frames ago: the longer a person has been lost, the less their last position says
    (``POSITION_MEMORY`` frames keep it at full weight) and the more their clothes do, as far as
    ``colour_trust`` (0–1) says the track's colour is known."""
    size = max(pred_box[2] - pred_box[0], pred_box[3] - pred_box[1], 1.0)
    conf = np.minimum(pred_points[:, 2], det.landmarks[:, 2])
    dist = np.linalg.norm(pred_points[:, :2] - det.landmarks[:, :2], axis=-1) / size
    kp = float((conf * dist).sum() / conf.sum()) if conf.sum() > 1e-6 else float(dist.mean())
    looks = 0.0
    if colour is not None and det.colour is not None:
        looks = colour_trust * COLOUR_WEIGHT * float(np.linalg.norm(colour - det.colour)) / np.sqrt(2.0)
    fade = min(1.0, POSITION_MEMORY / max(unseen, 1))
    return fade * ((1.0 - box_iou(pred_box, det.box)) + kp) + looks


def same_person(a: Detection, b: Detection) -> bool:
    """Two detections of one person (the landmarker sometimes returns a person twice, more so on crops).

    With clothing colours: colours within 0.12 and confident landmarks within 20% of the box height of each other
    on average (measured on rendered salsa: repeats of one person differ by < 0.12 in colour, two dancers by
    > 0.2 mostly). Without colours only near-identical skeletons (2.5%) count, since two people overlapping in
    the image can lie closer than a repeat does."""
    both = np.minimum(a.landmarks[:, 2], b.landmarks[:, 2]) > 0.3
    if both.sum() < 4:
        return False
    size = max(a.box[3] - a.box[1], b.box[3] - b.box[1], 1.0)
    dist = np.linalg.norm(a.landmarks[both, :2] - b.landmarks[both, :2], axis=-1).mean() / size
    if a.colour is not None and b.colour is not None:
        return bool(np.linalg.norm(a.colour - b.colour) < 0.12 and dist < 0.2)
    return bool(dist < 0.025)


def distinct(dets: Sequence[Detection]) -> list[Detection]:
    """``dets`` without repeats of one person (the more confident detection of each is kept)."""
    order = sorted(dets, key=lambda d: -float(d.landmarks[:, 2].mean()))
    kept: list[Detection] = []
    for d in order:
        if not any(same_person(d, k) for k in kept):
            kept.append(d)
    return kept


@dataclass
class Tracks:
    """Two people's tracks over a video."""

    landmarks: np.ndarray  # (2, T, L, 3) pixels x, y, confidence (0 where not found)
    found: np.ndarray  # (2, T) bool
    world: np.ndarray  # (2, T, L, 4) world landmarks x, y, z, confidence (all 0 where not found or not given)


def track_detections(frames: Sequence[Sequence[Detection]], num_landmarks: int = 33, gate: float = 1.6) -> Tracks:
    """Detections per frame → :class:`Tracks` of A and B.

    Frames before a person is first seen, and frames where the match is refused, hold the nearest known
    landmarks with confidence 0."""
    num_frames = len(frames)
    out = np.zeros((2, num_frames, num_landmarks, 3))
    world = np.zeros((2, num_frames, num_landmarks, 4))
    found = np.zeros((2, num_frames), bool)
    tracks: list[Optional[_Track]] = [None, None]

    def take(slot: int, t: int, det: Detection) -> None:
        out[slot, t], found[slot, t] = det.landmarks, True
        if det.world is not None:
            world[slot, t] = det.world

    for t, dets in enumerate(frames):
        dets = distinct(dets)
        if tracks[0] is None and tracks[1] is None and dets:
            order = sorted(range(len(dets)), key=lambda i: dets[i].box[0] + dets[i].box[2])
            for slot, i in enumerate(order[:2]):
                tracks[slot] = _Track(dets[i], t)
                take(slot, t, dets[i])
            continue
        live = [k for k in range(2) if tracks[k] is not None]
        preds = {k: tracks[k].predict(t) for k in live}  # type: ignore[union-attr]
        cost = np.array([[match_cost(*preds[k], d, tracks[k].colour, t - tracks[k].frame,  # type: ignore
                                     tracks[k].colour_trust) for d in dets]  # type: ignore[union-attr]
                         for k in live]).reshape(len(live), len(dets))
        used: set[int] = set()
        if cost.size:
            for r, c in zip(*linear_sum_assignment(cost)):
                if cost[r, c] <= gate:
                    k = live[r]
                    tracks[k].update(dets[c], t)  # type: ignore[union-attr]
                    take(k, t, dets[c])
                    used.add(int(c))
        for k in range(2):
            if tracks[k] is None:
                spare = [i for i in range(len(dets)) if i not in used]
                if spare:
                    i = spare[0]
                    tracks[k] = _Track(dets[i], t)
                    take(k, t, dets[i])
                    used.add(i)
    _fill_missing(out, found)
    return Tracks(out, found, world)


def _fill_missing(out: np.ndarray, found: np.ndarray) -> None:
    """Hold the nearest found frame's positions (confidence 0) where a person was not found."""
    for k in range(2):
        idx = np.flatnonzero(found[k])
        if idx.size == 0:
            continue
        for t in np.flatnonzero(~found[k]):
            near = idx[np.argmin(np.abs(idx - t))]
            out[k, t, :, :2] = out[k, near, :, :2]
            out[k, t, :, 2] = 0.0

"""Finding a lost person again: tracking-guided re-detection on a crop around where they should be.

BlazePose's detector, run on the whole frame, tends to return one person when two overlap: the one in front.
The one behind is often still half visible, and the landmark model finds them when it is shown only the region
where they must be. After a first tracking pass, every frame where one person is missing gets a second look:
a square crop around the box their track predicts there (interpolated between the frames before and after where
they were found), then the same crop with the partner painted out (their torso and limbs as the detector saw
them), so the partner is not found a second time. A candidate is kept only when it matches the prediction better
than the partner does (:func:`.tracking.match_cost`), i.e. it is this person and not the partner again. A person
never found at all has no prediction: the whole frame is searched with the partner painted out, and the most
confident candidate unlike the partner is kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, Union

import cv2
import numpy as np

from ..video import VideoReader
from .keypoints import BP, Detection, DetectionStore, PoseDetector
from .tracking import match_cost

# BlazePose-33 bones painted over when masking the partner (torso drawn as a filled polygon)
_LIMBS = [("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"), ("right_shoulder", "right_elbow"),
          ("right_elbow", "right_wrist"), ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
          ("right_hip", "right_knee"), ("right_knee", "right_ankle")]
_TORSO = ("left_shoulder", "right_shoulder", "right_hip", "left_hip")


def predicted(landmarks: np.ndarray, found: np.ndarray, t: int) -> Optional[np.ndarray]:
    """Landmarks ``(33, 3)`` of one person at frame ``t`` interpolated between the nearest frames where they
    were found (held beyond the ends); ``None`` if never found. Confidence is taken from the nearer frame."""
    idx = np.flatnonzero(found)
    if idx.size == 0:
        return None
    before, after = idx[idx < t], idx[idx > t]
    if before.size and after.size:
        a, b = before[-1], after[0]
        w = (t - a) / (b - a)
        out = landmarks[a] * (1 - w) + landmarks[b] * w
        out[:, 2] = landmarks[a if w < 0.5 else b, :, 2]
        return out
    return landmarks[before[-1] if before.size else after[0]].copy()


def mask_person(rgb: np.ndarray, landmarks: np.ndarray, min_conf: float = 0.3) -> np.ndarray:
    """A copy of ``rgb`` with one person's torso and limbs painted mid-grey (as far as their landmarks reach)."""
    out = rgb.copy()
    pts = {name: landmarks[BP[name]] for name in BP}
    shoulder = np.linalg.norm(pts["left_shoulder"][:2] - pts["right_shoulder"][:2])
    hip = np.linalg.norm(pts["left_hip"][:2] - pts["right_hip"][:2])
    thick = int(max(6, 0.45 * max(shoulder, hip)))
    grey = (128, 128, 128)
    torso = np.array([pts[n][:2] for n in _TORSO], np.int32)
    if all(pts[n][2] > min_conf for n in _TORSO):
        cv2.fillConvexPoly(out, torso, grey)
    for a, b in _LIMBS:
        if pts[a][2] > min_conf and pts[b][2] > min_conf:
            cv2.line(out, tuple(int(v) for v in pts[a][:2]), tuple(int(v) for v in pts[b][:2]), grey, thick)
    return out


Candidates = list[tuple[np.ndarray, np.ndarray]]  # PoseDetector.detect_in_box: (landmarks, world landmarks)


def _anyone_else(candidates: Candidates, rgb: np.ndarray, partner: Detection,
                 unlike: float = 0.8) -> Optional[Detection]:
    """The most confident candidate that is not the partner found again (match cost to them above ``unlike``)."""
    dets = [Detection.from_landmarks(lm, rgb, world) for lm, world in candidates]
    others = [d for d in dets if match_cost(partner.landmarks, partner.box, d) > unlike]
    return max(others, key=lambda d: float(d.landmarks[:, 2].mean()), default=None)


def _best_candidate(candidates: Candidates, rgb: np.ndarray, guess: Detection, partner: Optional[Detection],
                    gate: float) -> Optional[Detection]:
    best, best_cost = None, gate
    for lm, world in candidates:
        det = Detection.from_landmarks(lm, rgb, world)
        cost = match_cost(guess.landmarks, guess.box, det)
        if partner is not None and match_cost(partner.landmarks, partner.box, det) <= cost:
            continue  # the partner found again
        if cost < best_cost:
            best, best_cost = det, cost
    return best


def redetect(path: Union[str, Path], per_frame: DetectionStore, landmarks: np.ndarray, found: np.ndarray,
             detector: PoseDetector, gate: float = 1.2,
             progress: Optional[Callable[[int, int], None]] = None) -> int:
    """Add to ``per_frame`` the people found again on frames where the tracks ``landmarks (2, T, 33, 3)`` /
    ``found (2, T)`` miss one; returns how many were added (re-run the tracker on ``per_frame`` afterwards)."""
    wanted: dict[int, list[int]] = {}
    for k in range(2):
        for t in np.flatnonzero(~found[k]):
            if t < len(per_frame):
                wanted.setdefault(int(t), []).append(k)
    if not wanted:
        return 0
    added = 0
    reader = VideoReader(path, cache_bytes=0)
    try:
        last = max(wanted)
        for t, rgb in enumerate(reader.frames(0, last + 1)):
            if t not in wanted:
                continue
            frame = np.asarray(rgb)
            whole = np.array([0.0, 0.0, frame.shape[1] - 1.0, frame.shape[0] - 1.0])
            for k in wanted[t]:
                partner = Detection.from_landmarks(landmarks[1 - k, t]) if found[1 - k, t] else None
                guess_lm = predicted(landmarks[k], found[k], t)
                if guess_lm is None:  # never found: search the whole frame without the partner
                    if partner is not None:
                        masked = mask_person(frame, partner.landmarks)
                        det = _anyone_else(detector.detect_in_box(masked, whole, enlarge=1.0), frame, partner)
                        if det is not None:
                            per_frame.add(t, det)
                            added += 1
                    continue
                guess = Detection.from_landmarks(guess_lm)
                det = _best_candidate(detector.detect_in_box(frame, guess.box), frame, guess, partner, gate)
                if det is None and partner is not None:
                    masked = mask_person(frame, partner.landmarks)
                    det = _best_candidate(detector.detect_in_box(masked, guess.box), frame, guess, partner, gate)
                if det is not None:
                    per_frame.add(t, det)
                    added += 1
            if progress is not None:
                progress(t + 1, last + 1)
    finally:
        reader.close()
    return added

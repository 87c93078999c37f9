"""Show a vision-language model who is A and who is B: boxes around each person, drawn on the frames.

A VLM sees pixels, not our track ids, so "A's left hand" in its answer only means something if A is marked in the
image. Each person gets a coloured box and a large letter; the prompt names the colours. Boxes come from, in
order: the caller (a tracker's boxes), the reconstruction's 2D keypoints, or the 3D joints projected through its
camera.
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from ..motion import PERSON_IDS, Reconstruction

# RGB colours and their names for the prompt: far apart in hue and readable for common colour blindness.
COLOURS: dict[str, tuple[tuple[int, int, int], str]] = {"A": ((255, 140, 0), "orange"), "B": ((0, 120, 255), "blue")}
MIN_CONFIDENCE = 0.3
MARGIN = 0.12  # grow boxes by this fraction of their size: keypoints sit inside the body outline


def sample_indices(length: int, count: int) -> list[int]:
    """``count`` frame indices spread evenly over ``[0, length)`` (centres of equal parts, so both ends are
    represented without landing on a transition frame)."""
    count = max(1, min(count, length))
    return [int((i + 0.5) * length / count) for i in range(count)]


def boxes_from_points(points: np.ndarray, valid: np.ndarray, width: int, height: int) -> np.ndarray:
    """``points (T, 2, J, 2)`` pixels with ``valid (T, 2, J)`` → boxes ``(T, 2, 4)`` (NaN where nothing is valid)."""
    out = np.full(points.shape[:2] + (4,), np.nan)
    for t in range(points.shape[0]):
        for p in range(points.shape[1]):
            pts = points[t, p][valid[t, p]]
            if len(pts) < 2:
                continue
            lo, hi = pts.min(0), pts.max(0)
            pad = MARGIN * (hi - lo).max()
            out[t, p] = [max(lo[0] - pad, 0), max(lo[1] - pad, 0), min(hi[0] + pad, width - 1),
                         min(hi[1] + pad, height - 1)]
    return out


def boxes_from_reconstruction(recon: Reconstruction,
                              joints: Optional[dict[str, np.ndarray]] = None) -> Optional[np.ndarray]:
    """Per-frame boxes ``(T, 2, 4)`` of A and B from 2D keypoints, else from ``joints`` (person → ``(T, 22, 3)``
    world positions) through the camera; ``None`` when the reconstruction has neither camera nor keypoints."""
    cam = recon.camera
    people = [p for _, p in recon]
    if all(p.keypoints_2d is not None for p in people) and cam is not None:
        kp = np.stack([p.keypoints_2d for p in people], 1)  # type: ignore[misc]
        return boxes_from_points(kp[..., :2], kp[..., 2] >= MIN_CONFIDENCE, cam.width, cam.height)
    if cam is None or joints is None:
        return None
    uvz = np.stack([cam.project(joints[pid]) for pid in PERSON_IDS], 1)  # (T, 2, 22, 3)
    return boxes_from_points(uvz[..., :2], uvz[..., 2] > 0, cam.width, cam.height)


def mark_people(frame: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """A copy of the RGB ``frame`` with A's and B's boxes ``(2, 4)`` drawn and labelled (NaN boxes skipped)."""
    img = np.ascontiguousarray(frame, dtype=np.uint8).copy()
    h, w = img.shape[:2]
    thick = max(2, round(min(h, w) / 160))
    for pid, box in zip(PERSON_IDS, np.asarray(boxes, np.float64)):
        if not np.all(np.isfinite(box)):
            continue
        colour = COLOURS[pid][0]
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        cv2.rectangle(img, (x0, y0), (x1, y1), colour, thick)
        scale = max(0.6, min(h, w) / 300)
        (tw, th), base = cv2.getTextSize(pid, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        ty = max(y0, th + base + 2 * thick)
        cv2.rectangle(img, (x0, ty - th - base - 2 * thick), (x0 + tw + 2 * thick, ty), colour, -1)
        cv2.putText(img, pid, (x0 + thick, ty - base - thick), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255),
                    thick, cv2.LINE_AA)
    return img

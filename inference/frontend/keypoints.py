"""2D body keypoints from video frames with MediaPipe BlazePose, mapped onto our 22 body joints.

BlazePose (full, Apache-2.0) is the one pose model whose weights come from a package registry; it runs through the
current Tasks API from ``resources/pose/pose_landmarker_full.task`` (built once by ``scripts/pack_pose_model.py``),
never downloading anything. ``PoseLandmarker`` runs in VIDEO mode with ``num_poses=2``. When it finds fewer than
two people (a small pair in a wide frame), the frame is tried again on a square crop around where the people
were last seen, with a second landmarker in IMAGE mode (no temporal state to confuse).

BlazePose-33 → our joints: shoulders, elbows, wrists, hips, knees and ankles map directly; the pelvis, the three
spine joints, neck, head and collars are interpolated between mid-hips, mid-shoulders and mid-ears (their
confidence is scaled down by :data:`SYNTH_CONFIDENCE`); the foot joint (ball of the foot) lies 70% of the way from
ankle to toe tip. BlazePose's *world landmarks* (a metric 3D pose in metres, origin between the hips, axes along the
image's: x right, y down, z away from the camera) are kept with each detection and mapped the same way: they are
the fit's 3D pose evidence (:attr:`.fit.FitConfig.w_world`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

import numpy as np

from ..motion import MotionError
from ..skeleton import JOINT_INDEX, NUM_BODY_JOINTS
from .native_log import quiet_native_stderr

MODEL_PATH = Path(__file__).resolve().parents[2] / "resources" / "pose" / "pose_landmarker_full.task"
SYNTH_CONFIDENCE = 0.7

# BlazePose-33 landmark indices
BP = {"nose": 0, "left_ear": 7, "right_ear": 8, "left_shoulder": 11, "right_shoulder": 12, "left_elbow": 13,
      "right_elbow": 14, "left_wrist": 15, "right_wrist": 16, "left_hip": 23, "right_hip": 24, "left_knee": 25,
      "right_knee": 26, "left_ankle": 27, "right_ankle": 28, "left_heel": 29, "right_heel": 30,
      "left_foot_index": 31, "right_foot_index": 32}
DIRECT = ("left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
          "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")
# fractions along pelvis(mid-hips) -> mid-shoulders, from the rest skeleton's joint heights
SPINE_FRACTIONS = {"spine1": 0.18, "spine2": 0.53, "spine3": 0.80}
# fractions along mid-shoulders -> mid-ears
NECK_FRACTION, HEAD_FRACTION = 0.45, 0.85
# How the mapped keypoints' body proportions differ from the body model's joints (BlazePose's shoulder landmarks
# sit higher than the model's shoulder joints, its ankles a few pixels above the model's): the mid-hips →
# mid-shoulders length is this much longer, the neck-above-ankle length this much shorter. Measured on the
# real-motion benchmark's train clips (visible person-frames against the renderer's projected joints:
# bench/bench_frontend_real.py, 1.031 and 0.982; its validation clips give 1.036 and 0.981). Taken as exact, the
# torso read people 5 % too near, and the ~5 % too short upright body that follows was explained by the floor as
# a camera tilted steeply down from high up, which squeezes the depths of everyone read off their feet.
TORSO_SCALE, NECK_SCALE = 1.031, 0.982


class KeypointError(MotionError):
    """The keypoint detector cannot run (missing package or model file) or got bad input."""


def blazepose_to_body22(landmarks: np.ndarray) -> np.ndarray:
    """``(..., 33, 3)`` BlazePose (x, y, confidence) → ``(..., 22, 3)`` in our joint order; world landmarks
    ``(..., 33, 4)`` (x, y, z, confidence) → ``(..., 22, 4)`` alike."""
    lm = np.asarray(landmarks, np.float64)
    if lm.shape[-2] != 33 or lm.shape[-1] not in (3, 4):
        raise KeypointError(f"landmarks: expected shape (..., 33, 3) or (..., 33, 4), got {lm.shape}")
    out = np.zeros(lm.shape[:-2] + (NUM_BODY_JOINTS, lm.shape[-1]))

    def p(name: str) -> np.ndarray:
        return lm[..., BP[name], :]

    def mid(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        xy = (a[..., :-1] + b[..., :-1]) / 2
        return np.concatenate([xy, np.minimum(a[..., -1:], b[..., -1:])], -1)

    def lerp(a: np.ndarray, b: np.ndarray, w: float, synth: float = SYNTH_CONFIDENCE) -> np.ndarray:
        xy = a[..., :-1] * (1 - w) + b[..., :-1] * w
        return np.concatenate([xy, np.minimum(a[..., -1:], b[..., -1:]) * synth], -1)

    for name in DIRECT:
        out[..., JOINT_INDEX[name], :] = p(name)
    hips, shoulders = mid(p("left_hip"), p("right_hip")), mid(p("left_shoulder"), p("right_shoulder"))
    ears = mid(p("left_ear"), p("right_ear"))
    out[..., JOINT_INDEX["pelvis"], :] = lerp(hips, hips, 0.0)
    for name, w in SPINE_FRACTIONS.items():
        out[..., JOINT_INDEX[name], :] = lerp(hips, shoulders, w)
    out[..., JOINT_INDEX["neck"], :] = lerp(shoulders, ears, NECK_FRACTION)
    out[..., JOINT_INDEX["head"], :] = lerp(shoulders, ears, HEAD_FRACTION)
    for side in ("left", "right"):
        out[..., JOINT_INDEX[f"{side}_collar"], :] = lerp(shoulders, p(f"{side}_shoulder"), 0.15)
        out[..., JOINT_INDEX[f"{side}_foot"], :] = lerp(p(f"{side}_ankle"), p(f"{side}_foot_index"), 0.7, 0.9)
    return out


@dataclass
class Detection:
    """One person found in one frame: BlazePose landmarks in pixels, their bounding box, when the frame
    was at hand the colours of their clothes (:func:`clothing_colour`) and, when the detector gave them, the
    world landmarks."""

    landmarks: np.ndarray  # (33, 3): x, y (pixels), confidence (visibility × presence)
    box: np.ndarray  # (4,) x0, y0, x1, y1 over the confident landmarks
    colour: Optional[np.ndarray] = None  # (6,) mean RGB in [0, 1] of torso and thighs
    world: Optional[np.ndarray] = None  # (33, 4): x, y, z (metres, hip-centred, image axes), confidence

    @classmethod
    def from_landmarks(cls, landmarks: np.ndarray, rgb: Optional[np.ndarray] = None,
                       world: Optional[np.ndarray] = None) -> "Detection":
        good = landmarks[:, 2] > 0.3
        pts = landmarks[good if good.sum() >= 4 else slice(None), :2]
        colour = clothing_colour(rgb, landmarks) if rgb is not None else None
        return cls(landmarks, np.concatenate([pts.min(0), pts.max(0)]), colour, world)


def clothing_colour(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Mean colour (6,) of a person's torso (a 4×4 grid inside the shoulder–hip quadrilateral) and thighs
    (points along hip→knee): what tells two people apart when their skeletons overlap in the image."""
    h, w = rgb.shape[:2]

    def p(name: str) -> np.ndarray:
        return landmarks[BP[name], :2]

    s = np.linspace(0.2, 0.8, 4)
    top = p("left_shoulder")[None] * (1 - s[:, None]) + p("right_shoulder")[None] * s[:, None]
    bottom = p("left_hip")[None] * (1 - s[:, None]) + p("right_hip")[None] * s[:, None]
    torso = (top[:, None] * (1 - s[None, :, None]) + bottom[:, None] * s[None, :, None]).reshape(-1, 2)
    legs = np.concatenate([p(f"{side}_hip")[None] * (1 - s[:, None]) + p(f"{side}_knee")[None] * s[:, None]
                           for side in ("left", "right")])

    def mean(points: np.ndarray) -> np.ndarray:
        xs = np.clip(np.round(points[:, 0]).astype(int), 0, w - 1)
        ys = np.clip(np.round(points[:, 1]).astype(int), 0, h - 1)
        return rgb[ys, xs].reshape(-1, 3).mean(0) / 255.0

    return np.concatenate([mean(torso), mean(legs)])


COLOUR_DIM = 6  # clothing_colour: mean RGB of torso and thighs


class DetectionStore:
    """Per-frame detections of a whole video in compact float32 arrays instead of a Python list of objects
    (~1 KiB per frame instead of ~6 KiB: an hour of video is 108,000 frames): landmarks and clothing colours
    and world landmarks (NaN where a detection had none). Reads back as a sequence of ``list[Detection]`` per
    frame, rebuilt on access, which is what tracking iterates over."""

    def __init__(self, people: int = 2, landmarks: int = 33) -> None:
        self._data = np.zeros((64, people, landmarks, 3), np.float32)
        self._colour = np.full((64, people, COLOUR_DIM), np.nan, np.float32)
        self._world = np.full((64, people, landmarks, 4), np.nan, np.float32)
        self._count = np.zeros(64, np.int8)
        self._frames = 0

    def append(self, detections: list[Detection]) -> None:
        if self._frames == len(self._count):
            self._data = np.concatenate([self._data, np.zeros_like(self._data)])
            self._colour = np.concatenate([self._colour, np.full_like(self._colour, np.nan)])
            self._world = np.concatenate([self._world, np.full_like(self._world, np.nan)])
            self._count = np.concatenate([self._count, np.zeros_like(self._count)])
        self._frames += 1
        for det in detections[:self._data.shape[1]]:
            self._put(self._frames - 1, det)

    def add(self, frame: int, detection: Detection) -> None:
        """One more detection on an already stored frame (re-detection), widening the store when it is full."""
        if not 0 <= frame < self._frames:
            raise IndexError(frame)
        if self._count[frame] == self._data.shape[1]:
            self._data = np.concatenate([self._data, np.zeros_like(self._data[:, :1])], axis=1)
            self._colour = np.concatenate([self._colour, np.full_like(self._colour[:, :1], np.nan)], axis=1)
            self._world = np.concatenate([self._world, np.full_like(self._world[:, :1], np.nan)], axis=1)
        self._put(frame, detection)

    def _put(self, frame: int, det: Detection) -> None:
        slot = int(self._count[frame])
        self._data[frame, slot] = det.landmarks
        self._colour[frame, slot] = np.nan if det.colour is None else det.colour
        self._world[frame, slot] = np.nan if det.world is None else det.world
        self._count[frame] = slot + 1

    def __len__(self) -> int:
        return self._frames

    def __getitem__(self, frame: int) -> list[Detection]:
        if not 0 <= frame < self._frames:
            raise IndexError(frame)
        out = []
        for k in range(int(self._count[frame])):
            world = self._world[frame, k]
            det = Detection.from_landmarks(self._data[frame, k].astype(np.float64),
                                           world=None if np.isnan(world).any() else world.astype(np.float64))
            colour = self._colour[frame, k]
            out.append(det if np.isnan(colour).any() else replace(det, colour=colour.astype(np.float64)))
        return out


class PoseDetector:
    """MediaPipe PoseLandmarker over a video's frames (call :meth:`detect` with increasing frame indices)."""

    def __init__(self, fps: float, model_path: Optional[Path] = None, num_poses: int = 2,
                 min_confidence: float = 0.3) -> None:
        path = Path(model_path or MODEL_PATH)
        if not path.is_file():
            raise KeypointError(f"{path}: pose model missing; build it once with scripts/pack_pose_model.py")
        os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ logs per frame otherwise
        try:
            from mediapipe.tasks.python import vision
            from mediapipe.tasks.python.core.base_options import BaseOptions
        except ImportError as exc:
            raise KeypointError(f"MediaPipe is not installed ({exc}); install mediapipe>=1.2 or pass "
                                f"precomputed keypoints") from None
        self._vision = vision
        self.fps = fps

        def make(mode: "vision.RunningMode") -> object:
            opts = vision.PoseLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=str(path)), running_mode=mode, num_poses=num_poses,
                min_pose_detection_confidence=min_confidence, min_pose_presence_confidence=min_confidence,
                min_tracking_confidence=min_confidence)
            return vision.PoseLandmarker.create_from_options(opts)

        with quiet_native_stderr():
            self._video = make(vision.RunningMode.VIDEO)
            self._image = make(vision.RunningMode.IMAGE)
        self._last_boxes: list[np.ndarray] = []
        self.num_poses = num_poses

    def close(self) -> None:
        with quiet_native_stderr():
            for lm in (self._video, self._image):
                lm.close()  # type: ignore[attr-defined]

    def __enter__(self) -> "PoseDetector":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, landmarker: object, rgb: np.ndarray,
             frame: Optional[int]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each person's landmarks ``(33, 3)`` in pixels and world landmarks ``(33, 4)``."""
        import mediapipe as mp

        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        with quiet_native_stderr():
            if frame is None:
                result = landmarker.detect(image)  # type: ignore[attr-defined]
            else:
                result = landmarker.detect_for_video(image, int(round(frame * 1000.0 / self.fps)))  # type: ignore
        h, w = rgb.shape[:2]

        def conf(lm: object) -> float:
            return (lm.visibility or 0.0) * (lm.presence or 1.0)  # type: ignore[attr-defined]

        people = []
        for pose, world in zip(result.pose_landmarks, result.pose_world_landmarks):
            people.append((np.array([[lm.x * w, lm.y * h, conf(lm)] for lm in pose], np.float64),
                           np.array([[lm.x, lm.y, lm.z, conf(lm)] for lm in world], np.float64)))
        return people

    def detect(self, rgb: np.ndarray, frame: int) -> list[Detection]:
        """People in one RGB frame ``(H, W, 3) uint8``; ``frame`` must increase between calls."""
        people = self._run(self._video, rgb, frame)
        if len(people) < self.num_poses and self._last_boxes:
            cropped = self._crop_retry(rgb)
            if len(cropped) > len(people):
                people = cropped
        dets = [Detection.from_landmarks(p, rgb, world) for p, world in people]
        if dets:
            self._last_boxes = [d.box for d in dets]
        return dets

    def _crop_retry(self, rgb: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Run on a square crop around the last boxes (enlarged), mapping landmarks back to the frame."""
        boxes = np.stack(self._last_boxes)
        return self.detect_in_box(rgb, np.concatenate([boxes[:, :2].min(0), boxes[:, 2:].max(0)]))

    def detect_in_box(self, rgb: np.ndarray, box: np.ndarray,
                      enlarge: float = 1.4) -> list[tuple[np.ndarray, np.ndarray]]:
        """Landmarks ``(33, 3)`` of the people found in a square crop around ``box`` (x0, y0, x1, y1) enlarged by
        ``enlarge``, in frame pixels, each with its world landmarks ``(33, 4)``; the still-image landmarker, so no
        temporal state is disturbed."""
        h, w = rgb.shape[:2]
        x0, y0, x1, y1 = box
        side = enlarge * max(x1 - x0, y1 - y0, 32.0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        left, top = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
        right, bottom = int(min(w, cx + side / 2)), int(min(h, cy + side / 2))
        if right - left < 32 or bottom - top < 32:
            return []
        people = self._run(self._image, rgb[top:bottom, left:right], None)
        for p, _ in people:
            p[:, 0] += left
            p[:, 1] += top
        return people

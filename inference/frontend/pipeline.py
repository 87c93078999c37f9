"""From a video (or precomputed 2D keypoints) to an initial two-person session.

``video → BlazePose per frame → two tracks → our 22 keypoints → flags → monocular fit (twice when the first
finds a person hidden) → Session`` with the
occluded/ambiguous frames as Segments and reliabilities. Keypoints can be saved and loaded
(:func:`save_keypoints`, :func:`load_keypoints`) so a fit can be redone, or fed from another detector, without
running MediaPipe. Keypoint files: NPZ with ``keypoints (2, T, 22, 3)`` (pixels x, y, confidence; our joint
order), ``width``, ``height``, ``fps`` and optionally ``found (2, T)`` and ``world (2, T, 22, 4)`` (BlazePose's
world landmarks on our joints: metres x, y, z around the hips along the image's axes, confidence; files without
them load and fit from 2D alone); or JSON with the same names as lists.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional, Union

import numpy as np

from ..io.limits import MAX_MEMBER_BYTES, check_frame_rate, read_json_file
from ..motion import MotionError
from ..session import Session
from ..skeleton import BODY_PARENTS, NUM_BODY_JOINTS
from ..video import VideoReader
from .fit import FitConfig, FitResult
from .flags import FlagConfig, Flags, detect_flags, fit_evidence
from .keypoints import DetectionStore, PoseDetector, blazepose_to_body22
from .occlusion import missed_behind
from .redetect import redetect
from .tracking import track_detections
from .windowed import fit_long

Progress = Callable[[str, int, int], None]  # (stage, done, total)
REDETECT_ROUNDS = 2


@dataclass
class VideoKeypoints:
    keypoints: np.ndarray  # (2, T, 22, 3)
    width: int
    height: int
    fps: float
    found: np.ndarray  # (2, T) bool
    timings: dict[str, float] = field(default_factory=dict)
    world: Optional[np.ndarray] = None  # (2, T, 22, 4) world landmarks x, y, z (m), confidence; None: not read

    def _per_person(self, index: "slice | tuple[slice, slice]") -> "VideoKeypoints":
        """The same keypoints with ``index`` applied to every ``(2, T, ...)`` array."""
        return replace(self, keypoints=self.keypoints[index].copy(), found=self.found[index].copy(),
                       timings=dict(self.timings), world=None if self.world is None else self.world[index].copy())

    def frames(self, start: int, stop: Optional[int] = None) -> "VideoKeypoints":
        """The same keypoints over frames ``[start, stop)``."""
        return self._per_person((slice(None), slice(start, stop)))

    def swapped(self) -> "VideoKeypoints":
        """The same keypoints with the two people's tracks exchanged."""
        return self._per_person(slice(None, None, -1))


def keypoints_from_video(path: Union[str, Path], max_frames: Optional[int] = None,
                         progress: Optional[Progress] = None,
                         detector: Optional[PoseDetector] = None) -> VideoKeypoints:
    """Run BlazePose on every frame (up to ``max_frames``), track two people, map to our joints."""
    path = Path(path)
    reader = VideoReader(path, cache_bytes=0)  # one sequential pass: nothing worth caching
    width, height, fps = reader.width, reader.height, reader.fps
    total = min(reader.num_frames, max_frames) if max_frames else reader.num_frames
    own = detector is None
    det = detector or PoseDetector(fps)
    per_frame = DetectionStore(getattr(det, "num_poses", 2))
    start = time.perf_counter()
    try:
        for rgb in reader.frames(0, total):
            per_frame.append(det.detect(np.array(rgb), len(per_frame)))
            if progress is not None:
                progress("keypoints", len(per_frame), total)
        reader.close()
        if not per_frame:
            raise MotionError(f"{path}: no frames could be decoded")
        tracks = track_detections(per_frame)
        first_found = tracks.found.mean(1)
        # a second look, on a crop around the track's prediction, where one person was lost (twice: people found
        # again give predictions for the frames around them)
        for _ in range(REDETECT_ROUNDS):
            if not redetect(path, per_frame, tracks.landmarks, tracks.found, det,
                            progress=None if progress is None else (lambda d, t: progress("re-detect", d, t))):
                break
            tracks = track_detections(per_frame)
    finally:
        reader.close()
        if own:
            det.close()
    detect_s = time.perf_counter() - start
    kp, found = blazepose_to_body22(tracks.landmarks), tracks.found
    return VideoKeypoints(kp.astype(np.float32), width, height, fps, found,
                          {"detect_seconds": detect_s, "frames": float(len(per_frame)),
                           "detect_fps": len(per_frame) / max(detect_s, 1e-9),
                           "found_first_pass_A": float(first_found[0]), "found_first_pass_B": float(first_found[1]),
                           "found_A": float(found[0].mean()), "found_B": float(found[1].mean())},
                          blazepose_to_body22(tracks.world).astype(np.float32))


def save_keypoints(vk: VideoKeypoints, path: Union[str, Path]) -> None:
    path = Path(path)
    arrays = {"keypoints": vk.keypoints, "width": vk.width, "height": vk.height, "fps": vk.fps, "found": vk.found}
    if vk.world is not None:
        arrays["world"] = vk.world
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps({k: np.asarray(v).tolist() for k, v in arrays.items()}))
    else:
        np.savez(path, **{k: np.asarray(v) for k, v in arrays.items()})


def load_keypoints(path: Union[str, Path]) -> VideoKeypoints:
    path = Path(path)
    label = str(path)
    if path.suffix.lower() == ".json":
        raw = read_json_file(path, label, limit=MAX_MEMBER_BYTES)
        if not isinstance(raw, dict):
            raise MotionError(f"{label}: expected a JSON object with 'keypoints', 'width', 'height', 'fps'")

        def get(key: str, required: bool = True) -> Optional[np.ndarray]:
            if key not in raw:
                if required:
                    raise MotionError(f"{label}: missing key '{key}'")
                return None
            try:
                return np.asarray(raw[key], dtype=np.float64)
            except (TypeError, ValueError):
                raise MotionError(f"{label}: key '{key}' should hold numbers") from None
    else:
        from ..io.npz import NpzFile

        npz = NpzFile(path)

        def get(key: str, required: bool = True) -> Optional[np.ndarray]:
            value = npz.get(key, required)
            if value is not None and value.dtype.kind not in "fiub":
                raise MotionError(f"{label}: key '{key}' should hold numbers, got {value.dtype}")
            return value
    kp = get("keypoints")
    assert kp is not None
    if kp.ndim != 4 or kp.shape[0] != 2 or kp.shape[2:] != (NUM_BODY_JOINTS, 3):
        raise MotionError(f"{label}: key 'keypoints' should be (2, T, {NUM_BODY_JOINTS}, 3), got {kp.shape}")
    if not np.all(np.isfinite(kp)):
        raise MotionError(f"{label}: key 'keypoints' holds non-finite values")
    scalars = {}
    for key in ("width", "height", "fps"):
        value = get(key)
        assert value is not None
        if value.size != 1 or not float(value.reshape(())) > 0:
            raise MotionError(f"{label}: key '{key}' should be one positive number, got {value.tolist()}")
        scalars[key] = float(value.reshape(()))
    scalars["fps"] = check_frame_rate(scalars["fps"], label)
    found = get("found", required=False)
    if found is None:
        found = kp[..., 2].max(-1) > 0
    elif found.shape != kp.shape[:2]:
        raise MotionError(f"{label}: key 'found' should be (2, {kp.shape[1]}), got {found.shape}")
    world = get("world", required=False)
    if world is not None:
        if world.shape != kp.shape[:3] + (4,):
            raise MotionError(f"{label}: key 'world' should be (2, {kp.shape[1]}, {NUM_BODY_JOINTS}, 4), "
                              f"got {world.shape}")
        if not np.all(np.isfinite(world)):
            raise MotionError(f"{label}: key 'world' holds non-finite values")
        world = world.astype(np.float32)
    return VideoKeypoints(kp.astype(np.float32), int(scalars["width"]), int(scalars["height"]), scalars["fps"],
                          found.astype(bool), world=world)


def _fit_and_flag(vk: VideoKeypoints, weak: np.ndarray, K: Optional[np.ndarray], fit_config: Optional[FitConfig],
                  flag_config: Optional[FlagConfig], progress: Optional[Progress],
                  stage: str, behind: np.ndarray) -> tuple[FitResult, Flags]:
    """The fit with the keypoints of the ``weak`` person-frames trusted less and their world landmarks not at all
    (BlazePose's 3D pose of a person behind the other is a guess; trusted like their 2D keypoints, × 0.3, it
    pulled their placement on the benchmark's validation clips: relative error 249 vs 213 mm) and the ``behind``
    ones kept behind the partner, and the flags its bodies give."""
    kp = vk.keypoints.astype(np.float64).copy()
    kp[..., 2] = np.where(weak[..., None], kp[..., 2] * 0.3, kp[..., 2])
    world = None
    if vk.world is not None:
        world = vk.world.astype(np.float64).copy()
        world[..., 3] = np.where(weak[..., None], 0.0, world[..., 3])  # a hidden body's 3D pose is a guess
    result = fit_long(kp, vk.width, vk.height, vk.fps, K=K, config=fit_config,  # windows: bounded memory
                      progress=None if progress is None else (lambda d, t: progress(stage, d, t)), world=world,
                      behind=behind)
    recon = result.reconstruction
    assert recon.camera is not None and result.joints_cam is not None
    # the fitted bodies say which joints the other person hides (touching is not occlusion)
    flags = detect_flags(vk.keypoints, vk.found, BODY_PARENTS, flag_config,
                         **fit_evidence(result.joints_cam, recon.camera.K, vk.keypoints))
    return result, flags


def reconstruct(vk: VideoKeypoints, video_path: Optional[Union[str, Path]] = None,
                K: Optional[np.ndarray] = None, fit_config: Optional[FitConfig] = None,
                flag_config: Optional[FlagConfig] = None, progress: Optional[Progress] = None) -> Session:
    """Keypoints → flags → fit → flags from the fit → (refit) → a Session whose segments mark the frames to
    review.

    Evidence of a person hidden behind the other is partly the detector's guess (BlazePose places the hidden
    joints, often on the partner's body, with undiminished confidence). Before the fit, only a missed person or
    skeletons sharing pixels say so; the fitted bodies then show which other frames were behind the partner, and
    when there are any the clip is fitted again trusting those frames' keypoints as little as the shared ones. On
    the real-motion benchmark's validation clips (one person hidden for seconds) this halved the error of the
    hidden person's placement on some clips (a one-frame re-detection of the hidden person, read 1.7 m too far,
    no longer pulls their depth), at a small cost on the train clips (relative placement median 204 → 218 mm).
    Both fits keep a person missed for frames on end over their partner (:func:`.occlusion.missed_behind`) behind
    that partner; carried from the frames around the occlusion they were placed too close behind (§4 of
    docs/frontend_eval.md)."""
    # before the fit, only a missed person or skeletons sharing pixels lower the keypoints' weight
    prefit = replace(flag_config or FlagConfig(), missing_confidence=0.0)
    weak = detect_flags(vk.keypoints, vk.found, BODY_PARENTS, prefit).occluded
    behind = missed_behind(vk.keypoints, vk.found)
    start = time.perf_counter()
    result, flags = _fit_and_flag(vk, weak, K, fit_config, flag_config, progress, "fit", behind)
    hidden_seen = flags.occluded & vk.found & ~weak
    if hidden_seen.any():
        result, flags = _fit_and_flag(vk, weak | hidden_seen, K, fit_config, flag_config, progress, "refit", behind)
    fit_s = time.perf_counter() - start
    recon = result.reconstruction
    assert recon.camera is not None
    reliability = flags.reliability(vk.keypoints)
    people = []
    for k, person in enumerate(recon.people):
        p = person.copy()
        p.reliability = reliability[k]
        p.keypoints_2d = vk.keypoints[k]
        people.append(p)
    recon = recon.replace_people(*people)
    recon.meta.update(frontend={"keypoints": "mediapipe-blazepose-full", "fit_seconds": fit_s, **vk.timings,
                                "occluded_share": float(flags.occluded.mean()),
                                "ambiguous_share": float(flags.ambiguous.mean())})
    video = str(Path(video_path).resolve()) if video_path else None
    return Session(recon, segments=flags.segments(), video_path=video, meta={"created_by": "sm-studio reconstruct"})

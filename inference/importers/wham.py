"""WHAM results (``wham_output.pkl``, written with ``joblib.dump`` by WHAM's ``demo.py --save_pkl``).

Layout: a dict keyed by subject (track) id; each value a dict with ``pose (T,72)`` (SMPL axis-angle, root in the
camera), ``trans (T,3)`` (SMPL ``transl`` in the camera), ``pose_world (T,72)`` / ``trans_world (T,3)`` (same
body, root in WHAM's gravity-aligned Y-up world), ``betas (T,10)``, ``frame_ids (T,)`` and ``verts`` (unused).
WHAM estimates each subject's world trajectory on its own, so the two people are placed from their camera-frame
estimates and the world only fixes where the camera is (see ``tracks``). WHAM stores neither frame rate nor
image size; without an image size no camera intrinsics are kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np

from ..motion import MotionError, Reconstruction
from ..rotations import axis_angle_to_matrices
from .safe_pickle import Inert, safe_load
from .tracks import PelvisFn, Track, assemble, choose_tracks, default_pelvis_fn, per_frame_rows

DEFAULT_FPS = 30.0
REQUIRED = ("pose", "trans", "betas", "frame_ids")


def looks_like_wham(obj: Any) -> bool:
    return (isinstance(obj, dict) and bool(obj)
            and all(isinstance(v, dict) and "frame_ids" in v and "pose" in v for v in obj.values()))


def _field(subj: dict, key: str, cols: Optional[int], label: str, sid: Any, frames: Optional[int] = None) -> np.ndarray:
    value = subj[key]
    where = f"{label}: subject {sid} key '{key}'"
    if isinstance(value, Inert):
        raise MotionError(f"{where}: holds a {value.refused} object, which is not loaded for safety")
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":
        raise MotionError(f"{where}: expected numbers, got dtype {arr.dtype}")
    if cols is None:
        return arr.reshape(-1)
    return per_frame_rows(arr, where, cols, frames, "'frame_ids'").astype(np.float64)


def read_subjects(results: dict, label: str) -> list[Track]:
    tracks = []
    for sid, subj in results.items():
        missing = [k for k in REQUIRED if k not in subj]
        if missing:
            raise MotionError(f"{label}: subject {sid} missing key '{missing[0]}' (has: {', '.join(map(str, subj))})")
        frames = _field(subj, "frame_ids", None, label, sid).astype(np.int64)
        n = len(frames)
        pose = _field(subj, "pose", 72, label, sid, n)
        trans = _field(subj, "trans", 3, label, sid, n)
        betas = _field(subj, "betas", 10, label, sid, n) if np.ndim(subj["betas"]) == 2 else \
            _field(subj, "betas", None, label, sid)[None]
        world = "pose_world" in subj and "trans_world" in subj
        order = np.argsort(frames, kind="stable")
        try:
            tid = int(sid)
        except (TypeError, ValueError):
            raise MotionError(f"{label}: subject key {sid!r} is not an integer id") from None
        world_pose = _field(subj, "pose_world", 72, label, sid, n)[order, :3] if world else None
        tracks.append(Track(
            tid, frames[order], axis_angle_to_matrices(pose[order, :3]), trans[order],
            pose[order, 3:66].reshape(n, 21, 3), betas.mean(0), "smpl",
            orient_world=axis_angle_to_matrices(world_pose) if world else None,
            transl_world=_field(subj, "trans_world", 3, label, sid, n)[order] if world else None))
    return tracks


def load_wham(path: Union[str, Path], tracks: Optional[Sequence[int]] = None, fps: Optional[float] = None,
              image_size: Optional[tuple[int, int]] = None, pelvis_fn: Optional[PelvisFn] = None) -> Reconstruction:
    """Two subjects from a WHAM ``.pkl``; ``tracks`` picks the subject ids (A, B), else the two longest.
    ``image_size`` (width, height) adds WHAM's default intrinsics (focal = image diagonal)."""
    obj, refused = safe_load(path)
    return wham_reconstruction(obj, refused, str(path), tracks, fps, image_size, pelvis_fn)


def wham_reconstruction(obj: Any, refused: set[str], label: str, tracks: Optional[Sequence[int]] = None,
                        fps: Optional[float] = None, image_size: Optional[tuple[int, int]] = None,
                        pelvis_fn: Optional[PelvisFn] = None) -> Reconstruction:
    """As :func:`load_wham`, from the already (safely) unpickled object."""
    if not looks_like_wham(obj):
        raise MotionError(f"{label}: not a WHAM output file (expected a dict of subjects with 'pose', 'trans', "
                          f"'frame_ids')")
    all_tracks = read_subjects(obj, label)
    a, b = choose_tracks(all_tracks, tracks, label)
    K = None
    if image_size is not None:
        w, h = image_size
        f = float(np.hypot(w, h))
        K = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]], np.float64)
    meta = {"source": "wham", "source_file": Path(label).name,
            "available_tracks": {str(t.track_id): len(t.frames) for t in all_tracks}}
    if refused:
        meta["refused_objects"] = sorted(refused)
    return assemble((a, b), fps or DEFAULT_FPS, K, image_size, pelvis_fn or default_pelvis_fn(), meta=meta)

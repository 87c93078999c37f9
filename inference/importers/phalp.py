"""4DHumans / PHALP tracking results (``results/demo_<video>.pkl``, written with ``joblib.dump``).

Layout (PHALP's ``track()``): a dict keyed by frame path; each value a dict with per-frame lists aligned with
``tid`` (every confirmed track, including ones only predicted this frame) and ``tracked_ids`` (tracks actually
detected this frame), plus ``time`` (frame index) and, per entry, ``smpl`` (``global_orient (1,3,3)``,
``body_pose (23,3,3)`` rotation matrices, ``betas (10,)``), ``camera`` (``[tx, ty, tz]``: SMPL translation in the
camera of the full image), ``size`` (``[height, width]``). The camera's focal length is PHALP's
5000 px at 256 px, scaled to the longer image side, with the principal point at the image centre.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np
import torch

from ..motion import MotionError, Reconstruction
from ..rotations import matrix_to_axis_angle
from .safe_pickle import Inert, safe_load
from .tracks import PelvisFn, Track, assemble, choose_tracks, default_pelvis_fn

FOCAL_AT_256 = 5000.0
DEFAULT_FPS = 30.0


def looks_like_phalp(obj: Any) -> bool:
    if not isinstance(obj, dict) or not obj:
        return False
    first = next(iter(obj.values()))
    return isinstance(first, dict) and "tid" in first and "smpl" in first


def _array(value: Any, shape: tuple[int, ...], where: str) -> np.ndarray:
    if isinstance(value, Inert):
        raise MotionError(f"{where}: holds a {value.refused} object, which is not loaded for safety")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise MotionError(f"{where}: expected numbers, got {type(value).__name__}") from None
    if arr.size != int(np.prod(shape)):
        raise MotionError(f"{where}: expected shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise MotionError(f"{where}: non-finite values")
    return arr.reshape(shape)


def _int(value: Any, where: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)) \
            or not np.isfinite(value) or value != int(value):
        raise MotionError(f"{where}: expected a whole number, got {value!r:.40}")
    return int(value)


def _list(value: Any, where: str) -> list:
    if isinstance(value, np.ndarray) and value.ndim >= 1:
        return list(value)
    if not isinstance(value, (list, tuple)):
        raise MotionError(f"{where}: expected a list, got {type(value).__name__}")
    return list(value)


def read_tracks(results: dict, label: str) -> tuple[list[Track], Optional[tuple[int, int]], int]:
    """Every confirmed track in a PHALP results dict, the image size (width, height) and the frame count."""
    per_track: dict[int, dict[str, list]] = {}
    size: Optional[tuple[int, int]] = None
    frames = []
    for key, entry in results.items():
        if not isinstance(entry, dict) or "time" not in entry:
            raise MotionError(f"{label}: frame {key!r} has no 'time' (not a PHALP results file?)")
        frames.append((_int(entry["time"], f"{label}: frame {key!r} key 'time'"), key, entry))
    for t, key, entry in sorted(frames, key=lambda x: x[0]):
        where = f"{label}: frame {key!r}"
        for name in ("tid", "smpl", "camera"):
            if name not in entry:
                raise MotionError(f"{where}: missing key '{name}'")
        tids, smpls, cams = (_list(entry[k], f"{where} key '{k}'") for k in ("tid", "smpl", "camera"))
        tids = [_int(tid, f"{where} key 'tid'") for tid in tids]
        if not (len(tids) == len(smpls) == len(cams)):
            raise MotionError(f"{where}: 'tid', 'smpl' and 'camera' lists differ in length "
                              f"({len(tids)}, {len(smpls)}, {len(cams)})")
        detected = set(_int(i, f"{where} key 'tracked_ids'")
                       for i in _list(entry.get("tracked_ids", tids), f"{where} key 'tracked_ids'"))
        sizes = _list(entry.get("size", []), f"{where} key 'size'")
        if size is None and sizes:
            h, w = _array(sizes[0], (2,), f"{where} key 'size'")
            size = (int(w), int(h))
        for i, (tid, smpl, cam) in enumerate(zip(tids, smpls, cams)):
            if not isinstance(smpl, dict):
                raise MotionError(f"{where}: 'smpl'[{i}] should be a dict, got {type(smpl).__name__}")
            for name in ("global_orient", "body_pose", "betas"):
                if name not in smpl:
                    raise MotionError(f"{where}: 'smpl'[{i}] missing key '{name}'")
            rec = per_track.setdefault(tid, {k: [] for k in ("frames", "orient", "body", "betas", "cam", "obs")})
            if rec["frames"] and rec["frames"][-1] == t:
                raise MotionError(f"{where}: track {tid} listed twice")
            rec["frames"].append(t)
            rec["orient"].append(_array(smpl["global_orient"], (3, 3), f"{where} 'smpl'[{i}]['global_orient']"))
            rec["body"].append(_array(smpl["body_pose"], (23, 3, 3), f"{where} 'smpl'[{i}]['body_pose']"))
            rec["betas"].append(_array(smpl["betas"], (10,), f"{where} 'smpl'[{i}]['betas']"))
            rec["cam"].append(_array(cam, (3,), f"{where} 'camera'[{i}]"))
            rec["obs"].append(tid in detected)
    tracks = []
    for tid, rec in sorted(per_track.items()):
        body = matrix_to_axis_angle(torch.as_tensor(np.stack(rec["body"])[:, :21])).numpy()
        obs = np.asarray(rec["obs"], bool)
        betas = np.stack(rec["betas"])
        tracks.append(Track(tid, np.asarray(rec["frames"]), np.stack(rec["orient"]), np.stack(rec["cam"]), body,
                            betas[obs].mean(0) if obs.any() else betas.mean(0), "smpl", obs))
    return tracks, size, max(f[0] for f in frames) + 1 if frames else 0


def phalp_intrinsics(width: int, height: int) -> np.ndarray:
    f = FOCAL_AT_256 / 256.0 * max(width, height)
    return np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1]], np.float64)


def load_phalp(path: Union[str, Path], tracks: Optional[Sequence[int]] = None, fps: Optional[float] = None,
               pelvis_fn: Optional[PelvisFn] = None) -> Reconstruction:
    """Two people from a PHALP/4DHumans ``.pkl``. ``tracks``: the two track ids to keep (A, B); by default the
    two seen on most frames. PHALP stores no frame rate: ``fps`` defaults to 30."""
    obj, refused = safe_load(path)
    return phalp_reconstruction(obj, refused, str(path), tracks, fps, pelvis_fn)


def phalp_reconstruction(obj: Any, refused: set[str], label: str, tracks: Optional[Sequence[int]] = None,
                         fps: Optional[float] = None, pelvis_fn: Optional[PelvisFn] = None) -> Reconstruction:
    """As :func:`load_phalp`, from the already (safely) unpickled object."""
    if not looks_like_phalp(obj):
        raise MotionError(f"{label}: not a PHALP/4DHumans results file (expected a dict of frames with 'tid' "
                          f"and 'smpl')")
    all_tracks, size, num_frames = read_tracks(obj, label)
    a, b = choose_tracks(all_tracks, tracks, label)
    K = phalp_intrinsics(*size) if size else None
    meta = {"source": "phalp", "source_file": Path(label).name,
            "available_tracks": {str(t.track_id): int(t.observed.sum()) for t in all_tracks}}
    if refused:
        meta["refused_objects"] = sorted(refused)
    return assemble((a, b), fps or DEFAULT_FPS, K, size, pelvis_fn or default_pelvis_fn(),
                    num_frames=num_frames, meta=meta)

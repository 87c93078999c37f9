"""TRAM results: a ``results/<video>/`` folder from TRAM's ``estimate_camera.py`` and ``estimate_humans.py``.

Layout (``np.save`` of Python dicts, read with :func:`safe_pickle.safe_load_npy`, never ``allow_pickle``):
``camera.npy`` — ``img_focal``, ``img_center (2,)``, ``pred_cam_R (N,3,3)``, ``pred_cam_T (N,3)``, the
camera-to-world motion from masked DROID-SLAM (metric scale, world = the first camera's axes); ``hps/hps_track_K.npy``
per person (tracks ranked by length, K = 0 the longest) — torch tensors ``pred_rotmat (n,24,3,3)`` (SMPL, root
first, in the camera), ``pred_shape (n,10)``, ``pred_trans (n,1,3)`` (SMPL ``transl`` in the camera),
``frame (n,)``. Our world is the first camera's turned upright; both people are placed from their camera-frame
estimates and the SLAM camera motion (see ``tracks``). TRAM stores no frame rate: 30 is assumed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np
import torch

from ..motion import MotionError, Reconstruction
from ..rotations import matrix_to_axis_angle
from .safe_pickle import Inert, safe_load_npy
from .tracks import FLIP_YZ, SOURCE_PELVIS, PelvisFn, Track, assemble, choose_tracks, default_pelvis_fn

DEFAULT_FPS = 30.0
_TRACK_FILE = re.compile(r"hps_track_(\d+)\.npy$")


def _array(d: Any, key: str, shape: tuple[Optional[int], ...], label: str) -> np.ndarray:
    if not isinstance(d, dict):
        raise MotionError(f"{label}: expected a dict of arrays, got {type(d).__name__}")
    if key not in d:
        raise MotionError(f"{label}: missing key '{key}' (has: {', '.join(map(str, d))})")
    value = d[key]
    if isinstance(value, Inert):
        raise MotionError(f"{label}: key '{key}' holds a {value.refused} object, which is not loaded for safety")
    try:
        arr = value.detach().cpu().double().numpy() if isinstance(value, torch.Tensor) else np.asarray(value, float)
    except (TypeError, ValueError):
        raise MotionError(f"{label}: key '{key}' should hold numbers, got {type(value).__name__}") from None
    if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
        want = "(" + ", ".join("n" if s is None else str(s) for s in shape) + ")"
        raise MotionError(f"{label}: key '{key}' should be {want}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise MotionError(f"{label}: key '{key}' holds non-finite values")
    return arr


def tram_folder(path: Union[str, Path]) -> Path:
    """The results folder for a path to it, to its ``camera.npy`` or to one of its ``hps`` files."""
    path = Path(path)
    if path.is_file():
        path = path.parent.parent if path.parent.name == "hps" else path.parent
    return path


def looks_like_tram(path: Union[str, Path]) -> bool:
    folder = tram_folder(path)
    return (folder / "camera.npy").is_file() and (folder / "hps").is_dir()


def load_tram(path: Union[str, Path], tracks: Optional[Sequence[int]] = None, fps: Optional[float] = None,
              pelvis_fn: Optional[PelvisFn] = None) -> Reconstruction:
    """Two people from a TRAM results folder; ``tracks`` picks the ``hps_track_K`` numbers (A, B), else the two
    longest."""
    folder = tram_folder(path)
    cam_file = folder / "camera.npy"
    cam, _ = safe_load_npy(cam_file)
    label = str(cam_file)
    focal = _array(cam, "img_focal", (), label).reshape(())
    centre = _array(cam, "img_center", (2,), label)
    cam_r = _array(cam, "pred_cam_R", (None, 3, 3), label)
    cam_t = _array(cam, "pred_cam_T", (cam_r.shape[0], 3), label)
    files = sorted((int(m.group(1)), p) for p in (folder / "hps").glob("hps_track_*.npy")
                   if (m := _TRACK_FILE.search(p.name)))
    if not files:
        raise MotionError(f"{folder / 'hps'}: no hps_track_K.npy files")
    all_tracks = [_read_track(k, p, cam_r, cam_t) for k, p in files]
    a, b = choose_tracks(all_tracks, tracks, str(folder))
    K = np.array([[float(focal), 0, centre[0]], [0, float(focal), centre[1]], [0, 0, 1]])
    size = (int(round(2 * centre[0])), int(round(2 * centre[1])))
    meta = {"source": "tram", "source_file": folder.name,
            "available_tracks": {str(t.track_id): len(t.frames) for t in all_tracks}}
    return assemble((a, b), fps or DEFAULT_FPS, K, size, pelvis_fn or default_pelvis_fn(),
                    num_frames=cam_r.shape[0], meta=meta)


def _read_track(track_id: int, path: Path, cam_r: np.ndarray, cam_t: np.ndarray) -> Track:
    data, _ = safe_load_npy(path)
    label = str(path)
    rot = _array(data, "pred_rotmat", (None, 24, 3, 3), label)
    n = rot.shape[0]
    shape = _array(data, "pred_shape", (n, 10), label)
    trans = _array(data, "pred_trans", (n, 1, 3), label).reshape(n, 3)
    frames = _array(data, "frame", (n,), label).astype(np.int64)
    if np.any(frames < 0) or np.any(frames >= cam_r.shape[0]) or np.any(np.diff(frames) <= 0):
        raise MotionError(f"{label}: key 'frame' must increase within 0..{cam_r.shape[0] - 1}")
    body = matrix_to_axis_angle(torch.as_tensor(rot[:, 1:22])).numpy()
    r, t = cam_r[frames], cam_t[frames]  # camera -> TRAM world (the first camera's axes)
    orient_world = FLIP_YZ @ r @ rot[:, 0]
    pelvis_world = np.einsum("ij,nj->ni", FLIP_YZ, np.einsum("nij,nj->ni", r, trans + SOURCE_PELVIS["smpl"]) + t)
    return Track(track_id, frames, rot[:, 0], trans, body, shape.mean(0), "smpl",
                 orient_world=orient_world, transl_world=pelvis_world - SOURCE_PELVIS["smpl"])

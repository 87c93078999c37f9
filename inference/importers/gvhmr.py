"""GVHMR results (``hmr4d_results.pt``, one person per file, written with ``torch.save`` by ``tools/demo``).

Layout: ``smpl_params_incam`` and ``smpl_params_global``, each a dict of SMPL-X parameters ``global_orient (L,3)``,
``body_pose (L,63)``, ``betas (L,10)``, ``transl (L,3)`` (camera frame, OpenCV axes / gravity-aligned Y-up
world), and ``K_fullimg (L,3,3)``. Read with ``torch.load(weights_only=True)``: tensors and containers only.
Two people come from two files of the same video (GVHMR's demo follows one person per run); they are placed
from their camera-frame estimates, the world fixing the camera (see ``tracks``). The demo re-encodes video at
30 fps, hence the default frame rate.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np
import torch

from ..io.limits import check_member, check_regular_file
from ..motion import MotionError, Reconstruction
from ..rotations import axis_angle_to_matrices
from .tracks import PelvisFn, Track, assemble, default_pelvis_fn, per_frame_rows

DEFAULT_FPS = 30.0
PARAMS = {"global_orient": 3, "body_pose": 63, "transl": 3, "betas": 10}


def load_pt(path: Union[str, Path]) -> Any:
    label = str(path)
    check_regular_file(path, label)
    try:
        if zipfile.is_zipfile(path):  # torch.save's format: every record's declared size within the limits
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    check_member(info, label)
        return torch.load(path, map_location="cpu", weights_only=True)
    except MotionError:
        raise
    except FileNotFoundError:
        raise MotionError(f"{label}: file not found") from None
    except Exception as exc:  # a corrupted file makes torch's loader raise anything (IndexError, struct.error…)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MotionError(f"{label}: not a readable torch file of tensors ({first})") from None


def looks_like_gvhmr(obj: Any) -> bool:
    return isinstance(obj, dict) and "smpl_params_incam" in obj


def _params(obj: dict, group: str, label: str) -> dict[str, np.ndarray]:
    if group not in obj or not isinstance(obj[group], dict):
        raise MotionError(f"{label}: missing key '{group}' (a dict of SMPL-X parameters)")
    out, frames = {}, None
    for name, cols in PARAMS.items():
        where = f"{label}: key '{group}.{name}'"
        if name not in obj[group]:
            raise MotionError(f"{label}: missing key '{group}.{name}'")
        value = obj[group][name]
        try:
            arr = value.detach().cpu().double().numpy() if isinstance(value, torch.Tensor) else np.asarray(value, float)
        except (TypeError, ValueError):
            raise MotionError(f"{where}: expected numbers, got {type(value).__name__}") from None
        out[name] = per_frame_rows(arr, where, cols, frames, "the first parameter", rows="L")
        frames = arr.shape[0]
    return out


def read_person(path: Union[str, Path], track_id: int) -> tuple[Track, Optional[np.ndarray]]:
    label = str(path)
    obj = load_pt(path)
    if not looks_like_gvhmr(obj):
        raise MotionError(f"{label}: not a GVHMR result (no 'smpl_params_incam')")
    cam = _params(obj, "smpl_params_incam", label)
    world = _params(obj, "smpl_params_global", label) if "smpl_params_global" in obj else None
    n = cam["global_orient"].shape[0]
    if world is not None and world["global_orient"].shape[0] != n:
        raise MotionError(f"{label}: 'smpl_params_global' and 'smpl_params_incam' differ in length")
    K = None
    if "K_fullimg" in obj:
        try:
            K = np.asarray(obj["K_fullimg"].detach().cpu().double().numpy()
                           if isinstance(obj["K_fullimg"], torch.Tensor) else obj["K_fullimg"], np.float64)
        except (TypeError, ValueError):
            raise MotionError(f"{label}: key 'K_fullimg' should hold numbers") from None
        if K.shape[-2:] != (3, 3) or K.size == 0 or not np.all(np.isfinite(K)):
            raise MotionError(f"{label}: key 'K_fullimg' should be finite (L, 3, 3), got {K.shape}")
        K = K.reshape(-1, 3, 3)[0]
    track = Track(track_id, np.arange(n), axis_angle_to_matrices(cam["global_orient"]), cam["transl"],
                  cam["body_pose"].reshape(n, 21, 3), cam["betas"].mean(0), "smplx",
                  orient_world=axis_angle_to_matrices(world["global_orient"]) if world else None,
                  transl_world=world["transl"] if world else None)
    return track, K


def load_gvhmr(paths: Sequence[Union[str, Path]], fps: Optional[float] = None,
               pelvis_fn: Optional[PelvisFn] = None) -> Reconstruction:
    """Two people from two GVHMR result files of the same video (A first). The image size is taken from the
    principal point of ``K_fullimg`` (GVHMR puts it at the image centre)."""
    if len(paths) != 2:
        raise MotionError(f"GVHMR estimates one person per file: give two files (A, B), got {len(paths)}")
    (a, K), (b, _) = read_person(paths[0], 0), read_person(paths[1], 1)
    size = (int(round(2 * K[0, 2])), int(round(2 * K[1, 2]))) if K is not None else None
    meta = {"source": "gvhmr", "source_file": [Path(p).name for p in paths]}
    return assemble((a, b), fps or DEFAULT_FPS, K, size, pelvis_fn or default_pelvis_fn(), meta=meta)

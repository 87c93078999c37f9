"""Hi4D: two people in close physical contact, with per-frame SMPL fits and eight calibrated cameras.

Layout (github.com/yifeiyin04/Hi4D: ``dataset.md``, ``visualize_hi4d.py``)::

    ROOT/pairNN/<action>/meta.npz              start, end, num_persons, genders, betas, contact_ids, mono_cam
    ROOT/pairNN/<action>/smpl/<frame:06d>.npz  betas (2,10), body_pose (2,69), global_orient (2,3), transl (2,3),
                                               joints_3d (2,24,3), verts (2,6890,3), contact (2,6890)
    ROOT/pairNN/<action>/cameras/rgb_cameras.npz  ids (8,), intrinsics (8,3,3), extrinsics (8,3,4), dist_coeffs
    ROOT/pairNN/<action>/images/<camera id>/<frame:06d>.jpg

``dataset.md`` spells the intrinsics key ``intirnsics``; the files and every public reader use ``intrinsics`` (both
are accepted). Extrinsics map world to camera (``x_cam = [R|t] x``, OpenCV axes). Images are 940×1280 (width ×
height), as the official visualiser sets up its camera system; 30 fps, its playback rate.

Conversion: SMPL's ``body_pose`` holds 23 joints; the first 21 are SMPL-X's body joints (same order and meaning),
the two hand joints are dropped. The pelvis position comes from ``joints_3d[:, 0]`` (SMPL's pelvis for the fitted
shape), or, without it, from ``transl`` + SMPL's mean-shape rest pelvis (about 1 cm off). The up axis is not
documented (the official viewer is Y-up), so it is detected from the motion (:mod:`.up_axis`) unless given. Betas
are SMPL's shape space, not our body's: zeroed (``meta.npz`` genders are kept). The camera is ``mono_cam`` (the view
the dataset picks for monocular work), static, without its lens distortion.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from ..body import BodyModel
from ..io.npz import NpzFile
from ..motion import GENDERS, Camera, MotionError, Reconstruction
from .tracks import SOURCE_PELVIS
from ..rotations import axis_angle_to_matrices
from .up_axis import (check_finite, detect_up_axis, person_from_world, posed_joints,
                      rest_skeleton, to_y_up)

FPS = 30.0
IMAGE_SIZE = (940, 1280)


def looks_like_hi4d(path: Path) -> bool:
    """A sequence folder (``pairNN/<action>``) or its ``smpl`` folder."""
    folder = path.parent if path.name == "smpl" else path
    return path.is_dir() and (folder / "smpl").is_dir() and (folder / "meta.npz").is_file()


def _frame_files(folder: Path) -> list[Path]:
    files = [p for p in (folder / "smpl").glob("*.npz") if p.stem.isdigit()]
    if not files:
        raise MotionError(f"{folder / 'smpl'}: no per-frame SMPL files (<frame>.npz)")
    files.sort(key=lambda p: int(p.stem))
    numbers = np.array([int(p.stem) for p in files])
    gaps = np.nonzero(np.diff(numbers) != 1)[0]
    if len(gaps):
        raise MotionError(f"{folder / 'smpl'}: frames missing after {files[gaps[0]].name} (next is "
                          f"{files[gaps[0] + 1].name})")
    return files


def _frame(path: Path) -> dict[str, np.ndarray]:
    f = NpzFile(path)
    try:
        out = {}
        for key, cols in (("global_orient", 3), ("body_pose", 69), ("transl", 3)):
            arr = f.get(key)
            if arr.shape != (2, cols):
                raise MotionError(f"{path}: key '{key}' should be (2, {cols}), got {arr.shape}")
            out[key] = check_finite(arr, str(path), f"key '{key}'")
        joints = f.get("joints_3d", required=False)
        if joints is not None:
            if joints.ndim != 3 or joints.shape[0] != 2 or joints.shape[2] != 3 or joints.shape[1] < 1:
                raise MotionError(f"{path}: key 'joints_3d' should be (2, 24, 3), got {joints.shape}")
            out["pelvis"] = check_finite(joints[:, 0], str(path), "key 'joints_3d'")
        return out
    finally:
        f.close()


def _genders(folder: Path) -> list[str]:
    f = NpzFile(folder / "meta.npz")
    try:
        raw = f.get("genders", required=False)
    finally:
        f.close()
    if raw is None or raw.dtype.kind not in "US" or raw.size != 2:
        return ["neutral", "neutral"]
    names = [str(g.decode() if isinstance(g, bytes) else g).lower() for g in raw.reshape(-1)]
    return [g if g in GENDERS else "neutral" for g in names]


def _camera(folder: Path, num_frames: int, to_ours: np.ndarray) -> tuple[Optional[Camera], Optional[int]]:
    """The ``mono_cam`` camera (else the first), re-expressed for our world: ``R' = R G^T``."""
    path = folder / "cameras" / "rgb_cameras.npz"
    if not path.is_file():
        return None, None
    f = NpzFile(path)
    try:
        ids = f.get("ids").reshape(-1)
        key = "intrinsics" if "intrinsics" in f else "intirnsics"
        intrinsics, extrinsics = f.get(key), f.get("extrinsics")
    finally:
        f.close()
    meta = NpzFile(folder / "meta.npz")
    try:
        mono = meta.get("mono_cam", required=False)
    finally:
        meta.close()
    index = 0
    if mono is not None and mono.size == 1 and np.any(ids == mono.reshape(())):
        index = int(np.nonzero(ids == mono.reshape(()))[0][0])
    usable = min(len(intrinsics), len(extrinsics))
    if intrinsics.shape[1:] != (3, 3) or extrinsics.shape[1:] != (3, 4) or index >= usable:
        raise MotionError(f"{path}: expected intrinsics (N,3,3) and extrinsics (N,3,4), got {intrinsics.shape} "
                          f"and {extrinsics.shape}")
    ext = check_finite(extrinsics[index], str(path), "key 'extrinsics'")
    K = check_finite(intrinsics[index], str(path), f"key '{key}'")
    cam = Camera.static(K, ext[:, :3] @ to_ours.T, ext[:, 3], num_frames, *IMAGE_SIZE)
    return cam, int(ids[index])


def load_hi4d(path: Path, fps: Optional[float] = None, up_axis: Optional[str] = None,
              body: Optional[BodyModel] = None) -> Reconstruction:
    """Both people of one Hi4D sequence folder (``pairNN/<action>``, or its ``smpl`` folder)."""
    folder = Path(path)
    folder = folder.parent if folder.name == "smpl" else folder
    label = str(folder)
    if not looks_like_hi4d(folder):
        raise MotionError(f"{label}: not a Hi4D sequence (expected meta.npz and smpl/<frame>.npz inside)")
    files = _frame_files(folder)
    frames = [_frame(p) for p in files]
    rest = rest_skeleton(body)
    people = []
    for k in range(2):
        aa = np.stack([f["global_orient"][k] for f in frames])
        root = axis_angle_to_matrices(aa)
        body_pose = np.stack([f["body_pose"][k] for f in frames]).reshape(-1, 23, 3)[:, :21]
        if all("pelvis" in f for f in frames):
            pelvis = np.stack([f["pelvis"][k] for f in frames])
        else:
            pelvis = np.stack([f["transl"][k] for f in frames]) + SOURCE_PELVIS["smpl"]
        people.append((root, body_pose, pelvis))
    axis = up_axis or detect_up_axis(np.stack([posed_joints(*p, rest) for p in people]), label)
    g = to_y_up(axis, label)
    genders = _genders(folder)
    motions = tuple(person_from_world(root, pose, pelvis, g, rest[0], f"{label} (person {k})", gender=genders[k])
                    for k, (root, pose, pelvis) in enumerate(people))
    camera, cam_id = _camera(folder, len(files), g)
    meta = {"source": "hi4d", "sequence": f"{folder.parent.name}/{folder.name}", "action": action_label(folder.name),
            "text": action_label(folder.name), "source_up_axis": axis, "first_frame": int(files[0].stem),
            "betas": "zeroed (SMPL shape space)"}
    if cam_id is not None:
        meta["camera_id"] = cam_id
    return Reconstruction(motions, fps or FPS, camera, meta=meta)  # type: ignore[arg-type]


def action_label(name: str) -> str:
    """``"hug12"`` → ``"hug"``: the action name without its take number (Hi4D's only description)."""
    return re.sub(r"[\s_]*\d+$", "", name).replace("_", " ").lower()


def sequences(root: Path, selector: Optional[str] = None, fps: Optional[float] = None,
              body: Optional[BodyModel] = None) -> Iterator[tuple[str, Reconstruction, str]]:
    """``(pair/action, reconstruction, action label)`` of every sequence under ``root`` (a dataset root, a pair
    folder or a sequence folder) whose ``pair/action`` name contains ``selector``."""
    root = Path(root)
    if not root.is_dir():
        raise MotionError(f"{root}: Hi4D root not found")
    # sequences sit at most two levels down (ROOT/pairNN/<action>); no deeper walk through the image folders
    candidates = [root, *root.glob("*"), *root.glob("*/*")]
    folders = sorted(p for p in candidates if p.name != "smpl" and looks_like_hi4d(p))
    for folder in folders:
        name = f"{folder.parent.name}/{folder.name}"
        if selector is not None and selector not in name:
            continue
        recon = load_hi4d(folder, fps, body=body)
        yield name, recon, str(recon.meta["text"])

"""CHI3D ("Three-Dimensional Reconstruction of Human Interactions", Fieraru et al. 2020): two people captured in
a motion-capture lab, with SMPL-X fits, four calibrated cameras and action labels.

Layout (github.com/sminchisescu-research/imar_vision_datasets_tools: ``README.md``, ``util/dataset_util.py``,
``util/smplx_util.py``)::

    ROOT/chi3d/{train,test}/<subject>/smplx/<action>.json                  e.g. train/s02/smplx/Grab 4.json
    ROOT/chi3d/{train,test}/<subject>/camera_parameters/<camera>/<action>.json
    ROOT/chi3d/{train,test}/<subject>/joints3d_25/<action>.json, gpp/<action>.json, videos/<camera>/<action>.mp4

``smplx/<action>.json`` maps each SMPL-X parameter to a list of the two people, each a list over frames, and the
rotations are MATRICES (the tools pose them with ``smplx.build_layer``): ``transl (T,3)``, ``global_orient
(T,1,3,3)``, ``body_pose (T,21,3,3)``, ``betas (T,10)``, ``left_hand_pose``/``right_hand_pose (T,15,3,3)``,
``jaw_pose (T,1,3,3)``, plus eye poses and expression (not used). Person 0 wore the markers (the tools'
``w_markers``), person 1 did not. A camera file holds ``extrinsics`` ``R (3,3)``, ``T (1,3)`` with
``x_cam = R (x_world − T)`` and ``intrinsics_wo_distortion`` ``f (2,)``, ``c (2,)``; the tools render 900×900.

Conversion: the pelvis is ``transl`` + SMPL-X's mean-shape rest pelvis (the fitted shapes move it by about 1 cm);
the up axis is not documented, so it is detected from the motion (:mod:`.up_axis`) unless given. Betas are SMPL-X's
shape space, not our body's: zeroed (CHI3D gives no gender: neutral). Hand and jaw rotations are kept as the layer
uses them (full rotations, no PCA, no mean pose added). The frame rate is 50 fps: the official tools do not state
it, public preprocessing of these files calls them "50 fps annotations" (and the lab's video runs at 50 fps);
pass ``fps`` if a copy differs. The camera is the first camera folder (sorted)
that has the action, static, without its distortion. The action label (``"HoldingHands 2"`` → ``"holding hands"``)
is the only description.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator, Optional

import numpy as np

from ..body import BodyModel
from ..io.limits import MAX_MEMBER_BYTES, read_json_file
from ..motion import Camera, MotionError, Reconstruction
from .tracks import SOURCE_PELVIS
from ..rotations import axis_angle_to_matrices
from .up_axis import (check_finite, detect_up_axis, matrices_to_axis_angle,
                      person_from_world, posed_joints, rest_skeleton, to_y_up)

FPS = 50.0
IMAGE_SIZE = (900, 900)
SPLITS = ("train", "test")
# key -> per-frame shape of one person
SHAPES: dict[str, tuple[int, ...]] = {
    "transl": (3,), "global_orient": (1, 3, 3), "body_pose": (21, 3, 3),
    "left_hand_pose": (15, 3, 3), "right_hand_pose": (15, 3, 3), "jaw_pose": (1, 3, 3),
}
REQUIRED = ("transl", "global_orient", "body_pose")


def looks_like_chi3d(path: Path) -> bool:
    """``<action>.json`` inside a ``smplx`` folder."""
    return path.suffix.lower() == ".json" and path.parent.name == "smplx"


def _read_json(path: Path) -> Any:
    return read_json_file(path, limit=MAX_MEMBER_BYTES, nonfinite=True)  # a NaN is reported by key and index


def _person_arrays(params: dict, index: int, label: str) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for key, shape in SHAPES.items():
        if key not in params:
            if key in REQUIRED:
                raise MotionError(f"{label}: missing key '{key}' (has: {', '.join(sorted(map(str, params)))})")
            continue
        people = params[key]
        if not isinstance(people, list) or len(people) != 2:
            raise MotionError(f"{label}: key '{key}' should list the two people, got "
                              f"{len(people) if isinstance(people, list) else type(people).__name__}")
        try:
            arr = np.asarray(people[index], dtype=np.float64)
        except (TypeError, ValueError):
            raise MotionError(f"{label}: key '{key}' (person {index}) is not a numeric array") from None
        if arr.ndim != len(shape) + 1 or arr.shape[1:] != shape:
            want = "(T, " + ", ".join(map(str, shape)) + ")"
            raise MotionError(f"{label}: key '{key}' (person {index}) should be {want}, got {arr.shape}")
        out[key] = check_finite(arr, label, f"key '{key}' (person {index})")
    frames = {k: v.shape[0] for k, v in out.items()}
    if len(set(frames.values())) != 1 or out["transl"].shape[0] == 0:
        raise MotionError(f"{label}: person {index} has differing or zero frame counts {frames}")
    return out


def _camera(path: Path, num_frames: int, to_ours: np.ndarray) -> tuple[Optional[Camera], Optional[str]]:
    cams = path.parent.parent / "camera_parameters"
    files = sorted(cams.glob(f"*/{path.name}")) if cams.is_dir() else []
    if not files:
        return None, None
    data = _read_json(files[0])
    label = str(files[0])
    try:
        R = np.asarray(data["extrinsics"]["R"], np.float64)
        T = np.asarray(data["extrinsics"]["T"], np.float64).reshape(-1)
        f = np.asarray(data["intrinsics_wo_distortion"]["f"], np.float64).reshape(-1)
        c = np.asarray(data["intrinsics_wo_distortion"]["c"], np.float64).reshape(-1)
    except (KeyError, TypeError, ValueError) as exc:
        raise MotionError(f"{label}: expected extrinsics.R/T and intrinsics_wo_distortion.f/c ({exc!r})") from None
    if R.shape != (3, 3) or T.shape != (3,) or f.shape != (2,) or c.shape != (2,):
        raise MotionError(f"{label}: extrinsics R (3,3), T (1,3), intrinsics f (2,), c (2,) expected, got "
                          f"{R.shape}, {T.shape}, {f.shape}, {c.shape}")
    for name, arr in (("extrinsics.R", R), ("extrinsics.T", T), ("intrinsics_wo_distortion.f", f),
                      ("intrinsics_wo_distortion.c", c)):
        check_finite(arr, label, f"key '{name}'")
    K = np.array([[f[0], 0, c[0]], [0, f[1], c[1]], [0, 0, 1]])
    return Camera.static(K, R @ to_ours.T, -R @ T, num_frames, *IMAGE_SIZE), files[0].parent.name


def action_label(name: str) -> str:
    """``"HoldingHands 2"`` → ``"holding hands"``: the action without its take number, words split."""
    words = re.sub(r"[\s_]*\d+$", "", name)
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", words).replace("_", " ").lower().strip()


def load_chi3d(path: Path, fps: Optional[float] = None, up_axis: Optional[str] = None,
               body: Optional[BodyModel] = None) -> Reconstruction:
    """Both people of one ``smplx/<action>.json`` (person 0, with markers, becomes A)."""
    path = Path(path)
    label = str(path)
    params = _read_json(path)
    if not isinstance(params, dict):
        raise MotionError(f"{label}: expected a JSON object of SMPL-X parameters, got {type(params).__name__}")
    arrays = [_person_arrays(params, k, label) for k in range(2)]
    if arrays[0]["transl"].shape[0] != arrays[1]["transl"].shape[0]:
        raise MotionError(f"{label}: the two people have {arrays[0]['transl'].shape[0]} and "
                          f"{arrays[1]['transl'].shape[0]} frames")
    rest = rest_skeleton(body)
    people = []
    for k, a in enumerate(arrays):
        root = matrices_to_axis_angle(a["global_orient"][:, 0], label, f"key 'global_orient' (person {k})")
        pose = matrices_to_axis_angle(a["body_pose"], label, f"key 'body_pose' (person {k})")
        people.append((axis_angle_to_matrices(root), pose, a["transl"] + SOURCE_PELVIS["smplx"]))
    axis = up_axis or detect_up_axis(np.stack([posed_joints(*p, rest) for p in people]), label)
    g = to_y_up(axis, label)
    motions = []
    for k, ((root, pose, pelvis), a) in enumerate(zip(people, arrays)):
        extra: dict[str, np.ndarray] = {}
        for hand in ("left_hand_pose", "right_hand_pose"):
            if hand in a:
                extra[hand] = matrices_to_axis_angle(a[hand], label, f"key '{hand}' (person {k})")
        if "jaw_pose" in a:
            extra["jaw_pose"] = matrices_to_axis_angle(a["jaw_pose"][:, 0], label, f"key 'jaw_pose' (person {k})")
        motions.append(person_from_world(root, pose, pelvis, g, rest[0], f"{label} (person {k})",
                                         **extra))
    camera, cam_name = _camera(path, people[0][0].shape[0], g)
    subject = path.parent.parent
    meta = {"source": "chi3d", "sequence": f"{subject.parent.name}/{subject.name}/{path.stem}",
            "action": action_label(path.stem), "text": action_label(path.stem), "source_up_axis": axis,
            "betas": "zeroed (SMPL-X shape space)"}
    if cam_name is not None:
        meta["camera_id"] = cam_name
    return Reconstruction(tuple(motions), fps or FPS, camera, meta=meta)  # type: ignore[arg-type]


def sequences(root: Path, split: Optional[str] = None, fps: Optional[float] = None,
              body: Optional[BodyModel] = None) -> Iterator[tuple[str, Reconstruction, str]]:
    """``(split/subject/action, reconstruction, action label)`` of every ``smplx/*.json`` under ``root`` (the
    ``chi3d`` folder, its parent, a split or a subject), restricted to ``split`` when given."""
    root = Path(root)
    if not root.is_dir():
        raise MotionError(f"{root}: CHI3D root not found")
    if split is not None and split not in SPLITS:
        raise MotionError(f"CHI3D split {split!r}: expected one of {', '.join(SPLITS)}")
    for path in sorted(root.rglob("smplx/*.json")):
        if split is not None and path.parents[2].name != split:  # <split>/<subject>/smplx/<action>.json
            continue
        recon = load_chi3d(path, fps, body=body)
        yield str(recon.meta["sequence"]), recon, str(recon.meta["text"])

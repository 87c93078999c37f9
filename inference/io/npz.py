"""NPZ in and out, in the layouts people already use.

Written by us (``format = "sm-studio-npz"``):

* **two people, one file** — per-person keys with an ``A_``/``B_`` prefix on the smplx keyword names
  (``A_global_orient (T,3)``, ``A_body_pose (T,63)``, ``A_transl (T,3)``, ``A_betas (1,nb)``, optional
  ``A_left_hand_pose/A_right_hand_pose (T,45)``, ``A_jaw_pose (T,3)``, ``A_keypoints_2d (T,22,3)``,
  ``A_reliability (T,)``, ``A_gender``), shared ``mocap_framerate``, ``up_axis``, ``units``, and the camera
  (``camera_K (3,3)``, ``camera_R (T,3,3)``, ``camera_t (T,3)``, ``camera_size (2,)``) when known;
* **one person per file** — the same keys without prefix: exactly the smplx keyword names, so
  ``smplx_model(**{k: torch.tensor(f[k]) for k in SMPLX_KEYS})`` works unchanged (``betas`` is ``(1, nb)`` for
  that reason).

Read as well: AMASS-style ``poses (T,156|165)`` + ``trans (T,3)`` (Z-up, converted to our Y-up), and the frame
rate under ``mocap_framerate``, ``mocap_frame_rate`` or ``fps``. Files are opened with ``allow_pickle=False``:
an object array is refused with the key named, never unpickled.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence, Union

import numpy as np

from ..motion import Camera, MotionError, PersonMotion, PERSON_IDS, Reconstruction
from ..skeleton import NUM_BODY_JOINTS, NUM_HAND_JOINTS, UNITS, UP_AXIS
from .atomic import atomic_write
from .limits import check_array_bytes, check_frame_rate, check_frames, check_member, check_regular_file, parse_json

FORMAT = "sm-studio-npz"
FORMAT_VERSION = 1
SMPLX_KEYS = ("global_orient", "body_pose", "transl", "betas", "left_hand_pose", "right_hand_pose", "jaw_pose")
FPS_KEYS = ("mocap_framerate", "mocap_frame_rate", "fps")
DEFAULT_FPS = 30.0
MAX_BETAS = 400  # shape coefficients (SMPL-X uses up to 300)

PathLike = Union[str, os.PathLike]
# Returns the rest pelvis position for a shape vector; needed to re-express root motion in another up-axis.
PelvisFn = Callable[[np.ndarray], np.ndarray]

# what reading a damaged zip member raises: a flipped byte can mark it encrypted (RuntimeError) or give it an unknown
# compression method (NotImplementedError) as well as break its data (zlib.error, BadZipFile for a bad CRC)
ZIP_DAMAGE = (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, OSError, EOFError)


class NpzFile:
    """Bounded read access to an NPZ that names the file and key in every error.

    Each array's ``.npy`` header is read first and checked (no Python objects, size within
    :mod:`~inference.io.limits`, no more data promised than the member holds, the shape a caller expects) before
    any of its data is read, so a few bytes claiming gigabytes are refused before anything is allocated."""

    def __init__(self, source: Union[PathLike, bytes], label: Optional[str] = None) -> None:
        self.label = label or (str(source) if not isinstance(source, bytes) else "<bytes>")
        if not isinstance(source, bytes):
            check_regular_file(source, self.label)
        handle = io.BytesIO(source) if isinstance(source, bytes) else source
        try:
            self._zip = zipfile.ZipFile(handle)
        except (*ZIP_DAMAGE, ValueError) as exc:
            head = source[:6] if isinstance(source, bytes) else _head(source)
            if head == b"\x93NUMPY":
                raise MotionError(f"{self.label}: holds a single array, not an NPZ archive of named arrays") from None
            raise MotionError(f"{self.label}: not a readable NPZ file ({exc})") from None
        self._members = {i.filename[:-4]: i for i in self._zip.infolist() if i.filename.endswith(".npy")}
        self.keys = set(self._members)

    def __contains__(self, key: str) -> bool:
        return key in self.keys

    def _missing(self, key: str) -> MotionError:
        return MotionError(f"{self.label}: missing key '{key}' (has: {', '.join(sorted(self.keys)) or 'none'})")

    def _open(self, key: str) -> tuple[Any, tuple[int, ...], bool, np.dtype, int]:
        """The member opened just past its header, with the header's shape, order, dtype and data size."""
        info = self._members[key]
        where = f"{self.label}: key '{key}'"
        check_member(info, self.label)
        try:
            fh = self._zip.open(info)
        except (*ZIP_DAMAGE, ValueError) as exc:
            raise MotionError(f"{where} is corrupt ({str(exc).splitlines()[0][:160]})") from None
        try:
            shape, fortran, dtype, nbytes = read_npy_header(fh, info.file_size, where)
        except MotionError:
            fh.close()
            raise
        except (*ZIP_DAMAGE, ValueError) as exc:
            fh.close()
            raise MotionError(f"{where} is corrupt ({str(exc).splitlines()[0][:160]})") from None
        return fh, shape, fortran, dtype, nbytes

    def shape(self, key: str) -> tuple[int, ...]:
        """The array's shape from its header alone (nothing of its data is read)."""
        if key not in self.keys:
            raise self._missing(key)
        fh, shape, *_ = self._open(key)
        fh.close()
        return shape

    def get(self, key: str, required: bool = True, size: Optional[int] = None,
            expected: str = "") -> Optional[np.ndarray]:
        """The array under ``key``; with ``size``, one holding another number of values is refused (as
        ``expected``) from its header, before its data is read."""
        if key not in self.keys:
            if required:
                raise self._missing(key)
            return None
        fh, shape, fortran, dtype, nbytes = self._open(key)
        with fh:
            if size is not None and math.prod(shape) != size:
                raise MotionError(f"{self.label}: key '{key}' has shape {shape}, expected {expected or size} values")
            buffer = bytearray(nbytes)
            try:
                got = fh.readinto(buffer)
            except ZIP_DAMAGE as exc:
                raise MotionError(f"{self.label}: key '{key}' is corrupt ({exc})") from None
        if got != nbytes:
            raise MotionError(f"{self.label}: key '{key}' is truncated ({got:,} of {nbytes:,} bytes)")
        return np.frombuffer(buffer, dtype).reshape(shape, order="F" if fortran else "C")

    def get_str(self, key: str, default: str) -> str:
        value = self.get(key, required=False)
        if value is None:
            return default
        if value.dtype.kind not in "US" or value.size != 1:
            raise MotionError(f"{self.label}: key '{key}' should be a string, got {value.dtype} {value.shape}")
        return str(value.reshape(()).item() if value.dtype.kind == "U" else value.reshape(()).item().decode())

    def get_float(self, keys: Sequence[str], default: float) -> float:
        for key in keys:
            value = self.get(key, required=False)
            if value is not None:
                if value.size != 1 or value.dtype.kind not in "fiu":
                    raise MotionError(f"{self.label}: key '{key}' should be one number, got {value.dtype} {value.shape}")
                return float(value.reshape(()))
        return default

    def frame_rate(self, user_fps: Optional[float] = None) -> float:
        """The user's rate when given (checked as an override), else the file's (checked as read from a file)."""
        if user_fps is not None:
            return check_frame_rate(user_fps, self.label, user=True)
        return check_frame_rate(self.get_float(FPS_KEYS, DEFAULT_FPS), self.label)

    def close(self) -> None:
        self._zip.close()


def read_npy_header(fh: Any, size: int, where: str, objects: bool = False) -> tuple[tuple[int, ...], bool, np.dtype,
                                                                                    int]:
    """Shape, Fortran order, dtype and data size from an ``.npy`` header at the start of ``fh`` (``size`` bytes in
    all), refusing Python objects (unless ``objects``), sizes over the limit and a header that promises more data
    than the file holds — before anything of the data is read or allocated."""
    version = np.lib.format.read_magic(fh)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read_header(fh)
    if dtype.hasobject:
        if objects:
            return shape, fortran, dtype, 0
        raise MotionError(f"{where} holds Python objects, which are not loaded for safety")
    nbytes = check_array_bytes(math.prod(shape), dtype.itemsize, where)
    stored = size - fh.tell()
    if nbytes > stored:
        raise MotionError(f"{where} is truncated: its header promises {nbytes:,} bytes of data but the file holds "
                          f"{max(stored, 0):,}")
    return shape, fortran, dtype, nbytes


def read_npy(path: PathLike, label: str = "") -> np.ndarray:
    """A plain numeric ``.npy`` file, its header checked by :func:`read_npy_header` first."""
    label = label or str(path)
    size = check_regular_file(path, label)
    try:
        with open(path, "rb") as fh:
            read_npy_header(fh, size, label)
            fh.seek(0)
            return np.load(fh, allow_pickle=False)
    except MotionError:
        raise
    except (ValueError, OSError, EOFError) as exc:
        raise MotionError(f"{label}: not a readable numeric .npy file ({str(exc).splitlines()[0][:160]})") from None


def _head(path: PathLike) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(6)
    except OSError:
        return b""


def load_reconstruction(path: Union[PathLike, Sequence[PathLike]], pelvis_fn: Optional[PelvisFn] = None,
                        fps: Optional[float] = None) -> Reconstruction:
    """Load two people: from one two-person file, or from two single-person files ``[A, B]``.

    ``pelvis_fn`` gives the rest pelvis for a shape, needed only for Z-up files (AMASS); by default the free body
    model's is used."""
    if isinstance(path, (list, tuple)):
        if len(path) != 2:
            raise MotionError(f"expected two single-person files (A and B), got {len(path)}")
        files = [NpzFile(p) for p in path]
        try:
            rates = {f.frame_rate(fps) for f in files}
            if len(rates) > 1 and fps is None:
                raise MotionError(f"{path[0]} and {path[1]}: frame rates differ {sorted(rates)}; pass fps to resample")
            people = [_person_from(f, "", pelvis_fn) for f in files]
            return Reconstruction(tuple(people), rates.pop())  # type: ignore[arg-type]
        finally:
            for f in files:
                f.close()
    f = NpzFile(path)
    try:
        return _reconstruction_from(f, pelvis_fn, fps)
    finally:
        f.close()


def load_reconstruction_bytes(data: bytes, label: str) -> Reconstruction:
    f = NpzFile(data, label)
    try:
        return _reconstruction_from(f, None, None)
    finally:
        f.close()


def _reconstruction_from(f: NpzFile, pelvis_fn: Optional[PelvisFn], fps: Optional[float]) -> Reconstruction:
    rate = f.frame_rate(fps)
    if "A_global_orient" in f:
        people = tuple(_person_from(f, f"{pid}_", pelvis_fn) for pid in PERSON_IDS)
        meta = parse_json(f.get_str("meta_json", "{}"), f"{f.label}: key 'meta_json'")
        if not isinstance(meta, dict):
            raise MotionError(f"{f.label}: key 'meta_json' should hold a JSON object, got {type(meta).__name__}")
        return Reconstruction(people, rate, _camera_from(f, people[0].num_frames), meta=meta)  # type: ignore[arg-type]
    raise MotionError(f"{f.label}: holds one person (no 'A_'/'B_' keys); pass two single-person files [A, B]")


def load_person(path: PathLike, pelvis_fn: Optional[PelvisFn] = None) -> tuple[PersonMotion, float]:
    """One person's motion and frame rate, from a smplx-keyword or AMASS-style file."""
    f = NpzFile(path)
    try:
        return _person_from(f, "", pelvis_fn), f.frame_rate()
    finally:
        f.close()


def _person_from(f: NpzFile, prefix: str, pelvis_fn: Optional[PelvisFn]) -> PersonMotion:
    def key(name: str) -> str:
        return prefix + name

    def field(name: str, shape: tuple[int, ...], required: bool = False) -> Optional[np.ndarray]:
        """``key(name)`` as ``shape``, refused from its header when it holds another number of values."""
        arr = f.get(key(name), required, size=math.prod(shape),
                    expected=f"{'×'.join(str(s) for s in shape)} values per file")
        if arr is None:
            return None
        if arr.dtype.kind not in "fiu":
            raise MotionError(f"{f.label}: key '{key(name)}' should hold numbers, got dtype {arr.dtype}")
        return arr.reshape(shape)

    up = f.get_str("up_axis", UP_AXIS if key("global_orient") in f else "z")
    units = f.get_str("units", UNITS)
    if key("global_orient") in f:
        orient_shape = f.shape(key("global_orient"))
        frames = check_frames(orient_shape[0], f.label) if orient_shape else 0
        fields = dict(
            global_orient=field("global_orient", (frames, 3), required=True),
            body_pose=field("body_pose", (frames, NUM_BODY_JOINTS - 1, 3), required=True),
            transl=field("transl", (frames, 3)),
            left_hand_pose=field("left_hand_pose", (frames, NUM_HAND_JOINTS, 3)),
            right_hand_pose=field("right_hand_pose", (frames, NUM_HAND_JOINTS, 3)),
            jaw_pose=field("jaw_pose", (frames, 3)),
        )
    elif key("poses") in f:  # AMASS: flat SMPL-H (156) or SMPL-X (165) poses
        shape = f.shape(key("poses"))
        if len(shape) != 2 or shape[1] not in (156, 165):
            raise MotionError(f"{f.label}: key '{key('poses')}' should be (T, 156) or (T, 165), got {shape}")
        frames = check_frames(shape[0], f.label)
        poses = f.get(key("poses"))
        if poses.dtype.kind not in "fiu":
            raise MotionError(f"{f.label}: key '{key('poses')}' should hold numbers, got dtype {poses.dtype}")
        hands_at = 66 if poses.shape[1] == 156 else 75
        fields = dict(
            global_orient=poses[:, :3], body_pose=poses[:, 3:66].reshape(frames, 21, 3),
            transl=field("trans", (frames, 3), required=True),
            left_hand_pose=poses[:, hands_at:hands_at + 45].reshape(frames, 15, 3),
            right_hand_pose=poses[:, hands_at + 45:hands_at + 90].reshape(frames, 15, 3),
            jaw_pose=poses[:, 66:69] if poses.shape[1] == 165 else None,
        )
    else:
        raise MotionError(f"{f.label}: no motion found: needs '{key('global_orient')}' (smplx names) or "
                          f"'{key('poses')}' + '{key('trans')}' (AMASS)")
    if fields["transl"] is None:  # fitted per-frame parameters often come without translation
        fields["transl"] = np.zeros((frames, 3), np.float32)
    betas = None
    if key("betas") in f:
        nb = math.prod(f.shape(key("betas")))
        betas = f.get(key("betas"), size=nb if nb <= MAX_BETAS else MAX_BETAS, expected=f"at most {MAX_BETAS}")
    betas = np.zeros(10, np.float32) if betas is None else betas
    if betas.dtype.kind not in "fiu" or betas.ndim > 2 or (betas.ndim == 2 and betas.shape[0] != 1):
        raise MotionError(f"{f.label}: key '{key('betas')}' should be (nb,) or (1, nb), got {betas.dtype} {betas.shape}")
    gender = f.get_str(key("gender"), "neutral").lower()
    try:
        person = PersonMotion(
            **fields, betas=betas.reshape(-1),
            keypoints_2d=field("keypoints_2d", (frames, NUM_BODY_JOINTS, 3)),
            reliability=field("reliability", (frames,)), gender=gender,
        )
    except MotionError as exc:
        raise MotionError(f"{f.label}: {prefix}{exc}") from None
    if units not in ("m", "cm", "mm"):
        raise MotionError(f"{f.label}: key 'units' must be m, cm or mm, got {units!r}")
    if units != UNITS:
        person.transl = person.transl * np.float32({"cm": 0.01, "mm": 0.001}[units])
    if up == "z":
        person = z_up_to_y_up(person, pelvis_fn or _default_pelvis)
    elif up != UP_AXIS:
        raise MotionError(f"{f.label}: key 'up_axis' must be 'y' or 'z', got {up!r}")
    return person


def _camera_from(f: NpzFile, frames: int) -> Optional[Camera]:
    if "camera_K" not in f:
        return None
    size = f.get("camera_size", size=2, expected="2 (width, height)")
    if size.dtype.kind not in "fiu" or not np.all(np.isfinite(size)) or not np.all((size >= 1) & (size <= 1e6)):
        raise MotionError(f"{f.label}: key 'camera_size' should be a positive (width, height), got {size.tolist()}")
    try:
        return Camera(f.get("camera_K", size=9, expected="3×3"),
                      f.get("camera_R", size=frames * 9, expected=f"{frames}×3×3"),
                      f.get("camera_t", size=frames * 3, expected=f"{frames}×3"), int(size[0]), int(size[1]))
    except MotionError as exc:
        raise MotionError(f"{f.label}: {exc}") from None


# -90° about X maps Z-up (AMASS) onto Y-up: (x, y, z) → (x, z, -y).
_Z_TO_Y = np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]], np.float64)


def z_up_to_y_up(person: PersonMotion, pelvis_fn: PelvisFn) -> PersonMotion:
    """Rotate a whole motion about the world origin. SMPL rotates about the rest pelvis ``j0`` before adding
    ``transl``, so the new translation is ``G (j0 + t) - j0``, not ``G t``."""
    from scipy.spatial.transform import Rotation

    j0 = np.asarray(pelvis_fn(person.betas), np.float64)
    root = Rotation.from_matrix(_Z_TO_Y) * Rotation.from_rotvec(person.global_orient.astype(np.float64))
    out = person.copy()
    out.global_orient = root.as_rotvec().astype(np.float32)
    out.transl = ((person.transl + j0) @ _Z_TO_Y.T - j0).astype(np.float32)
    return out


def _default_pelvis(betas: np.ndarray) -> np.ndarray:
    import torch

    from ..body import load_body_model

    body = load_body_model()
    return body.rest(torch.as_tensor(betas, dtype=torch.float32))[1][0].cpu().numpy()


def reconstruction_arrays(recon: Reconstruction) -> dict[str, np.ndarray]:
    """The two-person layout as a dict of arrays (what ``save_reconstruction`` writes)."""
    out: dict[str, np.ndarray] = {
        "format": np.array(FORMAT), "format_version": np.array(FORMAT_VERSION),
        "mocap_framerate": np.array(recon.fps), "up_axis": np.array(recon.up_axis), "units": np.array(recon.units),
        "meta_json": np.array(json.dumps(recon.meta, sort_keys=True)),
    }
    for pid, person in recon:
        out.update({f"{pid}_{k}": v for k, v in person_arrays(person).items()})
    if recon.camera is not None:
        cam = recon.camera
        out.update(camera_K=cam.K, camera_R=cam.R, camera_t=cam.t, camera_size=np.array([cam.width, cam.height]))
    return out


def person_arrays(person: PersonMotion) -> Mapping[str, np.ndarray]:
    """One person in smplx keyword layout (flat ``body_pose (T,63)``, ``betas (1,nb)``)."""
    frames = person.num_frames
    out: dict[str, np.ndarray] = {
        "global_orient": person.global_orient, "body_pose": person.body_pose.reshape(frames, -1),
        "transl": person.transl, "betas": person.betas[None], "gender": np.array(person.gender),
    }
    for name in ("left_hand_pose", "right_hand_pose"):
        value = getattr(person, name)
        if value is not None:
            out[name] = value.reshape(frames, -1)
    for name in ("jaw_pose", "keypoints_2d", "reliability"):
        value = getattr(person, name)
        if value is not None:
            out[name] = value
    return out


def npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def save_reconstruction(recon: Reconstruction, path: PathLike) -> None:
    """Both people in one file (atomic: a crash mid-write leaves any previous file intact)."""
    atomic_write(Path(path), npz_bytes(reconstruction_arrays(recon)))


def save_person(person: PersonMotion, fps: float, path: PathLike) -> None:
    """One person, plain smplx keyword names (loads into ``smplx`` as is)."""
    arrays = dict(person_arrays(person))
    arrays.update(mocap_framerate=np.array(fps), up_axis=np.array(UP_AXIS), units=np.array(UNITS),
                  format=np.array(FORMAT), format_version=np.array(FORMAT_VERSION))
    atomic_write(Path(path), npz_bytes(arrays))

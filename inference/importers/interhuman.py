"""InterHuman (the InterGen dataset): two-person motion capture with text descriptions.

Layout, as the dataset's own loader reads it (github.com/tr3e/InterGen: ``datasets/interhuman.py``,
``utils/preprocess.py``, ``utils/utils.py``; the data are shared on request)::

    ROOT/motions_processed/person1/<id>.npy    float (T, D >= 312), one person
    ROOT/motions_processed/person2/<id>.npy    the other person, same T
    ROOT/annots/<id>.txt                       several descriptions, one a line
    ROOT/split/{train,val,test}.txt            ids, one a line (InterGen also reads them from ROOT itself)
    ROOT/ignore_list.txt                       optional: ids to skip
    ROOT/motions/<id>.pkl                      raw fits: pickles, refused (read motions_processed instead)

Per frame, columns ``[0, 66)`` are the positions of the 22 SMPL-X body joints (metres, Z up: InterGen turns them Y-up
with ``(x, y, z) → (x, z, −y)``), and columns ``[186, 312)`` the local rotations of joints 1..21 in a 6D form. The
frame rate is 30 fps (``FPS`` in InterGen's preprocess). The root rotation is not stored: it is fitted (Kabsch)
from our rest offsets of the pelvis's three children (hips, spine1) onto their stored positions; the stored pelvis
gives the translation.

6D layout: InterGen's left/right mirroring negates components 1, 2 and 4, which fits ``R[:, :2]`` flattened
row-major ``(R00, R01, R10, R11, R20, R21)`` (or its transpose), and public conversions back to SMPL read it so.
The file also holds joint positions, so this loader does not have to trust that: it poses our skeleton with each
candidate layout (that one, its transpose, our column-concatenated one and pytorch3d's row one) and keeps the one
whose joints land nearest the stored positions; ``meta["rot6d_layout"]`` and ``meta["fit_error_m"]`` say which and
how near.

Body shape: the positions come from each performer's own body, whose shape space is not our free body's, so betas
are zero and our bone lengths are kept (joints then agree with the file up to those length differences).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator, Optional

import numpy as np
import torch

from ..body import BodyModel
from ..io.npz import read_npy
from ..motion import MotionError, Reconstruction
from ..rotations import matrix_to_axis_angle, rot6d_to_matrix
from .up_axis import check_finite, person_from_world, posed_joints, rest_skeleton, to_y_up

FPS = 30.0
POSITIONS = slice(0, 22 * 3)
ROTATIONS = slice(62 * 3, 62 * 3 + 21 * 6)
PERSONS = ("person1", "person2")
SPLITS = ("train", "val", "test")
# frames used to choose the 6D layout (evenly spread); the whole sequence is then converted with it
LAYOUT_PROBE_FRAMES = 32


def _columns_interleaved(d6: torch.Tensor) -> torch.Tensor:
    return rot6d_to_matrix(torch.cat([d6[..., 0::2], d6[..., 1::2]], -1))


def _rows(d6: torch.Tensor) -> torch.Tensor:
    return rot6d_to_matrix(d6).transpose(-1, -2)


ROT6D_LAYOUTS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "R[:, :2] row-major": _columns_interleaved,
    "R[:2, :].T row-major": lambda d6: _columns_interleaved(d6).transpose(-1, -2),
    "columns (c0, c1)": rot6d_to_matrix,
    "rows (r0, r1)": _rows,
}


def looks_like_interhuman(path: Path) -> bool:
    """A ``<id>.npy`` inside ``person1/`` or ``person2/`` (of ``motions_processed``)."""
    return path.suffix.lower() == ".npy" and path.parent.name in PERSONS


def looks_like_raw_interhuman(obj: object) -> bool:
    return isinstance(obj, dict) and all(k in obj for k in PERSONS)


def raw_pickle_refusal(path: Path) -> MotionError:
    return MotionError(f"{path}: a raw InterHuman pickle (motions/*.pkl); pickles from datasets are not read. "
                       f"Import motions_processed/person1/{path.stem}.npy instead (both people and the text follow)")


def read_person(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Stored joint positions ``(T, 22, 3)`` (source Z-up) and 6D local rotations ``(T, 21, 6)`` of one file."""
    label = str(path)
    data = read_npy(path, label)
    if not isinstance(data, np.ndarray) or data.dtype.kind not in "fiu":
        raise MotionError(f"{label}: expected a float array, got {getattr(data, 'dtype', type(data).__name__)}")
    if data.ndim != 2 or data.shape[1] < ROTATIONS.stop or data.shape[0] < 1:
        raise MotionError(f"{label}: expected shape (T, >= {ROTATIONS.stop}) (InterHuman motions_processed), "
                          f"got {data.shape}")
    positions = check_finite(data[:, POSITIONS], label, f"columns {POSITIONS.start}:{POSITIONS.stop} (joints)")
    rot6d = check_finite(data[:, ROTATIONS], label, f"columns {ROTATIONS.start}:{ROTATIONS.stop} (rotations)")
    return positions.reshape(-1, 22, 3), rot6d.reshape(-1, 21, 6)


def fit_root(positions: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """``(T, 3, 3)`` root rotations taking our rest offsets pelvis→{left hip, right hip, spine1} onto the stored
    ones (Kabsch, no scale: bone lengths may differ)."""
    source = rest[1:4] - rest[0]  # (3, 3)
    target = positions[:, 1:4] - positions[:, :1]  # (T, 3, 3)
    cov = np.einsum("ki,tkj->tij", source, target)
    u, _, vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(np.swapaxes(vt, -1, -2) @ np.swapaxes(u, -1, -2)))
    fix = np.zeros_like(cov)
    fix[:, 0, 0] = fix[:, 1, 1] = 1.0
    fix[:, 2, 2] = d
    return np.swapaxes(vt, -1, -2) @ fix @ np.swapaxes(u, -1, -2)


def _local_axis_angle(rot6d: np.ndarray, layout: str) -> np.ndarray:
    mats = ROT6D_LAYOUTS[layout](torch.as_tensor(rot6d, dtype=torch.float64))
    return matrix_to_axis_angle(mats).numpy()


def _fit_error(positions: np.ndarray, rot6d: np.ndarray, root: np.ndarray, rest: np.ndarray, layout: str) -> float:
    joints = posed_joints(root, _local_axis_angle(rot6d, layout), positions[:, 0], rest)
    return float(np.linalg.norm(joints - positions, axis=-1).mean())


def choose_layout(people: list[tuple[np.ndarray, np.ndarray, np.ndarray]], rest: np.ndarray) -> tuple[str, float]:
    """The 6D layout whose posed joints best match the stored positions of both people, and that mean error (m)."""
    frames = people[0][0].shape[0]
    probe = np.unique(np.linspace(0, frames - 1, min(frames, LAYOUT_PROBE_FRAMES)).round().astype(int))
    errors = {name: float(np.mean([_fit_error(pos[probe], r6[probe], root[probe], rest, name)
                                   for pos, r6, root in people])) for name in ROT6D_LAYOUTS}
    best = min(errors, key=errors.__getitem__)
    return best, errors[best]


def sequence_files(path: Path) -> tuple[str, Path, Path, Path]:
    """``(id, person1 file, person2 file, annotation file)`` of the sequence one of whose files is ``path``."""
    sid = path.stem
    processed = path.parent.parent
    files = [processed / person / f"{sid}.npy" for person in PERSONS]
    for f in files:
        if not f.is_file():
            raise MotionError(f"{path}: InterHuman sequence {sid} lacks {f} (both people are needed)")
    return sid, files[0], files[1], processed.parent / "annots" / f"{sid}.txt"


def read_texts(path: Path) -> list[str]:
    """The descriptions, one a line (blank lines dropped); none when the annotation file is absent."""
    if not path.is_file():
        return []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise MotionError(f"{path}: cannot be read ({exc})") from None
    return [line.strip() for line in lines if line.strip()]


def load_interhuman(path: Path, fps: Optional[float] = None, body: Optional[BodyModel] = None) -> Reconstruction:
    """Both people of the sequence ``path`` belongs to (``motions_processed/person{1,2}/<id>.npy``); the first
    description is ``meta["text"]``, all of them ``meta["texts"]``."""
    sid, file_a, file_b, annots = sequence_files(Path(path))
    raw = [read_person(file_a), read_person(file_b)]
    if raw[0][0].shape[0] != raw[1][0].shape[0]:
        raise MotionError(f"{file_a} has {raw[0][0].shape[0]} frames, {file_b} has {raw[1][0].shape[0]}")
    rest = rest_skeleton(body)
    g = to_y_up("z", str(file_a))
    people = []
    for positions, rot6d in raw:
        y_up = positions @ g.T
        people.append((y_up, rot6d, fit_root(y_up, rest)))
    layout, error = choose_layout(people, rest)
    motions = tuple(
        person_from_world(root, _local_axis_angle(rot6d, layout), pos[:, 0], np.eye(3), rest[0], str(f))
        for (pos, rot6d, root), f in zip(people, (file_a, file_b)))
    texts = read_texts(annots)
    meta = {"source": "interhuman", "sequence": sid, "source_file": [file_a.name, file_b.name],
            "text": texts[0] if texts else "", "texts": texts, "rot6d_layout": layout,
            "fit_error_m": round(error, 4), "betas": "zeroed (performers' shapes are not in our shape space)"}
    return Reconstruction(motions, fps or FPS, meta=meta)  # type: ignore[arg-type]


def _id_list(root: Path, name: str) -> Optional[set[str]]:
    for candidate in (root / "split" / f"{name}.txt", root / f"{name}.txt"):
        if candidate.is_file():
            return {line.strip() for line in candidate.read_text().splitlines() if line.strip()}
    return None


def dataset_root(path: Path) -> Path:
    """ROOT of the layout above, given ROOT or its ``motions_processed``."""
    if (path / "motions_processed").is_dir():
        return path
    if path.name == "motions_processed" and path.is_dir():
        return path.parent
    raise MotionError(f"{path}: not an InterHuman root (expected motions_processed/person1/*.npy inside)")


def sequences(root: Path, split: Optional[str] = None, fps: Optional[float] = None,
              body: Optional[BodyModel] = None) -> Iterator[tuple[str, Reconstruction, str]]:
    """``(id, reconstruction, first description)`` of every sequence (of ``split``), ids in numeric order,
    ids in ``ignore_list.txt`` skipped."""
    root = dataset_root(Path(root))
    files = sorted((root / "motions_processed" / "person1").glob("*.npy"),
                   key=lambda p: (not p.stem.isdigit(), int(p.stem) if p.stem.isdigit() else 0, p.stem))
    wanted = None
    if split is not None:
        if split not in SPLITS:
            raise MotionError(f"InterHuman split {split!r}: expected one of {', '.join(SPLITS)}")
        wanted = _id_list(root, split)
        if wanted is None:
            raise MotionError(f"{root}: no {split}.txt (looked in split/ and the root)")
    ignored = _id_list(root, "ignore_list") or set()
    for f in files:
        if f.stem in ignored or (wanted is not None and f.stem not in wanted):
            continue
        recon = load_interhuman(f, fps, body)
        yield f.stem, recon, str(recon.meta["text"])

"""Importers: motion estimated or captured elsewhere → our one :class:`~inference.motion.Reconstruction`.

:func:`import_motion` picks the reader from the files given:

* ``.npz`` — our two-person file, or two single-person files (smplx names or AMASS ``poses``/``trans``), via
  ``inference.io.npz``;
* ``.smsession`` — the current reconstruction of a session;
* ``.pkl`` — 4DHumans/PHALP tracking results or WHAM output (told apart by their layout), read with a restricted
  unpickler (:mod:`.safe_pickle`) that never runs code from the file;
* ``.pt`` / ``.pth`` — two GVHMR ``hmr4d_results.pt`` files (one person each), ``torch.load(weights_only=True)``;
* ``.bvh`` — two BVH files recorded together (one skeleton each), retargeted onto our body (:mod:`.bvh`);
* a TRAM results folder (or its ``camera.npy``) — ``np.save``'d dicts read by the same restricted unpickler;
* capture datasets, one sequence: InterHuman ``motions_processed/person{1,2}/<id>.npy`` (:mod:`.interhuman`), a
  Hi4D ``pairNN/<action>`` folder (:mod:`.hi4d`), a CHI3D ``smplx/<action>.json`` (:mod:`.chi3d`); whole datasets
  are read with :func:`dataset_sequences` (training data specs ``interhuman:ROOT``, ``hi4d:ROOT``, ``chi3d:ROOT``,
  and folders of BVH takes ``cmu:DIR`` / ``bvh:DIR`` (:mod:`.bvh_folder`), whose single-person takes come from
  :func:`dataset_single_people`).

Every failure is a :class:`~inference.motion.MotionError` naming the file and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional, Sequence, Union

from ..motion import MotionError, PersonMotion, Reconstruction

if TYPE_CHECKING:
    from ..body import BodyModel

PathLike = Union[str, Path]
SUFFIXES = (".npz", ".smsession", ".pkl", ".pt", ".pth", ".bvh", ".npy", ".json")
DATASETS = ("interhuman", "hi4d", "chi3d", "cmu", "bvh")


def import_motion(paths: Sequence[PathLike], tracks: Optional[Sequence[int]] = None, fps: Optional[float] = None,
                  image_size: Optional[tuple[int, int]] = None,
                  frames: Optional[tuple[Optional[int], Optional[int]]] = None) -> Reconstruction:
    """Two people from ``paths`` (one file holding both, or one file per person, A first).

    ``tracks``: the two track/subject ids to keep from a multi-person tracker file (A, B); ``fps`` overrides or
    supplies the frame rate (PHALP, WHAM and GVHMR store none: 30 is assumed); ``image_size`` (width, height)
    gives WHAM's camera intrinsics; ``frames`` ``(A, B)`` keeps frames A..B-1 (for BVH counted in the file, before
    a synthetic T-pose frame 0 is dropped)."""
    paths = [Path(p) for p in paths]
    if frames is not None and not (len(paths) == 2 and all(p.suffix.lower() == ".bvh" for p in paths)):
        recon = import_motion(paths, tracks, fps, image_size)
        start, stop = slice(*frames).indices(recon.num_frames)[:2]
        if stop <= start:
            raise MotionError(f"frame range {frames[0]}:{frames[1]} keeps none of {recon.num_frames} frames")
        return recon.slice(start, stop)
    if not paths:
        raise MotionError("no input files")
    if len(paths) == 1:
        dataset = _dataset_sequence(paths[0], fps)
        if dataset is not None:
            if tracks is not None:
                raise MotionError(f"{paths[0]}: a dataset sequence holds exactly two people; --tracks does not apply")
            return dataset
    if len(paths) == 1 and (paths[0].is_dir() or paths[0].suffix.lower() == ".npy"):
        from .tram import load_tram, looks_like_tram

        if not looks_like_tram(paths[0]):
            raise MotionError(f"{paths[0]}: not a TRAM results folder (needs camera.npy and hps/hps_track_K.npy)")
        return load_tram(paths[0], tracks=tracks, fps=fps)
    suffixes = {p.suffix.lower() for p in paths}
    if len(suffixes) != 1:
        raise MotionError(f"mixed file types {sorted(suffixes)}: give files of one kind")
    suffix = suffixes.pop()
    if tracks is not None and suffix not in (".pkl",):
        raise MotionError(f"track selection applies to PHALP/WHAM .pkl files and TRAM folders, not {suffix}")
    if suffix == ".npz":
        from ..io.npz import load_reconstruction

        if len(paths) > 2:
            raise MotionError(f"give one two-person .npz or two single-person files, got {len(paths)}")
        return load_reconstruction(paths[0] if len(paths) == 1 else paths, fps=fps)
    if suffix == ".smsession":
        from ..session import load_session

        _one(paths, suffix)
        recon = load_session(paths[0]).current
        return recon if fps is None else _with_fps(recon, fps)
    if suffix == ".pkl":
        return _import_pickle(_one(paths, suffix), tracks, fps, image_size)
    if suffix in (".pt", ".pth"):
        from .gvhmr import load_gvhmr

        return load_gvhmr(paths, fps=fps)
    if suffix == ".bvh":
        from .bvh import load_bvh

        return load_bvh(paths, fps=fps, frames=frames)
    raise MotionError(f"{paths[0]}: unknown file type '{suffix}' (known: {', '.join(SUFFIXES)})")


def _dataset_sequence(path: Path, fps: Optional[float]) -> Optional[Reconstruction]:
    """One sequence of a capture dataset, recognised by its place in the dataset's layout; None otherwise."""
    from .chi3d import load_chi3d, looks_like_chi3d
    from .hi4d import load_hi4d, looks_like_hi4d
    from .interhuman import load_interhuman, looks_like_interhuman, raw_pickle_refusal

    if looks_like_interhuman(path):
        return load_interhuman(path, fps)
    if path.suffix.lower() == ".pkl" and path.parent.name == "motions" and (
            path.parent.parent / "motions_processed").is_dir():
        raise raw_pickle_refusal(path)
    if path.is_dir() and looks_like_hi4d(path):
        return load_hi4d(path, fps)
    if looks_like_chi3d(path):
        return load_chi3d(path, fps)
    if path.suffix.lower() == ".json":
        raise MotionError(f"{path}: a .json is read as a CHI3D sequence, which sits in a 'smplx' folder "
                          f"(chi3d/<split>/<subject>/smplx/<action>.json)")
    return None


def _dataset_root(spec: str) -> tuple[str, Path, Optional[str]]:
    """``NAME:ROOT[:SELECTOR]`` → (name, root, selector). A ROOT that itself contains ':' is taken whole when it
    exists."""
    name, _, rest = spec.partition(":")
    if name not in DATASETS or not rest:
        raise MotionError(f"data spec {spec!r}: expected one of {', '.join(d + ':ROOT' for d in DATASETS)}")
    root, selector = Path(rest).expanduser(), None
    if not root.exists() and ":" in rest:
        head, _, selector = rest.rpartition(":")
        root = Path(head).expanduser()
    if not root.exists():
        raise MotionError(f"data spec {spec!r}: {root} not found")
    return name, root, selector or None


def dataset_sequences(spec: str, fps: Optional[float] = None,
                      body: Optional["BodyModel"] = None) -> Iterator[tuple[str, Reconstruction, str]]:
    """``(name, reconstruction, text)`` of every two-person sequence a dataset spec names:
    ``interhuman:ROOT[:SPLIT]`` (train/val/test), ``hi4d:ROOT[:FILTER]`` (a substring of ``pairNN/<action>``),
    ``chi3d:ROOT[:SPLIT]`` (train/test), ``cmu:DIR[:SELECTOR]`` / ``bvh:DIR[:SELECTOR]`` (a folder of BVH takes:
    test/val/train/all or take ids, see :mod:`.bvh_folder`). ``fps`` overrides the data's own rate."""
    name, root, selector = _dataset_root(spec)
    if name in ("cmu", "bvh"):
        from .bvh_folder import sequences as bvh_sequences

        return bvh_sequences(root, selector, fps, body, cmu=name == "cmu")
    if name == "interhuman":
        from .interhuman import sequences
    elif name == "hi4d":
        from .hi4d import sequences
    else:
        from .chi3d import sequences
    return sequences(root, selector, fps, body)


def dataset_single_people(spec: str, fps: Optional[float] = None, body: Optional["BodyModel"] = None
                          ) -> Iterator[tuple[str, PersonMotion, float, str]]:
    """``(name, person, fps, text)`` of every single-person take a dataset spec names (only BVH folders have
    them; the other datasets yield nothing). Training pairs them up (``engine.dataset.paired_single_people``)."""
    name, root, selector = _dataset_root(spec)
    if name not in ("cmu", "bvh"):
        return iter(())
    from .bvh_folder import single_people

    return single_people(root, selector, fps, body, cmu=name == "cmu")


def _one(paths: list[Path], suffix: str) -> Path:
    if len(paths) != 1:
        raise MotionError(f"a {suffix} file holds both people: give one, got {len(paths)}")
    return paths[0]


def _with_fps(recon: Reconstruction, fps: float) -> Reconstruction:
    out = recon.copy()
    out.fps = float(fps)
    return out


def _import_pickle(path: Path, tracks: Optional[Sequence[int]], fps: Optional[float],
                   image_size: Optional[tuple[int, int]]) -> Reconstruction:
    from .interhuman import looks_like_raw_interhuman, raw_pickle_refusal
    from .phalp import looks_like_phalp, phalp_reconstruction
    from .safe_pickle import safe_load
    from .wham import looks_like_wham, wham_reconstruction

    obj, refused = safe_load(path)
    if looks_like_raw_interhuman(obj):
        raise raw_pickle_refusal(path)
    if looks_like_phalp(obj):
        return phalp_reconstruction(obj, refused, str(path), tracks, fps)
    if looks_like_wham(obj):
        return wham_reconstruction(obj, refused, str(path), tracks, fps, image_size)
    kind = type(obj).__name__
    keys = ", ".join(map(str, list(obj)[:5])) if isinstance(obj, dict) else ""
    raise MotionError(f"{path}: a pickle, but neither 4DHumans/PHALP results nor WHAM output ({kind}"
                      f"{' with keys ' + keys if keys else ''})")


__all__ = ["DATASETS", "dataset_sequences", "dataset_single_people", "import_motion", "SUFFIXES"]

"""Export a reconstruction (or either version held by a session) to FBX, glTF/GLB, BVH, NPZ or an overlay video.

One entry point, :func:`export`, so the GUI, the CLI and scripts share the same choices and checks. Every file
format is written by code in this package and verified in the tests by readers we did not write (ufbx, assimp,
pygltflib, bvhio). Motion is converted once (``tracks.build_tracks``) to the requested up axis and unit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, Sequence, Union

from ..motion import PERSON_IDS, Reconstruction
from ..session import Session
from ..io.atomic import atomic_write
from .progress import ExportCancelled, Progress
from .tracks import Bodies, ExportError, Frame, PersonTrack, build_tracks, check_people, frame_range

FORMATS: dict[str, str] = {".fbx": "fbx", ".glb": "glb", ".gltf": "gltf", ".bvh": "bvh", ".npz": "npz",
                           ".mp4": "mp4"}
VERSIONS = ("corrected", "original")
OVERLAYS = ("auto", "mesh", "skeleton")

__all__ = ["export", "ExportError", "ExportCancelled", "FORMATS", "OVERLAYS", "VERSIONS", "select_version"]


def select_version(source: Union[Reconstruction, Session], version: Optional[str]) -> Reconstruction:
    """The reconstruction to export. A session holds two (before and after correction), so for a session the
    caller must say which: ``"corrected"`` (what the user has now) or ``"original"`` (before any correction)."""
    if isinstance(source, Reconstruction):
        if version not in (None, "corrected"):
            raise ExportError(f"version: a bare reconstruction has no {version!r} version")
        return source
    if version not in VERSIONS:
        raise ExportError(f"version: a session holds {VERSIONS}; choose one explicitly (got {version!r})")
    recon = source.current if version == "corrected" else source.original
    assert recon is not None  # Session fills ``original`` on construction
    return recon


def export(source: Union[Reconstruction, Session], path: Union[str, Path], format: Optional[str] = None, *,
           version: Optional[str] = None, people: Sequence[str] = PERSON_IDS,
           frames: Optional[Union[Sequence[int], slice, range]] = None, body: Optional[Bodies] = None,
           up: str = "y", units: str = "m", skeleton_only: bool = False, combined: Optional[bool] = None,
           video: Optional[Union[str, Path]] = None, overlay: str = "auto",
           progress: Optional[Callable[[int, int], None]] = None,
           cancel: Optional[Callable[[], bool]] = None) -> list[Path]:
    """Write ``source`` to ``path`` and return the files written.

    ``format`` defaults to the suffix of ``path`` (see :data:`FORMATS`). ``frames`` is ``None`` (all),
    ``(start, stop)`` or a ``slice`` (half-open). ``body`` defaults to ``inference.body.load_body_model()`` with
    each person's gender (a mapping person → model is accepted too); its rest skeleton for the person's shape
    gives the bone offsets and, unless ``skeleton_only``, the skinned mesh. ``up`` is ``"y"`` (Unity, Maya,
    glTF) or ``"z"`` (Blender, Unreal); ``units`` ``"m"`` or ``"cm"`` (glTF is always metres and
    +Y up by its specification). ``combined``: both people in one file (bones prefixed ``A_``/``B_``) or one
    file per person (``out_A.fbx``…); the default is per person for FBX (plain SMPL-X names, what retargeting
    presets expect) and BVH (the format holds one skeleton), one file for GLB/glTF/NPZ. The video overlay draws
    the chosen people over ``video`` (default: the session's video) as ``overlay`` says: ``"mesh"`` (OpenGL),
    ``"skeleton"`` (stick figures, no GL) or ``"auto"`` (meshes when GL is available). ``progress(done, total)``
    is called as frames (video) or files are written; ``cancel()`` returning true stops the export, removes
    partial output and raises :class:`ExportCancelled`.
    """
    path = Path(path)
    fmt = _format_of(path, format)
    recon = select_version(source, version)
    people = check_people(people)
    rng = frame_range(recon.num_frames, frames)
    prog = Progress(progress, cancel)
    if fmt in ("npz", "mp4") and (up, units) != ("y", "m"):
        raise ExportError(f"up/units: {fmt.upper()} export keeps the stored +Y up metres")
    if fmt == "npz":
        from .npz import write_npz

        return write_npz(recon.slice(rng.start, rng.stop), path, people, _combined(fmt, combined))
    if fmt == "mp4":
        from .video import OverlayDrawer, write_overlay_video

        video_path = video if video is not None else getattr(source, "video_path", None)
        if video_path is None:
            raise ExportError("video: an overlay needs the source footage; pass video= or export a session with one")
        if overlay not in OVERLAYS:
            raise ExportError(f"overlay: expected one of {OVERLAYS}, got {overlay!r}")
        use_gl = None if overlay == "auto" else overlay == "mesh"
        drawer = OverlayDrawer(recon, _bodies(recon, body, people), people, use_gl=use_gl)
        try:
            return [write_overlay_video(recon, Path(video_path), path, rng, drawer, prog)]
        finally:
            drawer.close()
    frame = Frame(up="y", units="m") if fmt in ("glb", "gltf") else Frame(up=up, units=units)
    if fmt in ("glb", "gltf") and (up, units) != ("y", "m"):
        raise ExportError("up/units: glTF is +Y up in metres by specification; importers convert")
    together = _combined(fmt, combined)
    tracks = build_tracks(recon, _bodies(recon, body, people), people, rng, frame, skeleton_only,
                          prefix_names=together and len(people) > 1)
    groups = [tracks] if together else [[t] for t in tracks]
    written = []
    for i, group in enumerate(groups):
        prog.step(i, len(groups))
        out = path if len(groups) == 1 else path.with_name(f"{path.stem}_{group[0].person}{path.suffix}")
        atomic_write(out, _encode(fmt, group, frame))
        written.append(out)
    prog.step(len(groups), len(groups))
    return written


def _encode(fmt: str, tracks: list[PersonTrack], frame: Frame) -> bytes:
    if fmt == "bvh":
        from .bvh import bvh_text

        return bvh_text(tracks[0]).encode()
    if fmt == "fbx":
        from .fbx import fbx_bytes

        return fbx_bytes(tracks, frame)
    from .gltf import gltf_bytes

    return gltf_bytes(tracks, binary=(fmt == "glb"))


def _format_of(path: Path, format: Optional[str]) -> str:
    if format is not None:
        fmt = format.lower().lstrip(".")
        if fmt not in FORMATS.values():
            raise ExportError(f"format: expected one of {sorted(set(FORMATS.values()))}, got {format!r}")
        return fmt
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise ExportError(f"{path}: cannot tell the format from the suffix {path.suffix!r}; "
                          f"use one of {sorted(FORMATS)} or pass format=") from None


def _combined(fmt: str, combined: Optional[bool]) -> bool:
    if fmt == "bvh" and combined:
        raise ExportError("combined: BVH holds one skeleton per file; export one file per person")
    if combined is None:
        return fmt in ("glb", "gltf", "npz")
    return bool(combined)


def _bodies(recon: Reconstruction, body: Optional[Bodies], people: tuple[str, ...]) -> Bodies:
    if body is not None:
        return body
    from ..body import load_body_model

    return {pid: load_body_model(gender=recon.person(pid).gender) for pid in people}

"""NPZ export: the lead's reader/writer (``inference.io.npz``) does the layout; this picks the frames and files.

Both people in one file use the two-person layout (``A_``/``B_`` keys); one person per file uses plain smplx
keyword names, which load into ``smplx`` unchanged.
"""

from __future__ import annotations

from pathlib import Path

from ..io.npz import save_person, save_reconstruction
from ..motion import Reconstruction


def write_npz(recon: Reconstruction, path: Path, people: tuple[str, ...], combined: bool) -> list[Path]:
    if combined and len(people) == 2:
        save_reconstruction(recon, path)
        return [path]
    written = []
    for pid in people:
        out = path if len(people) == 1 else path.with_name(f"{path.stem}_{pid}{path.suffix}")
        save_person(recon.person(pid), recon.fps, out)
        written.append(out)
    return written

"""Training data: two-person clips in world space, from the procedural generator or motion-capture files.

A :class:`MotionClip` is the minimal form the samplers need (rotations in 6D, pelvis positions, rest skeletons,
one text). Sources:

* ``generated:N[:SEED]`` — ``N`` clips from ``inference.generator`` (labelled, in contact, free to make);
* a directory or file list of NPZ — our two-person files are used as they are; single-person files (smplx
  keywords or AMASS ``poses``/``trans``) are paired two by two, the second person placed facing the first at a
  conversational distance, as augmentation (not real interaction, and they carry no text).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import torch

from ..body import BodyModel
from ..importers import DATASETS
from ..io.npz import NpzFile, load_person, load_reconstruction
from ..motion import MotionError, PersonMotion, Reconstruction
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle, matrix_to_rot6d
from .bodies import pair_rest_joints, rest_joints
from .pair_frame import posed_heading, rot_y

ProgressFn = Callable[[float, str], None]


@dataclass
class MotionClip:
    rot6d: np.ndarray  # (T, 2, 22, 6) world rotations, root first
    pelvis: np.ndarray  # (T, 2, 3) world pelvis positions
    rest_joints: np.ndarray  # (2, 22, 3)
    text: str
    fps: float
    name: str

    @property
    def num_frames(self) -> int:
        return int(self.rot6d.shape[0])


def _resample_index(frames: int, fps_in: float, fps_out: Optional[float]) -> np.ndarray:
    """Nearest-frame indices that resample ``frames`` frames from ``fps_in`` to ``fps_out``."""
    if fps_out is None or abs(fps_out - fps_in) < 1e-3:
        return np.arange(frames)
    idx = np.round(np.arange(0, frames * fps_out / fps_in) * fps_in / fps_out).astype(int)
    return idx[idx < frames]


def _person_arrays(person: PersonMotion, rest_pelvis: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World 6D rotations ``(T, 22, 6)`` and pelvis ``(T, 3)`` of the frames ``index``."""
    aa = torch.as_tensor(person.pose_axis_angle()[index], dtype=torch.float32)
    rot6d = matrix_to_rot6d(axis_angle_to_matrix(aa)).numpy()
    return rot6d.astype(np.float32), (person.transl[index] + rest_pelvis).astype(np.float32)


def clip_from_reconstruction(recon: Reconstruction, text: str, name: str,
                             body: Optional[BodyModel] = None, fps: Optional[float] = None) -> MotionClip:
    """World-space clip of a reconstruction, resampled to ``fps`` (nearest frame) when given."""
    rest = pair_rest_joints(recon, body)
    index = _resample_index(recon.num_frames, recon.fps, fps)
    arrays = [_person_arrays(p, rest[i, 0], index) for i, p in enumerate(recon.people)]
    return MotionClip(np.stack([a[0] for a in arrays], 1), np.stack([a[1] for a in arrays], 1), rest, text,
                      float(fps or recon.fps), name)


def solo_clip(person: PersonMotion, person_fps: float, name: str, body: Optional[BodyModel] = None,
              fps: Optional[float] = None) -> MotionClip:
    """One person's take as a clip whose two slots hold that person (the motion library matches such takes
    to one person alone; they are not interactions)."""
    return clip_from_reconstruction(Reconstruction((person, person), person_fps), "", name, body, fps)


def _generated_clip(index: int, seed: int, fps: float, seconds: float, body: Optional[BodyModel]) -> MotionClip:
    from ..generator import INTERACTION_KINDS, generate_clip

    kind = INTERACTION_KINDS[index % len(INTERACTION_KINDS)]
    clip = generate_clip(kind, seed=seed + index, fps=fps, seconds=seconds, body=body)
    return clip_from_reconstruction(clip.reconstruction, clip.label, f"{kind}-{seed + index}", body)


def _generated_chunk(indices: list[int], seed: int, fps: float, seconds: float) -> list[MotionClip]:
    torch.set_num_threads(1)  # one process per core already
    return [_generated_clip(i, seed, fps, seconds, None) for i in indices]


def generated_clips(count: int, seed: int = 0, fps: float = 30.0, seconds: float = 4.0,
                    body: Optional[BodyModel] = None, progress: Optional[ProgressFn] = None,
                    workers: int = 0) -> list[MotionClip]:
    """``count`` clips from the procedural generator, cycling through its kinds of interaction.

    ``workers`` > 1 generates in that many processes (thousands of clips for a GPU run take minutes on one
    core); the clips are the same either way. A custom ``body`` is only used in-process.
    """
    if workers > 1 and body is None and count > workers:
        from concurrent.futures import ProcessPoolExecutor

        chunks = [list(range(count))[k::workers] for k in range(workers)]
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(_generated_chunk, chunks, [seed] * workers, [fps] * workers, [seconds] * workers))
        by_index = {i: clip for chunk, part in zip(chunks, parts) for i, clip in zip(chunk, part)}
        if progress is not None:
            progress(1.0, f"generated {count} clips")
        return [by_index[i] for i in range(count)]
    clips = []
    for i in range(count):
        clips.append(_generated_clip(i, seed, fps, seconds, body))
        if progress is not None:
            progress((i + 1) / count, f"generated {i + 1}/{count} clips")
    return clips


def _place_facing(person: PersonMotion, rest: np.ndarray, offset: np.ndarray, yaw: float) -> PersonMotion:
    """Move a motion (rest joints ``rest`` ``(22, 3)``) so that its first frame stands at ``offset`` (ground
    plane) facing ``yaw``."""
    rest_pelvis = rest[0]
    root = axis_angle_to_matrix(torch.as_tensor(person.global_orient, dtype=torch.float32))
    pelvis = torch.as_tensor(person.transl + rest_pelvis, dtype=torch.float32)
    first = axis_angle_to_matrix(torch.as_tensor(person.pose_axis_angle()[:1], dtype=torch.float32))
    turn = rot_y(torch.tensor(yaw) - posed_heading(first, pelvis[:1], torch.as_tensor(rest)[None])[0])
    start = pelvis[0] * torch.tensor([1.0, 0.0, 1.0])
    new_pelvis = (pelvis - start) @ turn.T + torch.as_tensor(offset, dtype=torch.float32)
    out = person.copy()
    out.global_orient = matrix_to_axis_angle(turn @ root).numpy().astype(np.float32)
    out.transl = (new_pelvis.numpy() - rest_pelvis).astype(np.float32)
    return out


def paired_single_people(people: Sequence[tuple[PersonMotion, float, str]], fps: float,
                         rng: np.random.Generator, body: Optional[BodyModel] = None) -> list[MotionClip]:
    """Single-person motions paired two by two (i, i+1), B facing A at 0.7–1.4 m, trimmed to equal length."""
    clips = []
    for (a, fa, na), (b, fb, nb) in zip(people[0::2], people[1::2]):
        rest = np.stack([rest_joints(a.betas, body), rest_joints(b.betas, body)])
        distance = float(rng.uniform(0.7, 1.4))
        a = _place_facing(a, rest[0], np.zeros(3), 0.0)
        b = _place_facing(b, rest[1], np.array([0.0, 0.0, distance]), math.pi)
        rot_a, pel_a = _person_arrays(a, rest[0, 0], _resample_index(a.num_frames, fa, fps))
        rot_b, pel_b = _person_arrays(b, rest[1, 0], _resample_index(b.num_frames, fb, fps))
        n = min(len(rot_a), len(rot_b))
        clips.append(MotionClip(np.stack([rot_a[:n], rot_b[:n]], 1), np.stack([pel_a[:n], pel_b[:n]], 1),
                                rest, "", fps, f"{na}+{nb}"))
    return clips


def npz_clips(paths: Sequence[Path], fps: float = 30.0, seed: int = 0,
              body: Optional[BodyModel] = None) -> list[MotionClip]:
    """Two-person NPZ files as they are (text from ``meta_json``'s ``"text"``), single-person ones paired."""
    clips: list[MotionClip] = []
    singles: list[tuple[PersonMotion, float, str]] = []
    for path in paths:
        f = NpzFile(path)
        two_people = "A_global_orient" in f
        f.close()
        if two_people:
            recon = load_reconstruction(path)
            clips.append(clip_from_reconstruction(recon, str(recon.meta.get("text", "")), path.stem, body, fps))
        else:
            person, rate = load_person(path)
            singles.append((person, rate, path.stem))
    if len(singles) % 2:
        singles = singles[:-1]
    clips += paired_single_people(singles, fps, np.random.default_rng(seed), body)
    return clips


def dataset_clips(spec: str, fps: float = 30.0, body: Optional[BodyModel] = None,
                  progress: Optional[ProgressFn] = None, seed: int = 0) -> list[MotionClip]:
    """Every sequence of a capture dataset (``interhuman:``/``hi4d:``/``chi3d:``/``cmu:``/``bvh:ROOT[:SELECTOR]``,
    see ``inference.importers.dataset_sequences``), resampled to ``fps``, with the dataset's text or action label;
    its single-person takes (BVH folders) are paired two by two as :func:`paired_single_people` does."""
    from ..importers import dataset_sequences, dataset_single_people

    clips = []
    for name, recon, text in dataset_sequences(spec, body=body):
        clips.append(clip_from_reconstruction(recon, text, name, body, fps))
        if progress is not None:
            progress(0.0, f"read {len(clips)} sequences")
    singles = [(person, rate, name) for name, person, rate, _ in dataset_single_people(spec, body=body)]
    clips += paired_single_people(singles[:len(singles) // 2 * 2], fps, np.random.default_rng(seed), body)
    if not clips:
        raise MotionError(f"data spec {spec!r}: no sequences found")
    return clips


def load_clips(spec: str, fps: float = 30.0, body: Optional[BodyModel] = None,
               progress: Optional[ProgressFn] = None, workers: int = 0) -> list[MotionClip]:
    """Clips from a data spec: ``generated:N[:SEED]``, ``interhuman:``/``hi4d:``/``chi3d:``/``cmu:``/
    ``bvh:ROOT[:SELECTOR]``, a directory of ``*.npz``, or one ``.npz`` file."""
    if spec.startswith("generated:"):
        parts = spec.split(":")
        try:
            count = int(parts[1])
            seed = int(parts[2]) if len(parts) > 2 else 0
        except (IndexError, ValueError):
            raise MotionError(f"data spec {spec!r}: expected generated:COUNT[:SEED]") from None
        return generated_clips(count, seed, fps, body=body, progress=progress, workers=workers)
    if spec.split(":", 1)[0] in DATASETS:
        return dataset_clips(spec, fps, body, progress)
    path = Path(spec).expanduser()
    if path.is_dir():
        files = sorted(path.rglob("*.npz"))
    elif path.is_file():
        files = [path]
    else:
        raise MotionError(f"{path}: training data not found (expected generated:N, a directory or an .npz file)")
    if not files:
        raise MotionError(f"{path}: no .npz files found")
    return npz_clips(files, fps, body=body)

"""From per-track estimates of single-person HMR tools to our two-person :class:`Reconstruction`.

4DHumans/PHALP, WHAM and GVHMR each estimate every person on their own. What they share, and what this module
takes as input (:class:`Track`): per observed frame, the root orientation and translation *in the camera* (OpenCV
axes: x right, y down, z forward), the 21 body-joint rotations (the first 21 of SMPL's 23 are SMPL-X's body
joints, same order), a shape vector, and sometimes a gravity-aligned *world* root (Y up).

Relative placement of two people is only known in the camera, so both people are placed from their camera-frame
estimates; a world frame, when the tool gives one, only tells where the camera is (taken from person A, where A is
seen, else B): ``R_cw = R_root_cam R_root_world^T``. Without one the world is the first camera turned upright
(180° about x), which keeps people upright for a level camera.

SMPL-family models rotate the body about their rest pelvis ``j0`` before adding ``transl``, and ``j0`` differs
between SMPL, SMPL-X and our body, so positions are converted through the pelvis: ``pelvis = j0_source + transl``.
Frames where a track is missing or only predicted (PHALP "ghosts") are filled by interpolation and get
reliability 0, so downstream steps treat them as occluded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np
import torch

from ..motion import Camera, MotionError, PersonMotion, Reconstruction
from ..rotations import (axis_angle_to_matrices, matrix_to_axis_angle, matrix_to_quaternion, quaternion_slerp,
                         quaternion_to_matrix)

# Rest pelvis of each source model's mean shape, in its own coordinates (metres; approximate to ~1 cm, which is
# all the shape dependence of j0 amounts to). Used only to turn a source ``transl`` into a pelvis position.
SOURCE_PELVIS: dict[str, np.ndarray] = {
    "smpl": np.array([-0.0022, -0.2408, 0.0286]),
    "smplx": np.array([0.0031, -0.3514, 0.0120]),
}
# OpenCV camera axes -> Y-up world axes (and back): 180 degrees about x.
FLIP_YZ = np.diag([1.0, -1.0, -1.0])

PelvisFn = Callable[[np.ndarray], np.ndarray]


def per_frame_rows(arr: np.ndarray, where: str, cols: int, frames: Optional[int], frames_from: str,
                   rows: str = "T") -> np.ndarray:
    """``arr`` if it is ``(frames, cols)`` of finite numbers, else a MotionError that starts with ``where`` (file and
    key) and says what is wrong; ``frames`` None accepts any count, ``frames_from`` names what fixed it, ``rows``
    is the tool's own name for the frame axis."""
    if arr.ndim != 2 or arr.shape[1] != cols:
        raise MotionError(f"{where}: expected shape ({rows}, {cols}), got {tuple(arr.shape)}")
    if frames is not None and arr.shape[0] != frames:
        raise MotionError(f"{where}: {arr.shape[0]} rows, {frames_from} has {frames}")
    if not np.all(np.isfinite(arr)):
        raise MotionError(f"{where}: non-finite values")
    return arr


# The longest timeline an import may produce (about 4.6 h at 30 fps). A damaged or hostile file can name one huge
# frame index; filling the gap up to it would take all memory (found by fuzzing: 23 GB for a frame index of 10^6).
MAX_FRAMES = 500_000


@dataclass
class Track:
    """One person as a tool estimated them, on the frames ``frames`` (sorted, unique, >= 0)."""

    track_id: int
    frames: np.ndarray  # (n,)
    orient_cam: np.ndarray  # (n, 3, 3) root rotation in camera coordinates
    transl_cam: np.ndarray  # (n, 3) source-model transl in camera coordinates
    body_pose: np.ndarray  # (n, 21, 3) axis-angle
    betas: np.ndarray  # (nb,)
    source_model: str = "smpl"  # "smpl" | "smplx": whose rest pelvis transl refers to
    observed: Optional[np.ndarray] = None  # (n,) bool: False where the tool only predicted (ghost)
    orient_world: Optional[np.ndarray] = None  # (n, 3, 3) gravity-aligned, Y up
    transl_world: Optional[np.ndarray] = None  # (n, 3)
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.frames)
        self.frames = np.asarray(self.frames, np.int64)
        if self.observed is None:
            self.observed = np.ones(n, bool)
        if n == 0:
            raise MotionError(f"track {self.track_id}: no frames")
        if np.any(np.diff(self.frames) <= 0) or self.frames[0] < 0:
            raise MotionError(f"track {self.track_id}: frame indices must be increasing and non-negative")

    @property
    def has_world(self) -> bool:
        return self.orient_world is not None and self.transl_world is not None

    def pelvis_cam(self) -> np.ndarray:
        return self.transl_cam + SOURCE_PELVIS[self.source_model]

    def pelvis_world(self) -> np.ndarray:
        assert self.transl_world is not None
        return self.transl_world + SOURCE_PELVIS[self.source_model]


def choose_tracks(tracks: Sequence[Track], wanted: Optional[Sequence[int]], label: str) -> tuple[Track, Track]:
    """The two tracks that become A and B: ``wanted`` ids in that order, else the two seen on most frames
    (ties: lower id first), ordered by id so that re-imports give the same A and B."""
    by_id = {t.track_id: t for t in tracks}
    if wanted is not None:
        wanted = list(wanted)
        if len(wanted) != 2 or wanted[0] == wanted[1]:
            raise MotionError(f"{label}: choose two different tracks, got {wanted}")
        missing = [w for w in wanted if w not in by_id]
        if missing:
            raise MotionError(f"{label}: no track {missing[0]} (tracks: {', '.join(map(str, sorted(by_id)))})")
        return by_id[wanted[0]], by_id[wanted[1]]
    if len(tracks) < 2:
        raise MotionError(f"{label}: needs two people, found {len(tracks)} track(s)")
    ranked = sorted(tracks, key=lambda t: (-int(np.sum(t.observed)), t.track_id))[:2]
    a, b = sorted(ranked, key=lambda t: t.track_id)
    return a, b


def _fill_rotations(frames: np.ndarray, mats: np.ndarray, num_frames: int) -> np.ndarray:
    """(n, J, 3, 3) rotations on ``frames`` -> (num_frames, J, 3, 3): slerp inside gaps, held at the ends."""
    q = matrix_to_quaternion(torch.as_tensor(mats, dtype=torch.float64))
    prev_i, next_i, w = _gap_weights(frames, num_frames)
    q0, q1 = q[prev_i], q[next_i]
    wt = torch.as_tensor(w, dtype=torch.float64)[:, None].expand(q0.shape[:-1])
    return quaternion_to_matrix(quaternion_slerp(q0, q1, wt)).numpy()


def _fill_linear(frames: np.ndarray, values: np.ndarray, num_frames: int) -> np.ndarray:
    prev_i, next_i, w = _gap_weights(frames, num_frames)
    w = w.reshape((-1,) + (1,) * (values.ndim - 1))
    return values[prev_i] * (1 - w) + values[next_i] * w


def _gap_weights(frames: np.ndarray, num_frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every output frame: index of the observation before, after, and the blend weight towards 'after'."""
    t = np.arange(num_frames)
    nxt = np.clip(np.searchsorted(frames, t, side="left"), 0, len(frames) - 1)
    prv = np.clip(np.searchsorted(frames, t, side="right") - 1, 0, len(frames) - 1)
    span = (frames[nxt] - frames[prv]).astype(np.float64)
    w = np.where(span > 0, (t - frames[prv]) / np.where(span > 0, span, 1), 0.0)
    return prv, nxt, np.clip(w, 0.0, 1.0)


def _camera_from_world(tracks: Sequence[Track], num_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame world->camera ``R, t`` from the first track that gives a world root on each frame."""
    frames_all, rots, trans = [], [], []
    seen: set[int] = set()
    for tr in tracks:
        if not tr.has_world:
            continue
        assert tr.orient_world is not None
        r = tr.orient_cam @ np.swapaxes(tr.orient_world, -1, -2)
        t = tr.pelvis_cam() - np.einsum("nij,nj->ni", r, tr.pelvis_world())
        for k, f in enumerate(tr.frames):
            if int(f) not in seen:
                seen.add(int(f))
                frames_all.append(int(f))
                rots.append(r[k])
                trans.append(t[k])
    order = np.argsort(frames_all)
    frames = np.asarray(frames_all)[order]
    r_all = _fill_rotations(frames, np.asarray(rots)[order][:, None], num_frames)[:, 0]
    t_all = _fill_linear(frames, np.asarray(trans)[order], num_frames)
    return r_all, t_all


def _person(tr: Track, cam_r: np.ndarray, cam_t: np.ndarray, num_frames: int, pelvis_fn: PelvisFn) -> PersonMotion:
    f = tr.frames
    orient_w = np.swapaxes(cam_r[f], -1, -2) @ tr.orient_cam
    pelvis_w = np.einsum("nji,nj->ni", cam_r[f], tr.pelvis_cam() - cam_t[f])
    body_mats = axis_angle_to_matrices(tr.body_pose)
    mats = _fill_rotations(f, np.concatenate([orient_w[:, None], body_mats], 1), num_frames)
    aa = matrix_to_axis_angle(torch.as_tensor(mats)).numpy()
    betas = np.asarray(tr.betas, np.float32).reshape(-1)
    pelvis = _fill_linear(f, pelvis_w, num_frames)
    reliability = np.zeros(num_frames, np.float32)
    reliability[f[tr.observed]] = 1.0
    return PersonMotion(global_orient=aa[:, 0], body_pose=aa[:, 1:], transl=pelvis - pelvis_fn(betas),
                        betas=betas, reliability=reliability)


def assemble(tracks: tuple[Track, Track], fps: float, K: Optional[np.ndarray], image_size: Optional[tuple[int, int]],
             pelvis_fn: PelvisFn, num_frames: Optional[int] = None, meta: Optional[dict] = None) -> Reconstruction:
    """Two tracks on a common timeline (frame 0 .. last frame either is seen) -> Reconstruction.

    ``K`` and ``image_size`` (width, height) give the camera's intrinsics; without them the camera is left out
    (extrinsics alone cannot be stored)."""
    last = max(int(t.frames[-1]) for t in tracks) + 1
    num_frames = max(last, num_frames or 0)
    if num_frames > MAX_FRAMES:
        source = (meta or {}).get("source_file", "the input")
        raise MotionError(f"{source}: frame index {num_frames - 1} would make a {num_frames:,}-frame timeline; the "
                          f"longest supported is {MAX_FRAMES:,} (about {MAX_FRAMES / 30 / 3600:.1f} h at 30 fps)")
    if any(t.has_world for t in tracks):
        cam_r, cam_t = _camera_from_world(tracks, num_frames)
    else:
        cam_r = np.repeat(FLIP_YZ[None], num_frames, 0)
        cam_t = np.zeros((num_frames, 3))
    people = tuple(_person(t, cam_r, cam_t, num_frames, pelvis_fn) for t in tracks)
    camera = None
    if K is not None and image_size is not None:
        camera = Camera(K, cam_r, cam_t, int(image_size[0]), int(image_size[1]))
    info = dict(meta or {})
    info.update(tracks=[int(t.track_id) for t in tracks], betas_model=tracks[0].source_model)
    return Reconstruction(people, fps, camera, meta=info)  # type: ignore[arg-type]


def default_pelvis_fn() -> PelvisFn:
    """Our body model's rest pelvis for a shape vector (loaded lazily: importing needs no body model)."""
    cache: dict[str, object] = {}

    def pelvis(betas: np.ndarray) -> np.ndarray:
        if "body" not in cache:
            from ..body import load_body_model

            cache["body"] = load_body_model()
        body = cache["body"]
        with torch.no_grad():
            joints = body.rest(torch.as_tensor(betas, dtype=torch.float32))[1]  # type: ignore[attr-defined]
        return joints[0].cpu().numpy().astype(np.float64)

    return pelvis

"""Synthetic footage of a generated clip: video through its camera, ground truth, and a degraded "initial" estimate.

What a real pipeline would give the app, with the answer known: an MP4 where the two meshes really occlude each
other (over a textured floor), 2D keypoints with an occlusion-aware visibility flag (from the renderer's
person-id/depth map), a noisy initial reconstruction whose motion is corrupted exactly where a person is hidden
(reliability < 1 there), and ``Segment``s flagging those frames. Used for the demo, for tests of the correction
pipeline end to end, and for evaluation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from ..body.base import BodyModel
from ..motion import PERSON_IDS, MotionError, PersonMotion, Reconstruction
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle
from ..segments import Segment, SegmentKind, segments_from_mask, true_runs
from ..skeleton import BODY_PARENTS, JOINT_INDEX, NUM_BODY_JOINTS
from .clip import GeneratedClip, default_body
from .geometry import continuous_axis_angle, smoothstep

MIN_HIDDEN_JOINTS = 3  # a frame is "occluded" for a person when at least this many joints are hidden
_SPINE = {JOINT_INDEX[n] for n in ("pelvis", "spine1", "spine2", "spine3")}


@dataclass
class Footage:
    clip: GeneratedClip
    truth: Reconstruction  # keypoints_2d: exact projections, confidence = 1 visible / 0 hidden or off-image
    initial: Reconstruction  # noisy estimate: keypoints like a detector's, motion corrupted where occluded
    hidden: dict[str, np.ndarray]  # pid -> (T, 22) bool: joint hidden behind the other person
    occluded: dict[str, np.ndarray]  # pid -> (T,) bool
    segments: list[Segment]


@dataclass(frozen=True)
class FootageFiles:
    """The files of one footage directory (the embedded demo has the same layout)."""

    video: Path
    truth: Path
    initial: Path
    segments: Path
    clip: Path

    @classmethod
    def in_dir(cls, directory: "str | Path") -> "FootageFiles":
        d = Path(directory)
        return cls(d / "video.mp4", d / "truth.npz", d / "initial.npz", d / "segments.json", d / "clip.json")

    def all(self) -> tuple[Path, ...]:
        return (self.video, self.truth, self.initial, self.segments, self.clip)


def render_footage(clip: GeneratedClip, video_path: "str | Path", body: Optional[BodyModel] = None,
                   crf: int = 23, min_hidden_joints: int = MIN_HIDDEN_JOINTS, clothed: bool = False) -> Footage:
    """Render ``clip`` to ``video_path`` (H.264) and derive keypoints, occlusion flags and the noisy estimate.

    ``clothed``: shirts, trousers, skin and hair (:mod:`.appearance`) instead of the overlay's plain orange and
    blue. Makes (and closes) its own ``OverlayRenderer``, so call it from the thread that should own the GL context.
    """
    from ..render import OverlayRenderer, PersonStyle
    from ..render.ground import ground_plane
    from ..render.video_writer import Mp4Writer
    from ..render.visibility import hidden_by_other, in_frame

    body = body or default_body()
    recon = clip.reconstruction
    cam = recon.camera
    if cam is None:
        raise ValueError("clip has no camera")
    verts = [body.pose_motion(p).vertices.cpu().numpy() for p in recon.people]
    joints = [clip.joints[pid] for pid in PERSON_IDS]
    uvz = [cam.project(j) for j in joints]  # (T, 22, 3) each
    T = recon.num_frames
    hidden = {pid: np.zeros((T, NUM_BODY_JOINTS), bool) for pid in PERSON_IDS}
    seen = {pid: np.zeros((T, NUM_BODY_JOINTS), bool) for pid in PERSON_IDS}
    centre = 0.5 * (joints[0][0, 0] + joints[1][0, 0])
    colors, styles = None, None
    if clothed:
        from .appearance import clothing_colors

        colors = [clothing_colors(body, p.betas, 2 * clip.seed + i) for i, p in enumerate(recon.people)]
        styles = (PersonStyle((1.0, 1.0, 1.0)),) * 2
    with OverlayRenderer(cam.width, cam.height, body.faces, background=(0.62, 0.68, 0.74),
                         num_vertices=body.num_vertices, vertex_colors=colors) as renderer, \
            Mp4Writer(video_path, cam.width, cam.height, recon.fps, crf=crf) as video:
        renderer.add_static(ground_plane(centre=(float(centre[0]), float(centre[2])), seed=clip.seed))
        for f in range(T):
            frame_verts = [v[f] for v in verts]
            video.write(renderer.render(None, frame_verts, cam.K, cam.R[f], cam.t[f], styles))
            id_depth = renderer.id_depth(frame_verts, cam.K, cam.R[f], cam.t[f])
            for i, pid in enumerate(PERSON_IDS):
                hidden[pid][f] = hidden_by_other(uvz[i][f], i, id_depth)
                seen[pid][f] = in_frame(uvz[i][f], cam.width, cam.height) & ~hidden[pid][f]
    occluded = {pid: hidden[pid].sum(1) >= min_hidden_joints for pid in PERSON_IDS}
    truth_people = [replace(p, keypoints_2d=np.concatenate([uvz[i][..., :2], seen[pid][..., None]], -1)
                            .astype(np.float32))
                    for i, (pid, p) in enumerate(zip(PERSON_IDS, recon.people))]
    truth = recon.replace_people(*truth_people)
    rng = np.random.default_rng([clip.seed & 0xFFFFFFFF, 7])
    initial = degrade(truth, hidden, occluded, rng)
    segments = [s for pid in PERSON_IDS for s in segments_from_mask(occluded[pid], pid, SegmentKind.OCCLUDED)]
    return Footage(clip, truth, initial, hidden, occluded, segments)


def _rotate(aa: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Compose axis-angle rotations ``aa`` with small local perturbations ``delta`` (same shape)."""
    m = axis_angle_to_matrix(torch.from_numpy(aa.astype(np.float64))) @ axis_angle_to_matrix(
        torch.from_numpy(delta.astype(np.float64)))
    return continuous_axis_angle(matrix_to_axis_angle(m).numpy()).astype(np.float32)


def degrade(truth: Reconstruction, hidden: dict[str, np.ndarray], occluded: dict[str, np.ndarray],
            rng: np.random.Generator) -> Reconstruction:
    """What an off-the-shelf per-frame estimator would plausibly return.

    Everywhere: small per-frame jitter of every joint rotation, the root and the translation (more along the
    viewing direction, where monocular depth is weakest), slightly wrong shape, detector-like 2D keypoints.
    Where a person is occluded: the bones leading to hidden joints swing to a wrong but fixed pose (ramped in and
    out, plus larger jitter), the body drifts, hidden keypoints are guessed far off with low confidence, and
    ``reliability`` drops with the number of hidden joints.
    """
    cam = truth.camera
    people = []
    for pid, person in truth:
        T = person.num_frames
        pose = person.pose_axis_angle()  # (T, 22, 3)
        delta = rng.normal(0.0, 0.035, pose.shape)
        delta[:, 0] = rng.normal(0.0, 0.02, (T, 3))
        transl = person.transl + rng.normal(0.0, 0.01, (T, 3))
        if cam is not None:
            view = cam.R[:, 2]  # camera z axis in world coordinates (per frame)
            transl += view * rng.normal(0.0, 0.03, (T, 1))
        frames = np.arange(T)
        for start, stop in true_runs(occluded[pid]):
            ramp = smoothstep(frames, start - 3, start + 2) * (1 - smoothstep(frames, stop - 2, stop + 3))
            often_hidden = np.flatnonzero(hidden[pid][start:stop].mean(0) >= 0.3)
            bones = {int(p) for j in often_hidden for p in (BODY_PARENTS[j], BODY_PARENTS[BODY_PARENTS[j]])
                     if p >= 0 and int(p) not in _SPINE}
            for b in sorted(bones):
                axis = rng.normal(size=3)
                wrong = axis / np.linalg.norm(axis) * rng.uniform(0.4, 0.9)
                delta[:, b] += ramp[:, None] * (wrong + rng.normal(0.0, 0.08, (T, 3)))
            transl += ramp[:, None] * rng.normal(0.0, 0.06, 3)
        noisy = _rotate(pose, delta)
        hidden_count = hidden[pid].sum(1)
        reliability = np.clip(1.0 - hidden_count / 8.0, 0.1, 1.0).astype(np.float32)
        keypoints = None
        if person.keypoints_2d is not None:
            keypoints = person.keypoints_2d.copy()
            visible = keypoints[..., 2] > 0.5
            off = rng.normal(0.0, 2.0, keypoints[..., :2].shape)
            off[hidden[pid]] = rng.normal(0.0, 15.0, (int(hidden[pid].sum()), 2))
            keypoints[..., :2] += off
            keypoints[..., 2] = np.where(visible, rng.uniform(0.75, 0.98, visible.shape),
                                         np.where(hidden[pid], rng.uniform(0.05, 0.3, visible.shape), 0.0))
        people.append(PersonMotion(global_orient=noisy[:, 0], body_pose=noisy[:, 1:], transl=transl,
                                   betas=person.betas + rng.normal(0.0, 0.25, person.betas.shape),
                                   keypoints_2d=keypoints, reliability=reliability, gender=person.gender))
    meta = dict(truth.meta, source="sm-studio generator (degraded initial estimate)")
    return replace(truth, people=tuple(people), meta=meta)


def save_footage(footage: Footage, directory: "str | Path") -> FootageFiles:
    """Write truth/initial NPZ, segments and clip JSON next to the video (which ``render_footage`` wrote)."""
    from ..io.npz import save_reconstruction

    files = FootageFiles.in_dir(directory)
    files.truth.parent.mkdir(parents=True, exist_ok=True)
    save_reconstruction(footage.truth, files.truth)
    save_reconstruction(footage.initial, files.initial)
    files.segments.write_text(json.dumps({"segments": [s.to_json() for s in footage.segments]}, indent=1))
    info = footage.clip.to_json()
    info["occluded_frames"] = {pid: int(m.sum()) for pid, m in footage.occluded.items()}
    files.clip.write_text(json.dumps(info, indent=1))
    return files


def make_footage(clip: GeneratedClip, directory: "str | Path", body: Optional[BodyModel] = None,
                 crf: int = 23, clothed: bool = False) -> tuple[Footage, FootageFiles]:
    """Render and save everything for ``clip`` into ``directory`` (the layout of ``FootageFiles``)."""
    files = FootageFiles.in_dir(directory)
    files.video.parent.mkdir(parents=True, exist_ok=True)
    footage = render_footage(clip, files.video, body, crf, clothed=clothed)
    return footage, save_footage(footage, directory)


def load_segments(path: "str | Path") -> list[Segment]:
    """Segments from a footage directory's ``segments.json`` (read through the JSON bounds: ``info`` opens it)."""
    from ..io.limits import read_json_file

    data = read_json_file(path)
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        raise MotionError(f"{path}: expected {{\"segments\": [...]}}")
    return [Segment.from_json(d, f"{path}: segment {i + 1}") for i, d in enumerate(data["segments"])]

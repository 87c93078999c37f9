"""What a describer may believe about a segment: the estimate where it is trusted, the evidence around it elsewhere.

Inside an occluded segment the 3D estimate of the hidden person is a guess (the tracker's last pose frozen, or
noise), so describing it describes the guess: the frozen person "stands apart" while the truth holds hands. This
module replaces each person's untrusted frames by what the trusted frames around them say, weighed per frame by
the person's ``reliability`` (``PersonMotion.reliability``: 1 = trust the estimate, 0 = ignore it):

* the hidden person's placement is carried **relative to the other person** (offset and orientation in the
  other's heading frame, interpolated between the last trusted frame before and the first after), so when the
  visible partner turns or walks, the hidden one goes with them, as a dance partner does;
* their body pose is interpolated joint by joint between those two frames (held where only one side is known);
* where the person's 2D pelvis keypoint is seen inside the occlusion (confidence ≥ ``KEYPOINT_SEEN``) and the
  reconstruction has a camera, the bridged pelvis is moved onto that keypoint's camera ray at the bridge's depth,
  and the correction is interpolated over the frames between sightings (zero at the trusted ends);
* frames with partial reliability blend the estimate and that bridge in proportion.

Heading is the yaw of the root's forward axis projected on the ground, which a pitched or rolled pelvis rest frame
(real rigs lean 20–25°) leaves unchanged. When both people are hidden the bridge is made in world space.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy.spatial.transform import Rotation

from ..motion import PERSON_IDS, Camera, PersonMotion, Reconstruction
from ..segments import Segment, true_runs
from ..skeleton import JOINT_INDEX

TRUSTED = 0.5  # reliability at or above which a frame's estimate counts as seen
KEYPOINT_SEEN = 0.3  # a 2D keypoint at least this confident is a sighting


@dataclass(frozen=True)
class Evidence:
    """Per person: the share of the segment's frames that were trusted, and the trusted frames the bridge across
    the untrusted ones was anchored on (``None`` where there was none on that side)."""

    trusted_share: dict[str, float]
    anchors: dict[str, list[tuple[Optional[int], Optional[int]]]]

    @property
    def bridged(self) -> bool:
        return any(self.anchors.values())

    def to_json(self) -> dict:
        return {pid: {"trusted_share": round(self.trusted_share[pid], 3),
                      "bridged_from": [list(a) for a in self.anchors[pid]]} for pid in PERSON_IDS}


def _yaw(global_orient: np.ndarray) -> Rotation:
    """Rotation about +Y to each frame's heading (root +Z projected on the ground)."""
    forward = Rotation.from_rotvec(global_orient).apply([0.0, 0.0, 1.0])
    return Rotation.from_rotvec(np.arctan2(forward[:, 0], forward[:, 2])[:, None] * [0.0, 1.0, 0.0])


def _lerp_rotations(r0: Rotation, r1: Rotation, w: np.ndarray) -> Rotation:
    """Per-element slerp from ``r0`` to ``r1`` at weights ``w`` (broadcast over elements)."""
    return r0 * Rotation.from_rotvec(np.asarray(w)[..., None] * (r0.inv() * r1).as_rotvec())


def _bridge_run(person: PersonMotion, other: PersonMotion, a: int, b: int,
                relative: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[Optional[int], Optional[int]]]:
    """Root orientation, body pose and translation over untrusted frames ``[a, b)`` from the trusted frames
    ``a - 1`` and ``b`` (either may be missing: then the other is held), placed relative to ``other`` when
    ``relative``."""
    n = person.num_frames
    before, after = (a - 1 if a > 0 else None), (b if b < n else None)
    anchors = [k for k in (before, after) if k is not None]
    frames = np.arange(a, b)
    if len(anchors) == 2:
        w = (frames - before) / (after - before)
    else:
        w = np.zeros(len(frames))
    k0, k1 = anchors[0], anchors[-1]

    def frame_of(t: np.ndarray) -> tuple[Rotation, np.ndarray]:
        if not relative:
            return Rotation.identity(len(t)), np.zeros((len(t), 3))
        return _yaw(other.global_orient[t]), other.transl[t].astype(np.float64)

    ends = np.array([k0, k1])
    yaw_ends, origin_ends = frame_of(ends)
    root_ends = yaw_ends.inv() * Rotation.from_rotvec(person.global_orient[ends])
    offset_ends = yaw_ends.inv().apply(person.transl[ends] - origin_ends)
    yaw, origin = frame_of(frames)
    root = yaw * _lerp_rotations(root_ends[[0] * len(frames)], root_ends[[1] * len(frames)], w)
    offset = (1 - w)[:, None] * offset_ends[0] + w[:, None] * offset_ends[1]
    transl = origin + yaw.apply(offset)
    joints = person.body_pose.shape[1]
    p0 = Rotation.from_rotvec(np.repeat(person.body_pose[k0][None], len(frames), 0).reshape(-1, 3))
    p1 = Rotation.from_rotvec(np.repeat(person.body_pose[k1][None], len(frames), 0).reshape(-1, 3))
    pose = _lerp_rotations(p0, p1, np.repeat(w, joints)).as_rotvec().reshape(len(frames), joints, 3)
    return root.as_rotvec(), pose, transl, (before, after)


def _onto_keypoints(transl: np.ndarray, person: PersonMotion, camera: Camera, a: int, b: int,
                    pelvis: np.ndarray) -> np.ndarray:
    """Bridged translations of frames ``[a, b)`` moved so that the pelvis (``transl + pelvis``) lies on the camera
    ray of its seen 2D keypoint, keeping its depth; the correction is interpolated between sightings and falls to
    zero at the trusted frames ``a - 1`` and ``b``."""
    kp = person.keypoints_2d[a:b, JOINT_INDEX["pelvis"]]
    seen = np.flatnonzero(kp[:, 2] >= KEYPOINT_SEEN)
    if not len(seen):
        return transl
    f = np.arange(a, b)[seen]
    world = transl[seen] + pelvis
    cam = np.einsum("nij,nj->ni", camera.R[f], world) + camera.t[f]
    rays = np.linalg.solve(camera.K, np.c_[kp[seen, :2], np.ones(len(seen))].T).T  # z = 1
    moved = np.einsum("nji,nj->ni", camera.R[f], rays * cam[:, 2:3] - camera.t[f])  # R^T (x - t)
    frames = np.r_[a - 1, f, b]
    delta = np.stack([np.interp(np.arange(a, b), frames, np.r_[0.0, d, 0.0]) for d in (moved - world).T], axis=1)
    return transl + delta


def _blend(estimate: np.ndarray, bridge: np.ndarray, trust: np.ndarray, rotations: bool) -> np.ndarray:
    """Per frame, ``trust`` of the estimate and the rest of the bridge (slerp for axis-angle arrays)."""
    if not rotations:
        t = trust.reshape(-1, *([1] * (estimate.ndim - 1)))
        return t * estimate + (1 - t) * bridge
    shape = estimate.shape
    w = np.broadcast_to(trust.reshape(-1, *([1] * (estimate.ndim - 2))), shape[:-1]).reshape(-1)
    out = _lerp_rotations(Rotation.from_rotvec(bridge.reshape(-1, 3)), Rotation.from_rotvec(estimate.reshape(-1, 3)),
                          w)
    return out.as_rotvec().reshape(shape)


def bridge_untrusted(recon: Reconstruction, segment: Segment,
                     pelvis: Optional[dict[str, np.ndarray]] = None) -> tuple[Reconstruction, Evidence]:
    """``recon`` with each person's untrusted frames overlapping ``segment`` replaced by the bridge described in
    the module docstring (frames outside those runs are untouched), and what evidence was used. ``pelvis``: each
    person's rest pelvis joint (the offset from ``transl`` to the pelvis), needed to use 2D keypoints."""
    people = dict(zip(PERSON_IDS, recon.people))
    trusted = {pid: p.reliability >= TRUSTED for pid, p in people.items()}
    out, anchors = {}, {}
    for pid, person in people.items():
        other_id = PERSON_IDS[1 - PERSON_IDS.index(pid)]
        other = people[other_id]
        q = person.copy()
        anchors[pid] = []
        for a, b in true_runs(~trusted[pid]):
            if b <= segment.start or a >= segment.stop or (a == 0 and b == person.num_frames):
                continue  # outside the segment, or never seen at all: nothing to bridge from
            relative = bool(trusted[other_id][max(a - 1, 0):b + 1].all())
            root, pose, transl, ends = _bridge_run(person, other, a, b, relative)
            if pelvis is not None and recon.camera is not None and person.keypoints_2d is not None:
                transl = _onto_keypoints(transl, person, recon.camera, a, b, pelvis[pid])
            trust = person.reliability[a:b].astype(np.float64)
            q.global_orient[a:b] = _blend(person.global_orient[a:b], root, trust, True)
            q.body_pose[a:b] = _blend(person.body_pose[a:b], pose, trust, True)
            q.transl[a:b] = _blend(person.transl[a:b], transl, trust, False)
            anchors[pid].append(ends)
        out[pid] = q
    seg = slice(segment.start, segment.stop)
    share = {pid: float(trusted[pid][seg].mean()) for pid in PERSON_IDS}
    return recon.replace_people(out["A"], out["B"]), Evidence(share, anchors)

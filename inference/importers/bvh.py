"""BVH motion capture → our SMPL-X body, one file per person.

Retargeting matches *bone directions*, not joint angles, because skeleton families disagree on rest poses (CMU and
Mixamo rest in a T-pose, MakeHuman in an A-pose), joint placement and units:

1. Each family has a joint-name map onto our 22 joints (:mod:`.bvh_families`); a joint without a counterpart
   keeps its parent's orientation and its parent aims at the next mapped joint down the chain.
2. The source's world joint positions and rotations come from its own forward kinematics (:mod:`.bvh_source`),
   turned Y-up when the file is Z-up, and scaled so its legs and trunk have our body's length (units cancel).
3. Our pelvis turns exactly as the source's pelvis joint does. The upper spine is set from two directions (up to
   the neck, across the shoulders); every other joint from the source joint's rotation since its rest (which
   carries the twist) composed with the constant rotation between our rest bone and the source's rest bone, then
   corrected by the smallest rotation that makes the bone point exactly where the source bone points. Leaves
   (head, wrists, toes without a mapped child) take the source rotation with their parent's rest correction.
4. Ground: the pelvis goes where the source's is horizontally; vertically, our lower sole is put exactly as high
   above our floor (y = 0) as the source's is above *its* floor, estimated from where its soles rest (see
   :func:`_retarget_person`). Two files imported together share one scale, so their relative placement is kept.
5. A synthetic rest frame 0 (cgspeed's conversions add one, and blend out of it over four frames) is detected
   and dropped with its blend.

Long takes are retargeted a slice of frames at a time (memory bounded by the slice, not the take).
:mod:`.bvh_report` measures the result against the source.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
import torch

from ..motion import MotionError, PersonMotion, Reconstruction
from ..rotations import matrix_to_axis_angle
from ..skeleton import BODY_JOINT_NAMES, BODY_PARENTS, JOINT_INDEX, NUM_BODY_JOINTS
from .bvh_body import FOOT, OurBody, RestFn, our_body, posed_joints, sole_heights
from .bvh_file import BvhSkeleton, read_bvh
from .bvh_report import ErrorTally
from .bvh_source import SourceMotion, SourceRig, leg_and_trunk, source_rig

_SIDES = ("left", "right")
# Main child of each joint (the bone whose direction its rotation sets); leaves have none.
_CHAIN = {"pelvis": "spine1", "spine1": "spine2", "spine2": "spine3", "spine3": "neck", "neck": "head"}
for _s in _SIDES:
    _CHAIN.update({f"{_s}_hip": f"{_s}_knee", f"{_s}_knee": f"{_s}_ankle", f"{_s}_ankle": f"{_s}_foot",
                   f"{_s}_collar": f"{_s}_shoulder", f"{_s}_shoulder": f"{_s}_elbow", f"{_s}_elbow": f"{_s}_wrist"})
# The upper spine is set from two directions: (main child, (left joint, right joint)).
_TWO_VECTOR = {"spine3": ("neck", ("left_shoulder", "right_shoulder"))}
SLICE_POINTS = 200_000  # frames × skeleton points per slice of forward kinematics and retargeting
FLOOR_PERCENTILE = 5.0  # where the source's lower sole rests, over the take
GLITCH_SPEED = 12.0  # m/s: a source joint faster than this is a capture glitch, not motion


def _minimal_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotations taking unit vectors ``a (..., 3)`` onto ``b (..., 3)``."""
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    v = np.cross(a, b)
    c = np.sum(a * b, -1)
    vx = np.zeros(a.shape[:-1] + (3, 3))
    vx[..., 0, 1], vx[..., 0, 2], vx[..., 1, 2] = -v[..., 2], v[..., 1], -v[..., 0]
    vx = vx - np.swapaxes(vx, -1, -2)
    opposite = c < -1 + 1e-8
    k = np.where(opposite, 0.0, 1.0 / (1.0 + np.where(opposite, 0.0, c)))
    out = np.eye(3) + vx + vx @ vx * k[..., None, None]
    if np.any(opposite):  # half turn about any axis perpendicular to a
        perp = np.cross(a[opposite], np.eye(3)[np.argmin(np.abs(a[opposite]), -1)])
        perp /= np.linalg.norm(perp, axis=-1, keepdims=True)
        out[opposite] = 2 * perp[..., :, None] * perp[..., None, :] - np.eye(3)
    return out


def _frame(primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """Orthonormal frames (columns) from a primary direction and a second one orthogonalised against it."""
    e1 = primary / np.linalg.norm(primary, axis=-1, keepdims=True)
    e2 = secondary - np.sum(secondary * e1, -1, keepdims=True) * e1
    e2 /= np.linalg.norm(e2, axis=-1, keepdims=True)
    return np.stack([e1, e2, np.cross(e1, e2)], -1)


def _yaw_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The rotation about +Y that turns ``a``'s horizontal direction onto ``b``'s."""
    angle = np.arctan2(b[0], b[2]) - np.arctan2(a[0], a[2])
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _mapped_child(name: str, mapped: np.ndarray) -> Optional[str]:
    """The next joint down ``name``'s chain that has a counterpart."""
    child = _CHAIN.get(name)
    while child is not None and not mapped[JOINT_INDEX[child]]:
        child = _CHAIN.get(child)
    return child


def retarget(src: SourceMotion, our_rest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local axis-angle ``(F, 22, 3)`` (joint 0 = global orient) and pelvis positions ``(F, 3)`` for our body.

    The pelvis turns exactly as the source's pelvis joint does (after at most a turn about the vertical when the
    two rests face different ways): its rest bones point elsewhere on every rig (CMU's lower back starts at the
    hips, Daz's abdomen sits a hand higher than our spine1), and aiming them would tilt the whole body. ``src``
    must already be scaled to our body; the pelvis stays where the source's is."""
    frames = src.positions.shape[0]
    world = np.zeros((frames, NUM_BODY_JOINTS, 3, 3))
    rest_fix = np.repeat(np.eye(3)[None], NUM_BODY_JOINTS, 0)  # our rest bone -> source rest bone
    left, right = JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"]
    rest_fix[0] = _yaw_between(our_rest[left] - our_rest[right], src.rest[left] - src.rest[right])
    world[:, 0] = src.rotations[:, 0] @ rest_fix[0]
    for j, name in enumerate(BODY_JOINT_NAMES[1:], start=1):
        parent = int(BODY_PARENTS[j])
        if not src.mapped[j]:
            world[:, j] = world[:, parent]
            rest_fix[j] = rest_fix[parent]
            continue
        child = _mapped_child(name, src.mapped)
        if name in _TWO_VECTOR:
            main, (lj, rj) = _TWO_VECTOR[name]
            main = child or main
            li, ri, ci = JOINT_INDEX[lj], JOINT_INDEX[rj], JOINT_INDEX[main]
            ours = _frame(our_rest[ci] - our_rest[j], our_rest[li] - our_rest[ri])
            theirs = _frame(src.positions[:, ci] - src.positions[:, j], src.positions[:, li] - src.positions[:, ri])
            world[:, j] = theirs @ ours.T
            rest_fix[j] = _frame(src.rest[ci] - src.rest[j], src.rest[li] - src.rest[ri]) @ ours.T
        elif child is not None:
            ci = JOINT_INDEX[child]
            rest_fix[j] = _minimal_rotation(our_rest[ci] - our_rest[j], src.rest[ci] - src.rest[j])
            base = src.rotations[:, j] @ rest_fix[j]
            bone = np.einsum("fij,j->fi", base, our_rest[ci] - our_rest[j])
            world[:, j] = _minimal_rotation(bone, src.positions[:, ci] - src.positions[:, j]) @ base
        else:
            rest_fix[j] = rest_fix[parent]
            world[:, j] = src.rotations[:, j] @ rest_fix[j]
    local = world.copy()
    parents = BODY_PARENTS[1:]
    local[:, 1:] = np.swapaxes(world[:, parents], -1, -2) @ world[:, 1:]
    aa = matrix_to_axis_angle(torch.as_tensor(local)).numpy()
    return aa, src.positions[:, 0]


LEAD_MAX = 12  # frames after a synthetic T-pose that may still be blending into the capture


def synthetic_lead(skel: BvhSkeleton) -> int:
    """How many leading frames a conversion put before the capture: 0, or a synthetic rest frame 0 plus the
    frames that blend out of it (cgspeed's CMU files have frame 0 in T-pose and 3–11 frames easing into the
    capture, with joints at up to 30 m/s and feet 20 cm under the floor).

    A synthetic frame 0 has every non-root rotation near zero (within 15°) *and* jumps to frame 1 by far more than
    the take ever moves between frames; a captured T-pose flows into the motion and is kept. The blend is every
    following frame (up to :data:`LEAD_MAX`) whose step to the next frame is over 4× the take's median step."""
    if skel.num_frames < 2 * LEAD_MAX:
        return 0
    col = 0
    rotations = []
    for j, chans in enumerate(skel.channels):
        for name in chans:
            if j > 0 and name.endswith("rotation"):
                rotations.append(col)
            col += 1
    if rotations and np.abs(skel.motion[0, rotations]).max() > 15.0:
        return 0
    pos, _ = skel.frames(0, min(skel.num_frames, 240)).forward_kinematics()
    local = pos - pos[:, :1]
    step = np.linalg.norm(np.diff(local, axis=0), axis=-1).max(-1)  # step[t]: frame t -> t + 1
    typical = float(np.median(step[LEAD_MAX:]))
    size = float(np.ptp(skel.rest_positions(), axis=0).max())
    if not (step[0] > 0.05 * size and step[0] > 5 * typical):
        return 0
    lead = 1
    while lead < LEAD_MAX and step[lead] > 4 * typical:
        lead += 1
    return lead


@dataclass
class _Retargeted:
    aa: np.ndarray  # (F, 22, 3) local axis-angle, joint 0 = global orient
    pelvis: np.ndarray  # (F, 3)
    sole: np.ndarray  # (F,) the source's lower sole above its floor
    glitches: np.ndarray  # frames the source reaches faster than GLITCH_SPEED
    errors: dict[str, float]


def _retarget_person(skel: BvhSkeleton, rig: SourceRig, scale: float, our: OurBody) -> _Retargeted:
    """One file on our body, with the error figures and the frames where the source jumps.

    Vertical placement compares *sole heights* (each foot joint's height minus where it sits on our body when the
    foot is flat; only the foot joints both skeletons have). Per frame our body is lifted so that its lower sole is
    exactly as high as the source's; then everything is lowered by the source's floor: the 5th percentile of its
    lower sole over the take. That floor is where the capture put it — cgspeed's Daz conversion gave every subject
    the same legs but kept their hip heights, so its feet float or sink by centimetres. A source foot flat on its
    floor is flat on ours; a jump stays a jump.

    A *glitch* is a frame some source joint reaches at over :data:`GLITCH_SPEED` (real motion, kicks included,
    stays under 9 m/s in every take here; CMU's salsa person A has splices where the whole body jumps 70 cm in a
    frame)."""
    frames = skel.num_frames
    speed = np.zeros(frames)
    previous: Optional[np.ndarray] = None
    step = max(1, SLICE_POINTS // len(skel.point_names))
    aa = np.empty((frames, NUM_BODY_JOINTS, 3))
    pelvis = np.empty((frames, 3))
    source_sole = np.empty(frames)
    tally = ErrorTally(our, rig.mapped)
    feet = np.array([k for k, j in enumerate(FOOT) if rig.mapped[j]])
    for a in range(0, frames, step):
        b = min(frames, a + step)
        src = rig.motion(skel.frames(a, b), scale)
        aa[a:b], pelvis[a:b] = retarget(src, our.joints)
        joints = posed_joints(aa[a:b], pelvis[a:b], our.joints)
        source_sole[a:b] = sole_heights(src.positions, our.flat_feet, feet).min(1)
        lift = source_sole[a:b] - sole_heights(joints, our.flat_feet, feet).min(1)
        pelvis[a:b, 1] += lift
        joints[..., 1] += lift[:, None]
        tally.add(src, joints)
        points = src.positions[:, rig.mapped]
        chain = points if previous is None else np.concatenate([previous, points])
        speed[b - len(chain) + 1:b] = np.linalg.norm(np.diff(chain, axis=0), axis=-1).max(-1) * skel.fps
        previous = points[-1:]
    floor = np.percentile(source_sole, FLOOR_PERCENTILE)
    pelvis[:, 1] -= floor
    return _Retargeted(aa, pelvis, source_sole - floor, np.nonzero(speed > GLITCH_SPEED)[0], tally.summary())


@dataclass
class BvhPeople:
    """People read from BVH files recorded together, on our body, with what the import did to each file."""

    people: list[PersonMotion]
    fps: float
    families: list[str]
    scale: float
    dropped_tpose: bool  # a synthetic rest frame 0 (and its blend) was removed, from every file alike
    first_frame: int  # the file frame that became frame 0
    report: dict[str, dict]  # per file: family and the :mod:`.bvh_report` figures
    source_soles: list[np.ndarray]  # per person (F,): the source's lower sole above its floor (m, our scale)
    glitches: list[np.ndarray]  # per person: frames some source joint reaches faster than GLITCH_SPEED


def parse_frames(text: str) -> tuple[Optional[int], Optional[int]]:
    """``"A:B"`` (either side may be empty) → ``(A, B)``, Python slice style, B exclusive."""
    head, sep, tail = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return (int(head) if head.strip() else None), (int(tail) if tail.strip() else None)
    except ValueError:
        raise MotionError(f"frame range {text!r}: expected A:B like 120:600 (either end may be left out)") from None


def load_bvh_people(paths: Sequence[Union[str, Path]], fps: Optional[float] = None,
                    frames: Optional[tuple[Optional[int], Optional[int]]] = None, rest_fn: Optional[RestFn] = None,
                    betas: Optional[np.ndarray] = None) -> BvhPeople:
    """One person per BVH file, all recorded together (one scale for all of them).

    ``fps`` replaces the files' frame rate (some conversions state a wrong one); ``frames`` ``(A, B)`` keeps file
    frames A..B-1 (counted in the file, T-pose frame included); a synthetic T-pose frame 0 is dropped.
    ``rest_fn(betas)`` gives our body (default: the loaded body model's rest joints and sole)."""
    skels = [read_bvh(p, fps=fps) for p in paths]
    if not skels:
        raise MotionError("no BVH files given")
    for other, path in zip(skels[1:], paths[1:]):
        if other.num_frames != skels[0].num_frames:
            raise MotionError(f"{paths[0]} and {path}: frame counts differ ({skels[0].num_frames} vs "
                              f"{other.num_frames}); trim them to the same take")
        if fps is None and abs(other.frame_time - skels[0].frame_time) > 1e-6:
            raise MotionError(f"{paths[0]} and {path}: frame times differ")
    start, stop = slice(*(frames or (None, None))).indices(skels[0].num_frames)[:2]
    lead = max(synthetic_lead(s) for s in skels)
    dropped = start < lead
    start = max(start, lead)
    if stop - start < 1:
        raise MotionError(f"{paths[0]}: frame range {frames} keeps no frames of {skels[0].num_frames}"
                          + (f" (frames 0–{lead - 1}, a synthetic T-pose and its blend, are dropped)" if lead else ""))
    skels = [s.frames(start, stop) for s in skels]
    betas = np.zeros(10, np.float32) if betas is None else np.asarray(betas, np.float32)
    our = our_body(rest_fn, betas)
    rigs = [source_rig(s) for s in skels]
    scale = leg_and_trunk(our.joints) / float(np.mean([r.scale_length for r in rigs]))
    done = [_retarget_person(skel, rig, scale, our) for skel, rig in zip(skels, rigs)]
    people = [PersonMotion(global_orient=r.aa[:, 0], body_pose=r.aa[:, 1:], transl=r.pelvis - our.joints[0],
                           betas=betas) for r in done]
    report = {str(path): {"family": rig.family, **r.errors} for path, rig, r in zip(paths, rigs, done)}
    return BvhPeople(people, float(fps or skels[0].fps), [r.family for r in rigs], scale, dropped, start, report,
                     [r.sole for r in done], [r.glitches for r in done])


def load_bvh(paths: Sequence[Union[str, Path]], fps: Optional[float] = None, rest_fn: Optional[RestFn] = None,
             betas: Optional[np.ndarray] = None, report: Optional[dict] = None,
             frames: Optional[tuple[Optional[int], Optional[int]]] = None) -> Reconstruction:
    """Two people from two BVH files recorded together (A, B); see :func:`load_bvh_people`. ``report`` (a dict)
    receives the retargeting errors per file."""
    if len(paths) != 2:
        raise MotionError(f"BVH holds one skeleton per file: give two files (A, B), got {len(paths)}")
    got = load_bvh_people(paths, fps=fps, frames=frames, rest_fn=rest_fn, betas=betas)
    if report is not None:
        report.update(got.report)
    meta = {"source": "bvh", "source_file": [Path(p).name for p in paths], "bvh_family": got.families,
            "bvh_scale": got.scale, "bvh_first_frame": got.first_frame, "bvh_dropped_tpose": got.dropped_tpose,
            "retarget_mm": {Path(p).name: got.report[str(p)] for p in paths},
            "bvh_glitch_frames": {Path(p).name: g.tolist() for p, g in zip(paths, got.glitches) if len(g)}}
    return Reconstruction(tuple(got.people), got.fps, meta=meta)  # type: ignore[arg-type]

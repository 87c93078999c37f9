"""Scripts → SMPL-X parameters: trunk and legs first, then the ground, then the arms by IK.

Order matters and is why this is one module: hand targets live on the partner's trunk (``World``), the trunk
height comes from the legs touching the ground, and the arms change nothing else. So: pose trunk + legs for both
people, lift each so the lower foot's sole is at y = 0, build the ``World``, then solve every arm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d

from ..body.kinematics import forward_kinematics
from ..motion import PersonMotion
from ..rotations import matrix_to_axis_angle
from ..skeleton import JOINT_INDEX, NUM_BODY_JOINTS
from .body_info import FOOT_JOINTS
from .geometry import UP, continuous_axis_angle, facing, normalize, rot_axis_angle, rot_x, rot_y, rot_z
from .ik import solve_arm
from .script import ArmScript, PersonScript, World, hand_pole

J = JOINT_INDEX
STANDING_KNEE = 0.06  # radians: nobody stands with locked knees
ARM_SWING = 0.14  # metres of forward/back hand travel per step at full walking speed


@dataclass
class PosedPerson:
    motion: PersonMotion
    joints: np.ndarray  # (T, 22, 3) world joints with the arms solved
    arm_targets: dict[str, np.ndarray]  # side -> (T, 3) the wrist target the IK was given


@dataclass
class Gait:
    phase: np.ndarray  # (T,) radians; the left leg swings forward while cos(phase) > 0
    amp: np.ndarray  # (T,) 0 = standing, 1 = full stride
    direction: np.ndarray  # (T,) +1 walking forwards, −1 backwards (smooth in between)
    hip_angle: float  # hip swing amplitude at full stride
    in_place: bool = False  # stepping on the spot (explicit phase): feet lift and land, no forward swing


def _gait(script: PersonScript, fps: float) -> Gait:
    """The phase follows the distance walked so the stance foot moves backwards as fast as the pelvis moves
    forwards (little foot sliding); explicit phases (stepping on the spot, dancing) are taken as given."""
    leg = script.info.pelvis_height
    stride = 1.45 * leg  # one full cycle = two steps
    hip_angle = float(np.arcsin(min(0.6, stride / (4.0 * leg))))
    if script.step_phase is not None:
        amp = script.step_amp if script.step_amp is not None else np.ones(script.num_frames)
        return Gait(script.step_phase, amp, np.ones(script.num_frames), hip_angle, in_place=True)
    vel = np.gradient(script.root, axis=0) * fps
    vel[:, 1] = 0.0
    forward_speed = np.sum(vel * facing(script.yaw), -1)
    phase = 2 * np.pi * np.cumsum(forward_speed) / fps / stride
    speed = np.linalg.norm(vel, axis=-1)
    amp = np.clip((speed - 0.05) / 0.35, 0.0, 1.0)
    # legs take a few tenths of a second to get going (a sudden shove must not snap the knees in one frame)
    amp = gaussian_filter1d(amp, sigma=0.12 * fps, mode="nearest")
    # a smooth sign: starting to walk backwards must not flip the knees from one frame to the next
    return Gait(phase, amp * amp * (3 - 2 * amp), np.tanh(forward_speed / 0.15), hip_angle)


def _trunk_and_legs(script: PersonScript, fps: float, partner_root: np.ndarray) -> np.ndarray:
    """Local rotations ``(T, 22, 3, 3)`` of everything but the arms."""
    T = script.num_frames
    rot = np.tile(np.eye(3), (T, NUM_BODY_JOINTS, 1, 1))
    rot[:, 0] = rot_y(script.yaw)
    sway = script.sway if script.sway is not None else np.zeros(T)
    for name in ("spine1", "spine2", "spine3"):
        rot[:, J[name]] = rot_x(script.lean / 3.0) @ rot_z(sway / 3.0)

    gait = _gait(script, fps)
    for side, offset in (("left", 0.0), ("right", np.pi)):
        ph = gait.phase + offset
        if gait.in_place:  # lift the foot straight up: thigh forward by half the knee bend
            lift = gait.amp * 0.7 * np.maximum(0.0, np.sin(ph)) ** 2
            hip, knee = -0.5 * lift, STANDING_KNEE + lift
        else:
            # negative x-rotation swings the leg forward; a rounded triangle wave (not a sine) moves the planted
            # foot back at a constant speed, matching the pelvis's constant speed (a sine skates at mid-stance)
            hip = -gait.hip_angle * gait.amp * np.arcsin(0.97 * np.sin(ph)) / np.arcsin(0.97)
            # the knee folds while the leg swings in the walking direction (early swing)
            swing = np.maximum(0.0, gait.direction * np.cos(ph - 0.2 * gait.direction))
            knee = STANDING_KNEE + gait.amp * 0.9 * swing ** 2
        hip = hip - 0.5 * STANDING_KNEE
        rot[:, J[f"{side}_hip"]] = rot_x(hip)
        rot[:, J[f"{side}_knee"]] = rot_x(knee)
        rot[:, J[f"{side}_ankle"]] = rot_x(-0.85 * (hip + knee))  # keep the foot roughly flat

    if script.look_at is not None:
        to_partner = partner_root - script.root
        want = np.arctan2(to_partner[:, 0], to_partner[:, 2])
        turn = np.clip(np.angle(np.exp(1j * (want - script.yaw))), -1.1, 1.1)
        rot[:, J["neck"]] = rot_y(0.4 * turn)
        rot[:, J["head"]] = rot_y(0.6 * turn)
    return rot


def _fk(rots: list[np.ndarray], rests: list[np.ndarray], transls: list[np.ndarray],
        ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Forward kinematics of several people in one batched call (per-call overhead dominates at this size)."""
    sizes = [len(r) for r in rots]
    rest = np.concatenate([np.broadcast_to(r, (n,) + r.shape) for r, n in zip(rests, sizes)])
    pos, tr = forward_kinematics(torch.from_numpy(np.concatenate(rots)), torch.from_numpy(rest),
                                 torch.from_numpy(np.concatenate(transls)))
    bounds = np.cumsum([0] + sizes)
    return [(pos[a:b].numpy(), tr[a:b].numpy()) for a, b in zip(bounds[:-1], bounds[1:])]


def _ground_offset(joints: np.ndarray, foot_heights: np.ndarray) -> np.ndarray:
    """Per-frame vertical lift putting the lowest sole at y = 0 (each foot joint minus its flat-foot height)."""
    return -np.min(joints[:, list(FOOT_JOINTS), 1] - foot_heights[None], axis=1)


def _relaxed_hand(world: World, pid: str, side: str, joints: np.ndarray, swing: np.ndarray,
                  reach: float) -> np.ndarray:
    shoulder = joints[:, J[f"{side}_shoulder"]]
    return (shoulder - UP * 0.9 * reach + world.side(pid, side) * 0.07
            + world.forward(pid) * (0.05 + swing[:, None]))


def _aim_hand(elbow_world: np.ndarray, rest_dir: np.ndarray, want: np.ndarray, weight: np.ndarray,
              max_bend: float = 1.2) -> np.ndarray:
    """Wrist local rotation turning the hand from the forearm's direction towards ``want`` (at most
    ``max_bend`` radians, scaled by ``weight``), by the smallest rotation."""
    fore = elbow_world @ rest_dir
    want = normalize(want)
    axis = np.cross(fore, want)
    sin_a = np.linalg.norm(axis, axis=-1)
    angle = np.minimum(np.arctan2(sin_a, np.sum(fore * want, -1)), max_bend) * weight
    axis = np.where(sin_a[:, None] > 1e-6, axis / np.maximum(sin_a[:, None], 1e-9), np.array([0.0, 1.0, 0.0]))
    world = rot_axis_angle(axis, angle)
    return np.swapaxes(elbow_world, -1, -2) @ world @ elbow_world


def _bezier(a: np.ndarray, via: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    w = w[:, None]
    return (1 - w) ** 2 * a + 2 * (1 - w) * w * via + w * w * b


def pose_people(scripts: dict[str, PersonScript], fps: float) -> dict[str, PosedPerson]:
    """Solve both scripts together (each one's hands may target the other's trunk).

    Runs torch forward kinematics on tiny batches: for bulk generation, call it from a process or worker with
    ``torch.set_num_threads(1)`` (what DataLoader workers do), several times faster than with thread contention.
    """
    pids = list(scripts)
    rots, transls = {}, {}
    for pid in pids:
        s = scripts[pid]
        other = scripts[pids[1 - pids.index(pid)]]
        rots[pid] = _trunk_and_legs(s, fps, other.root)
        rest = s.info.rest_joints
        transls[pid] = np.stack([s.root[:, 0] - rest[0, 0], np.zeros(s.num_frames), s.root[:, 2] - rest[0, 2]], -1)
    joints, transforms = {}, {}
    for pid, (pos, tr) in zip(pids, _fk([rots[p] for p in pids], [scripts[p].info.rest_joints for p in pids],
                                         [transls[p] for p in pids])):
        lift = _ground_offset(pos, scripts[pid].info.foot_heights)
        transls[pid][:, 1] += lift
        pos[..., 1] += lift[:, None]
        tr[..., 1, 3] += lift[:, None]
        joints[pid], transforms[pid] = pos, tr

    T = scripts[pids[0]].num_frames
    world = World(np.arange(T) / fps, joints, {p: scripts[p].yaw for p in pids}, {p: scripts[p].info for p in pids})
    targets = {pid: _solve_arms(scripts[pid], pid, world, rots[pid], transforms[pid], _gait(scripts[pid], fps))
               for pid in pids}
    finals = _fk([rots[p] for p in pids], [scripts[p].info.rest_joints for p in pids], [transls[p] for p in pids])
    aa_all = matrix_to_axis_angle(torch.from_numpy(np.concatenate([rots[p] for p in pids]))).numpy()
    out: dict[str, PosedPerson] = {}
    for i, pid in enumerate(pids):
        aa = continuous_axis_angle(aa_all[i * T:(i + 1) * T]).astype(np.float32)
        motion = PersonMotion(global_orient=aa[:, 0], body_pose=aa[:, 1:], transl=transls[pid].astype(np.float32),
                              betas=scripts[pid].info.betas)
        out[pid] = PosedPerson(motion, finals[i][0], targets[pid])
    return out


def _solve_arms(s: PersonScript, pid: str, world: World, rot: np.ndarray, transforms: np.ndarray,
                gait: Gait) -> dict[str, np.ndarray]:
    """Write shoulder/elbow (and aimed wrist) rotations into ``rot``; returns each arm's wrist target."""
    targets: dict[str, np.ndarray] = {}
    joints = world.joints[pid]
    for side, offset in (("left", 0.0), ("right", np.pi)):
        chain = s.info.arms[side]
        swing = -ARM_SWING * gait.amp * np.sin(gait.phase + offset)
        relaxed = _relaxed_hand(world, pid, side, joints, swing, chain.reach)
        relaxed_pole = -world.forward(pid) + 0.25 * world.side(pid, side) - 0.2 * UP
        arm: ArmScript | None = s.arms.get(side)
        if arm is None:
            target, pole = relaxed, relaxed_pole
        else:
            goal = arm.target(world)
            via = arm.via(world) if arm.via is not None else 0.5 * (relaxed + goal)
            w = np.clip(arm.weight, 0.0, 1.0)
            target = _bezier(relaxed, via, goal, w)
            goal_pole = arm.pole(world) if arm.pole is not None else hand_pole(world, pid, side)
            pole = normalize((1 - w[:, None]) * normalize(relaxed_pole) + w[:, None] * normalize(goal_pole))
        shoulder = J[f"{side}_shoulder"]
        parent = transforms[:, J[f"{side}_collar"], :3, :3]
        sh_local, el_local, _ = solve_arm(chain, joints[:, shoulder], parent, target, pole)
        rot[:, shoulder] = sh_local
        rot[:, J[f"{side}_elbow"]] = el_local
        if arm is not None and arm.hand_dir is not None:
            elbow_world = parent @ sh_local @ el_local
            rot[:, J[f"{side}_wrist"]] = _aim_hand(elbow_world, chain.upper_dir, arm.hand_dir(world),
                                                   np.clip(arm.weight, 0.0, 1.0))
        targets[side] = target
    return targets

"""Geometric guidance: differentiable terms on the generated joints, applied between sampling steps.

Each term is in metres squared summed over the frames and joints it concerns (reprojection is converted to
metres at the estimated depth), so the weights are comparable and plain gradient steps move a violating joint
by a fraction of the violation: no per-term learning rates to tune, and nothing moves when nothing is violated
(unlike Adam, which would push every parameter by its step size).

Terms (each switchable by a weight of 0):

* ``reprojection`` — generated joints projected by the camera onto visible 2D keypoints (Huber, confidence
  weighted). Partly occluded frames still have some keypoints, and these pin the motion to the video.
* ``penetration`` — spheres on the 22 joints and on bone midpoints of one body must not overlap the other's.
* ``contact`` — requested joint pairs (from the user or from the text) come within a distance.
* ``ground`` — feet not below the floor; ``skating`` — feet near the floor do not slide.
* ``continuity`` — acceleration across the borders between kept and generated frames.
* ``anchor`` — stay near the input (refiner: trusted frames must not wander off their evidence).
* ``pin`` — joints the user pinned (dragged in the app) stay at their world positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Optional

import numpy as np
import torch
from torch import Tensor

from ..body.kinematics import forward_kinematics
from ..skeleton import BODY_PARENTS, JOINT_INDEX
from .pair_frame import PairFrame, decode

# Conservative body radii (m) around each joint: a little thinner than a real body, so that people who merely
# touch are not reported as interpenetrating.
JOINT_RADII = np.array([0.11, 0.08, 0.08, 0.10, 0.055, 0.055, 0.10, 0.045, 0.045, 0.11, 0.04, 0.04,
                        0.05, 0.06, 0.06, 0.09, 0.055, 0.055, 0.045, 0.045, 0.035, 0.035], np.float32)
FOOT_JOINTS = tuple(JOINT_INDEX[n] for n in ("left_ankle", "right_ankle", "left_foot", "right_foot"))
FOOT_CONTACT_HEIGHT = 0.06  # m above the floor (at the ankle/foot joint centres' lowest) that counts as planted


@dataclass
class GuidanceWeights:
    reprojection: float = 1.0
    penetration: float = 0.3  # the proxies overlap in real close contact too: a full weight pushes huggers apart
    contact: float = 1.0
    ground: float = 1.0
    skating: float = 0.5
    continuity: float = 0.5
    anchor: float = 0.0
    pin: float = 1.0

    def any(self) -> bool:
        return any(getattr(self, f.name) > 0 for f in fields(self))

    @classmethod
    def none(cls) -> "GuidanceWeights":
        return cls(**{f.name: 0.0 for f in fields(cls)})


@dataclass(frozen=True)
class ContactConstraint:
    """Joint ``joint_a`` of person A within ``distance`` m of joint ``joint_b`` of person B on frames
    ``[start, stop)`` (frames of the reconstruction; the engine shifts them into its window)."""

    start: int
    stop: int
    joint_a: int
    joint_b: int
    distance: float = 0.12


@dataclass(frozen=True)
class PinConstraint:
    """Joint ``joint`` of person ``person`` (0: A, 1: B) at world position ``target`` (m) on frames
    ``[start, stop)`` (frames of the reconstruction; the engine shifts them into its window)."""

    start: int
    stop: int
    person: int
    joint: int
    target: tuple[float, float, float]


@dataclass
class GuidanceProblem:
    """What is known about one window besides the network's prediction."""

    rest_joints: Tensor  # (2, 22, 3)
    frame: PairFrame  # pair frame → world (unbatched)
    free: Tensor  # (T, 2) bool: entries guidance may move
    keypoints: Optional[Tensor] = None  # (T, 2, 22, 3): pixel x, y, confidence
    camera: Optional[tuple[Tensor, Tensor, Tensor]] = None  # K (3, 3), R (T, 3, 3), t (T, 3)
    contacts: list[ContactConstraint] = field(default_factory=list)  # window-relative frames
    floor: Optional[float] = None  # world height of the floor
    anchor: Optional[Tensor] = None  # (T, 2, F) features to stay near
    anchor_mask: Optional[Tensor] = None  # (T, 2): where the anchor holds (default everywhere)
    pins: list[PinConstraint] = field(default_factory=list)  # window-relative frames

    def to(self, device: "str | torch.device") -> "GuidanceProblem":
        """A copy whose tensors live on ``device`` (the sample's)."""
        move = lambda t: None if t is None else t.to(device)  # noqa: E731
        camera = None if self.camera is None else tuple(c.to(device) for c in self.camera)
        return GuidanceProblem(self.rest_joints.to(device), self.frame.to(device), self.free.to(device),
                               move(self.keypoints), camera, list(self.contacts), self.floor, move(self.anchor),
                               move(self.anchor_mask), list(self.pins))


def sphere_proxies(joints: Tensor) -> tuple[Tensor, Tensor]:
    """Joints ``(..., 22, 3)`` → sphere centres ``(..., 43, 3)`` (joints + bone midpoints) and radii ``(43,)``."""
    parents = BODY_PARENTS[1:]
    mids = 0.5 * (joints[..., 1:, :] + joints[..., parents, :])
    radii = torch.as_tensor(JOINT_RADII, device=joints.device)
    mid_radii = torch.minimum(radii[1:], radii[parents])
    return torch.cat([joints, mids], -2), torch.cat([radii, mid_radii])


def penetration_depth(joints_a: Tensor, joints_b: Tensor) -> Tensor:
    """Per-pair overlap ``(..., 43, 43)`` in metres (0 where the proxies do not touch)."""
    ca, radii = sphere_proxies(joints_a)
    cb, _ = sphere_proxies(joints_b)
    dist = torch.cdist(ca, cb)
    return torch.relu(radii[:, None] + radii[None, :] - dist)


def window_joints(features: Tensor, rest_joints: Tensor) -> Tensor:
    """Features ``(T, 2, F)`` (pair frame) → joints ``(T, 2, 22, 3)`` in the same frame (differentiable)."""
    rotmats, pelvis = decode(features)
    frames = features.shape[0]
    rest = rest_joints[None].expand(frames, -1, -1, -1).reshape(-1, *rest_joints.shape[1:])
    transl = (pelvis - rest_joints[None, :, 0]).reshape(-1, 3)
    joints, _ = forward_kinematics(rotmats.reshape(-1, *rotmats.shape[2:]), rest, transl)
    return joints.reshape(frames, 2, *joints.shape[1:])


def _huber(residual_sq: Tensor, delta: float) -> Tensor:
    r = residual_sq.clamp_min(1e-12).sqrt()
    return torch.where(r < delta, residual_sq, 2 * delta * r - delta * delta)


def guidance_terms(features: Tensor, problem: GuidanceProblem, weights: GuidanceWeights) -> dict[str, Tensor]:
    """Weighted terms (only those with a positive weight and the data they need)."""
    joints = window_joints(features, problem.rest_joints)
    world = problem.frame.points_to_world(joints)
    free = problem.free.to(features.dtype)  # (T, 2)
    terms: dict[str, Tensor] = {}
    if weights.reprojection > 0 and problem.keypoints is not None and problem.camera is not None:
        K, R, t = problem.camera
        cam = torch.einsum("tij,tpnj->tpni", R, world) + t[:, None, None]
        depth = cam[..., 2:3].clamp_min(0.1)
        uv = torch.einsum("ij,tpnj->tpni", K, cam / depth)[..., :2]
        conf = problem.keypoints[..., 2] * free[..., None]
        # pixel error → metres at the joint's depth, so it is commensurate with the other terms
        metric = (uv - problem.keypoints[..., :2]) / K[0, 0] * depth.detach()
        terms["reprojection"] = weights.reprojection * (conf * _huber((metric ** 2).sum(-1), 0.1)).sum()
    if weights.penetration > 0:
        depth = penetration_depth(joints[:, 0], joints[:, 1])
        frame_weight = free.amax(1)  # a frame counts when either person in it can move
        terms["penetration"] = weights.penetration * ((depth ** 2).sum((-1, -2)) * frame_weight).sum()
    if weights.contact > 0 and problem.contacts:
        total = features.new_zeros(())
        for c in problem.contacts:
            sl = slice(max(0, c.start), max(0, min(features.shape[0], c.stop)))
            d = (joints[sl, 0, c.joint_a] - joints[sl, 1, c.joint_b]).norm(dim=-1)
            total = total + (torch.relu(d - c.distance) ** 2).sum()
        terms["contact"] = weights.contact * total
    if problem.floor is not None and (weights.ground > 0 or weights.skating > 0):
        feet = world[:, :, FOOT_JOINTS]  # (T, 2, 4, 3)
        height = feet[..., 1] - problem.floor
        if weights.ground > 0:
            terms["ground"] = weights.ground * ((torch.relu(-height) ** 2) * free[..., None]).sum()
        if weights.skating > 0 and feet.shape[0] > 1:
            planted = torch.sigmoid((FOOT_CONTACT_HEIGHT - height[1:].detach()) / 0.01)
            slide = ((feet[1:, ..., [0, 2]] - feet[:-1, ..., [0, 2]]) ** 2).sum(-1)
            terms["skating"] = weights.skating * (planted * slide * free[1:, :, None]).sum()
    if weights.continuity > 0 and features.shape[0] > 2:
        accel = joints[2:] - 2 * joints[1:-1] + joints[:-2]  # (T-2, 2, 22, 3)
        change = (free[1:] != free[:-1]).to(features.dtype)  # borders between kept and moved frames
        near = torch.zeros_like(free)
        near[1:] += change
        near[:-1] += change
        near_border = (torch.nn.functional.max_pool1d(near.T[None], 5, 1, 2)[0].T > 0).to(features.dtype)
        terms["continuity"] = weights.continuity * ((accel ** 2).sum((-1, -2)) * near_border[1:-1]).sum()
    if weights.anchor > 0 and problem.anchor is not None:
        mask = problem.anchor_mask.to(features.dtype) if problem.anchor_mask is not None else free
        terms["anchor"] = weights.anchor * (((features - problem.anchor) ** 2).sum(-1) * mask).sum()
    if weights.pin > 0 and problem.pins:
        terms["pin"] = weights.pin * _pin_term(world, problem.pins)
    return terms


def _pin_term(world: Tensor, pins: list[PinConstraint]) -> Tensor:
    """Squared distance (m²) of pinned joints from their targets, summed over the pinned frames in the window."""
    total = world.new_zeros(())
    for p in pins:
        sl = slice(max(0, p.start), max(0, min(world.shape[0], p.stop)))
        target = torch.as_tensor(p.target, dtype=world.dtype, device=world.device)
        total = total + ((world[sl, p.person, p.joint] - target) ** 2).sum()
    return total


def _temporal_smooth(grad: Tensor, sigma: float) -> Tensor:
    """Gaussian low-pass of ``grad`` ``(T, 2, F)`` along time (edges replicated)."""
    if sigma <= 0 or grad.shape[0] < 3:
        return grad
    radius = int(3 * sigma)
    offsets = torch.arange(-radius, radius + 1, dtype=grad.dtype, device=grad.device)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = (kernel / kernel.sum()).view(1, 1, -1)
    flat = grad.permute(1, 2, 0).reshape(-1, 1, grad.shape[0])
    padded = torch.nn.functional.pad(flat, (radius, radius), mode="replicate")
    return torch.nn.functional.conv1d(padded, kernel).reshape(grad.shape[1], grad.shape[2], -1).permute(2, 0, 1)


def apply_guidance(features: Tensor, problem: GuidanceProblem, weights: GuidanceWeights,
                   iterations: int, step_size: float = 0.1, max_step: float = 0.02, smooth: float = 2.0) -> Tensor:
    """``iterations`` gradient steps on the free entries of ``features`` ``(T, 2, F)`` (pair frame).

    The gradient is low-passed along time (Gaussian, ``smooth`` frames) before the step: per-frame independent
    corrections would add exactly the jitter the networks were trained to remove, and an unsmoothed step on a
    term with large finite-difference coefficients (continuity, skating) overshoots and oscillates.
    """
    if iterations <= 0 or not weights.any():
        return features
    free = problem.free[..., None].to(features.dtype)
    x = features.detach().clone()
    for _ in range(iterations):
        x.requires_grad_(True)
        with torch.enable_grad():
            terms = guidance_terms(x, problem, weights)
            if not terms:
                return features
            loss = sum(terms.values())
            (grad,) = torch.autograd.grad(loss, x)
        step = _temporal_smooth(grad * free, smooth)
        x = (x - (step_size * step).clamp(-max_step, max_step) * free).detach()
    return x

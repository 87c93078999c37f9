"""The body as capsules around the SMPL-X bones: cheap surface distances between two people's body parts.

Joints alone say little about contact (a hand on a back is 10 cm from any spine joint), and posing two full meshes
and comparing every vertex pair costs ~10⁸ distances per frame. A capsule per bone — a segment with a radius —
gets surface-to-surface distance right to a couple of centimetres for a few hundred segment pairs per frame,
vectorised over frames.

The trunk is not round and its spine joints sit near the back (on the free body, ~5 cm from the back surface and
~18 cm from the chest), so its capsules are measured per person on the body model's own rest mesh: for each trunk
joint, the depth and width of the slab of trunk vertices at its height give a radius, a forward offset of the
axis, and a left/right pair of capsules that together span the width. Offsets live in each joint's local frame and
follow it through the pose. Limb radii are adult averages; the describer's contact threshold absorbs the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..skeleton import JOINT_INDEX


@dataclass(frozen=True)
class Capsule:
    """A bone ``a → b`` (``b`` may be an extension ``extend`` metres past ``a`` along ``b → a``)."""

    name: str  # unique, e.g. "left_hand"
    part: str  # vocabulary word (``parts.PARTS``), e.g. "hand"
    side: Optional[str]  # "left"/"right", None for the trunk and head
    a: str
    b: str  # joint name; with ``extend`` > 0, the joint the extension direction starts from
    radius: float  # default radius (trunk capsules are re-measured per body)
    extend: float = 0.0
    half: float = 0.0  # trunk capsules: +1 for the left half, -1 for the right half


def _limbs(side: str) -> tuple[Capsule, ...]:
    s = side
    return (
        Capsule(f"{s}_hand", "hand", s, f"{s}_wrist", f"{s}_elbow", 0.045, extend=0.10),
        Capsule(f"{s}_forearm", "arm", s, f"{s}_elbow", f"{s}_wrist", 0.04),
        Capsule(f"{s}_upper_arm", "arm", s, f"{s}_shoulder", f"{s}_elbow", 0.05),
        Capsule(f"{s}_shoulder", "shoulder", s, f"{s}_collar", f"{s}_shoulder", 0.06),
        Capsule(f"{s}_thigh", "leg", s, f"{s}_hip", f"{s}_knee", 0.07),
        Capsule(f"{s}_shin", "leg", s, f"{s}_knee", f"{s}_ankle", 0.05),
        Capsule(f"{s}_foot", "foot", s, f"{s}_ankle", f"{s}_foot", 0.045),
    )


TRUNK_JOINTS: tuple[str, ...] = ("pelvis", "spine1", "spine2", "spine3", "neck")
_TRUNK_BONES = (("waist", "pelvis", "spine1"), ("belly", "spine1", "spine2"), ("chest", "spine2", "spine3"),
                ("upper_trunk", "spine3", "neck"))

CAPSULES: tuple[Capsule, ...] = (
    *_limbs("left"), *_limbs("right"),
    Capsule("head", "head", None, "head", "neck", 0.10, extend=0.10),
    Capsule("neck", "neck", None, "neck", "head", 0.055),
    *(Capsule(f"{name}_{h}", "torso", None, a, b, 0.11, half=sign)
      for name, a, b in _TRUNK_BONES for h, sign in (("left", 1.0), ("right", -1.0))),
)
CAPSULE_INDEX: dict[str, int] = {c.name: i for i, c in enumerate(CAPSULES)}


@dataclass(frozen=True)
class CapsuleShape:
    """One body's capsules: radii ``(C,)`` and end-point offsets ``(C, 3)`` in the local frames of joints a, b."""

    radii: np.ndarray
    offset_a: np.ndarray
    offset_b: np.ndarray

    @classmethod
    def default(cls) -> "CapsuleShape":
        zeros = np.zeros((len(CAPSULES), 3))
        return cls(np.array([c.radius for c in CAPSULES]), zeros, zeros.copy())

    @classmethod
    def measure(cls, rest_vertices: np.ndarray, rest_joints: np.ndarray, skin_weights: np.ndarray) -> "CapsuleShape":
        """Trunk capsules fitted to a T-pose rest mesh (vertices, joints, skinning weights onto the 22 joints)."""
        v = np.asarray(rest_vertices, np.float64)
        j = np.asarray(rest_joints, np.float64)
        trunk_ids = [JOINT_INDEX[n] for n in (*TRUNK_JOINTS, "left_hip", "right_hip")]
        on_trunk = np.isin(np.asarray(skin_weights).argmax(axis=1), trunk_ids)
        profile = {}
        for name in TRUNK_JOINTS:
            p = j[JOINT_INDEX[name]]
            slab = v[on_trunk & (np.abs(v[:, 1] - p[1]) < 0.03)] - p
            if len(slab) < 8:
                profile[name] = (0.11, 0.0, 0.0)  # (radius, forward offset, lateral offset): a round trunk
                continue
            front, back = slab[:, 2].max(), -slab[:, 2].min()
            half_width = 0.5 * (slab[:, 0].max() - slab[:, 0].min())
            radius = 0.5 * (front + back)
            profile[name] = (radius, 0.5 * (front - back), max(half_width - radius, 0.0))
        shape = cls.default()
        radii, off_a, off_b = shape.radii.copy(), shape.offset_a.copy(), shape.offset_b.copy()
        for i, c in enumerate(CAPSULES):
            if c.part != "torso":
                continue
            (ra, za, xa), (rb, zb, xb) = profile[c.a], profile[c.b]
            radii[i] = 0.5 * (ra + rb)
            off_a[i] = (c.half * xa, 0.0, za)
            off_b[i] = (c.half * xb, 0.0, zb)
        return cls(radii, off_a, off_b)


def capsule_segments(joints: np.ndarray, rotations: np.ndarray,
                     shape: CapsuleShape) -> tuple[np.ndarray, np.ndarray]:
    """``joints (T, 22, 3)`` and world joint rotations ``(T, 22, 3, 3)`` → capsule end points ``p, q``
    each ``(T, C, 3)``."""
    j = np.asarray(joints, np.float64)
    rot = np.asarray(rotations, np.float64)
    ia = [JOINT_INDEX[c.a] for c in CAPSULES]
    ib = [JOINT_INDEX[c.b] for c in CAPSULES]
    p = j[:, ia] + np.einsum("tcij,cj->tci", rot[:, ia], shape.offset_a)
    q = j[:, ib] + np.einsum("tcij,cj->tci", rot[:, ib], shape.offset_b)
    ext = np.array([c.extend for c in CAPSULES])
    if ext.any():
        d = j[:, ia] - j[:, ib]
        tip = j[:, ia] + ext[None, :, None] * d / np.maximum(np.linalg.norm(d, axis=-1, keepdims=True), 1e-9)
        q = np.where((ext > 0)[None, :, None], tip, q)
    return p, q


def segment_closest(p1: np.ndarray, q1: np.ndarray, p2: np.ndarray,
                    q2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closest points between segments ``p1q1`` and ``p2q2`` (broadcast over leading dims): distance, point on
    the first, point on the second. Clamped closed form (Ericson, *Real-Time Collision Detection*, 5.1.9)."""
    d1, d2, r = q1 - p1, q2 - p2, p1 - p2
    a = np.einsum("...i,...i->...", d1, d1)
    e = np.einsum("...i,...i->...", d2, d2)
    f = np.einsum("...i,...i->...", d2, r)
    c = np.einsum("...i,...i->...", d1, r)
    b = np.einsum("...i,...i->...", d1, d2)
    eps = 1e-12
    denom = a * e - b * b
    s = np.where(denom > eps, np.clip((b * f - c * e) / np.maximum(denom, eps), 0.0, 1.0), 0.0)
    t = (b * s + f) / np.maximum(e, eps)
    # t outside [0, 1]: clamp it and recompute s for that end of the second segment
    s = np.where(t < 0, np.clip(-c / np.maximum(a, eps), 0.0, 1.0),
                 np.where(t > 1, np.clip((b - c) / np.maximum(a, eps), 0.0, 1.0), s))
    t = np.clip(t, 0.0, 1.0)
    c1 = p1 + d1 * s[..., None]
    c2 = p2 + d2 * t[..., None]
    return np.linalg.norm(c1 - c2, axis=-1), c1, c2


@dataclass(frozen=True)
class PosedBody:
    """One person over a segment: joints ``(T, 22, 3)``, world joint rotations ``(T, 22, 3, 3)``, capsule shape."""

    joints: np.ndarray
    rotations: np.ndarray
    shape: CapsuleShape

    def segments(self) -> tuple[np.ndarray, np.ndarray]:
        return capsule_segments(self.joints, self.rotations, self.shape)

    def smoothed(self, frames: int) -> "PosedBody":
        """A centred moving average over ``frames`` frames (edges repeated), so an estimate's per-frame jitter does
        not break one contact into flickering pieces. Rotations are averaged too: over a few frames of a smooth
        motion the mean stays a rotation to well under a millimetre on the trunk offsets."""
        if frames <= 1 or len(self.joints) < 2:
            return self
        return PosedBody(_moving_average(self.joints, frames), _moving_average(self.rotations, frames), self.shape)


def _moving_average(x: np.ndarray, frames: int) -> np.ndarray:
    half = frames // 2
    padded = np.concatenate([np.repeat(x[:1], half, 0), x, np.repeat(x[-1:], half, 0)])
    csum = np.cumsum(padded, axis=0)
    csum = np.concatenate([np.zeros_like(csum[:1]), csum])
    return (csum[2 * half + 1:] - csum[:-2 * half - 1]) / (2 * half + 1)


def surface_distances(a: PosedBody, b: PosedBody) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Surface distance between every capsule of A and every capsule of B per frame ``(T, C, C)`` (negative =
    overlap), with the closest points on A's and B's capsule axes ``(T, C, C, 3)``."""
    pa, qa = a.segments()
    pb, qb = b.segments()
    dist, ca, cb = segment_closest(pa[:, :, None], qa[:, :, None], pb[:, None], qb[:, None])
    return dist - a.shape.radii[:, None] - b.shape.radii[None, :], ca, cb

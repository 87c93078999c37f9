"""Analytic two-bone IK for the arm chain (shoulder → elbow → wrist), vectorised over frames.

Why analytic: the generator must place hands exactly on targets (a handshake's palms, a partner's back) in
thousands of clips; the law of cosines gives the elbow angle in closed form and a pole vector fixes the one
remaining degree of freedom (where the elbow points), so there is no optimiser to converge or to jitter.

The elbow is a hinge about the rest pose's bend axis: in the SMPL-X T-pose the arms point along ±X with palms
down and the elbow flexes about the vertical axis, so the forearm folds forward (+Z). The shoulder rotation is the
unique rotation taking the rest frame (upper-arm direction, forward-fold direction) to the solved frame, which makes
the hinge plane contain the target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import normalize, rot_axis_angle

REST_FOLD = np.array([0.0, 0.0, 1.0])  # where the forearm goes when the elbow bends in the T-pose rest


@dataclass
class ArmChain:
    """Rest geometry of one arm: the unit upper-arm direction and the two bone lengths."""

    upper_dir: np.ndarray  # (3,) shoulder → elbow in the rest pose
    upper_len: float
    fore_len: float

    @classmethod
    def from_rest(cls, shoulder: np.ndarray, elbow: np.ndarray, wrist: np.ndarray) -> "ArmChain":
        upper = elbow - shoulder
        return cls(normalize(upper), float(np.linalg.norm(upper)), float(np.linalg.norm(wrist - elbow)))

    @property
    def reach(self) -> float:
        return self.upper_len + self.fore_len


def _rest_frame(chain: ArmChain) -> np.ndarray:
    u0 = chain.upper_dir
    f0 = normalize(REST_FOLD - np.dot(REST_FOLD, u0) * u0)
    return np.stack([u0, f0, np.cross(u0, f0)], -1)  # columns


def solve_arm(chain: ArmChain, shoulder: np.ndarray, parent_rot: np.ndarray, target: np.ndarray,
              pole: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local rotations of shoulder and elbow that put the wrist on ``target``.

    ``shoulder (T,3)`` world position, ``parent_rot (T,3,3)`` world rotation of the shoulder's parent (collar),
    ``target (T,3)`` wanted wrist position, ``pole (T,3)`` the direction the elbow should point to. Targets out of
    reach are pulled onto the reachable shell (the arm straightens towards them). Returns
    ``(shoulder_local (T,3,3), elbow_local (T,3,3), elbow_world_pos (T,3))``.
    """
    l1, l2 = chain.upper_len, chain.fore_len
    to_target = target - shoulder
    dist = np.linalg.norm(to_target, axis=-1)
    d = normalize(to_target)
    dist = np.clip(dist, abs(l1 - l2) + 1e-4, (l1 + l2) * 0.9999)
    # angle at the shoulder between the shoulder→wrist line and the upper arm (law of cosines)
    cos_a = np.clip((l1 * l1 + dist * dist - l2 * l2) / (2 * l1 * dist), -1.0, 1.0)
    sin_a = np.sqrt(1.0 - cos_a * cos_a)
    p = pole - np.sum(pole * d, -1, keepdims=True) * d
    degenerate = np.linalg.norm(p, axis=-1) < 1e-6
    if np.any(degenerate):  # pole parallel to the reach direction: any perpendicular will do
        alt = np.cross(d[degenerate], np.array([0.0, 1.0, 0.0]))
        p[degenerate] = alt
    p = normalize(p)
    u = cos_a[:, None] * d + sin_a[:, None] * p  # solved upper-arm direction
    fold = sin_a[:, None] * d - cos_a[:, None] * p  # perpendicular to u, towards the hand side
    elbow = shoulder + l1 * u

    rest = _rest_frame(chain)
    solved = np.stack([u, fold, np.cross(u, fold)], -1)
    shoulder_world = solved @ rest.T
    shoulder_local = np.swapaxes(parent_rot, -1, -2) @ shoulder_world

    # elbow: hinge about the rest bend axis by the angle between upper arm and forearm
    wrist = shoulder + dist[:, None] * d
    fore = normalize(wrist - elbow)
    fore_local = np.einsum("tji,tj->ti", shoulder_world, fore)
    u0, f0, n0 = rest[:, 0], rest[:, 1], rest[:, 2]
    beta = np.arctan2(fore_local @ f0, fore_local @ u0)
    elbow_local = rot_axis_angle(np.broadcast_to(n0, fore_local.shape), beta)
    return shoulder_local, elbow_local, elbow

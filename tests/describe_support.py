"""Shared helpers for the description tests: generated clips (memoised: several tests read the same ones) and a
left/right mirror of a reconstruction."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np

from inference.motion import PersonMotion, Reconstruction
from inference.skeleton import LEFT_RIGHT_PAIRS


@lru_cache(maxsize=None)
def clip(kind: str, seed: int):
    from inference.generator.clip import generate_clip

    return generate_clip(kind, seed)


def _mirror_rotations(aa: np.ndarray) -> np.ndarray:
    """Axis-angle reflected through the YZ plane (x → −x): the axis's y and z components flip sign."""
    out = np.array(aa, np.float32, copy=True)
    out[..., 1:] *= -1
    return out


def mirror_person(p: PersonMotion) -> PersonMotion:
    """The same motion reflected through the world YZ plane, left and right body joints exchanged.

    Exact for a left/right-symmetric skeleton: the local rotation of a mirrored joint is the reflection of its
    partner's (``M R M``), and the root's translation mirrors with x negated."""
    pose = _mirror_rotations(p.pose_axis_angle())
    swapped = pose.copy()
    for left, right in LEFT_RIGHT_PAIRS:
        swapped[:, left], swapped[:, right] = pose[:, right], pose[:, left]
    transl = p.transl.copy()
    transl[:, 0] *= -1
    return replace(p, global_orient=swapped[:, 0], body_pose=swapped[:, 1:], transl=transl,
                   left_hand_pose=None, right_hand_pose=None, keypoints_2d=None)


def mirror(recon: Reconstruction) -> Reconstruction:
    return replace(recon, people=tuple(mirror_person(p) for p in recon.people), camera=None)

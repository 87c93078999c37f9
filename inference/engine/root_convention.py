"""One convention for the pelvis's own axes, whatever rig or estimator the motion came from.

Rigs disagree on how the pelvis frame sits in the body: a CMU BVH import had the root pitched 20–25° forward on
every frame while the spine and legs undid it, and a network trained on upright pelvises then read a body
"leaning" that was not there (its guess ran ahead of the truth by up to a metre). Such a rig differs from ours by
a constant rotation ``Q`` of the pelvis frame: root ``R → R Q`` and the pelvis's children (hips, lower spine)
``L → Qᵀ L``, which leaves every bone below and above the pelvis where it was (:func:`reparametrise`).

The lower spine's global rotation ``R L`` does not change under that, so the mean of ``Lᵀ`` over a person's
trusted frames (:func:`pelvis_tilt`) turns into ``C Q`` and re-expressing the motion with ``Cᵀ`` removes any such
``Q`` exactly: the networks always see the lower spine's mean frame as the pelvis frame, and the result is put
back into the input's own convention afterwards. Training windows go through the same step.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..skeleton import BODY_PARENTS, JOINT_INDEX

PELVIS_CHILDREN = [int(j) for j in (BODY_PARENTS == 0).nonzero()[0]]
SPINE = JOINT_INDEX["spine1"]


def reparametrise(rotmats: Tensor, tilt: Tensor) -> Tensor:
    """Rotations ``(..., 22, 3, 3)`` with the pelvis frame turned by ``tilt`` ``(..., 3, 3)`` (broadcast over
    the leading axes): root ``R tilt``, pelvis children ``tiltᵀ L``. Posed bones below the pelvis keep their
    global orientation."""
    out = rotmats.clone()
    out[..., 0, :, :] = rotmats[..., 0, :, :] @ tilt
    out[..., PELVIS_CHILDREN, :, :] = tilt.transpose(-1, -2).unsqueeze(-3) @ rotmats[..., PELVIS_CHILDREN, :, :]
    return out


def pelvis_tilt(rotmats: Tensor, weights: Tensor) -> Tensor:
    """Per window and person the rotation ``C`` ``(B, 2, 3, 3)`` (chordal mean of the lower spine's local rotation,
    transposed) over frames weighted by ``weights`` ``(B, T, 2)`` (all frames where a person has no weight), for
    rotations ``(B, T, 2, 22, 3, 3)``."""
    weights = weights.to(rotmats.dtype)
    weights = torch.where(weights.sum(1, keepdim=True) > 0, weights, torch.ones_like(weights))
    summed = (rotmats[:, :, :, SPINE].transpose(-1, -2) * weights[..., None, None]).sum(1)
    u, _, vt = torch.linalg.svd(summed)
    sign = torch.sign(torch.linalg.det(u @ vt))
    fix = torch.ones(*sign.shape, 3, dtype=rotmats.dtype, device=rotmats.device)
    fix[..., 2] = sign
    return (u * fix[..., None, :]) @ vt


def canonical(rotmats: Tensor, weights: Tensor) -> tuple[Tensor, Tensor]:
    """Rotations ``(B, T, 2, 22, 3, 3)`` in the canonical pelvis convention, and the tilt ``C`` ``(B, 2, 3, 3)``
    that :func:`reparametrise` takes to put results back into the input's convention."""
    tilt = pelvis_tilt(rotmats, weights)
    return reparametrise(rotmats, tilt.transpose(-1, -2)[:, None]), tilt

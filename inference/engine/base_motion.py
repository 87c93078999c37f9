"""The motion both networks start from, so that they learn only a correction to it.

For the infiller the base is plain interpolation across the untrusted frames (per person, linear in the pair
frame's 6D rotations and pelvis positions, holding the nearest trusted frame at the ends of the window); for
the refiner it is its input. The networks generate the *residual* to this base. An untrained network (residual
0) therefore already gives the interpolation baseline, and training time goes into what interpolation cannot
know: the text, the partner, the geometry. On a 2-core CPU, where a model sees only a few thousand batches,
that is the difference between beating interpolation and not.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def interpolation_base(features: Tensor, trusted: np.ndarray) -> Tensor:
    """Features ``(B, T, 2, F)`` with every untrusted entry (``trusted`` ``(B, T, 2)`` bool) replaced by the
    interpolation between its nearest trusted frames. A person with no trusted frame keeps its values."""
    out = features.clone()
    frames = np.arange(features.shape[1])
    for b in range(features.shape[0]):
        for p in range(features.shape[2]):
            idx = np.flatnonzero(trusted[b, :, p])
            if idx.size == 0 or idx.size == frames.size:
                continue
            pos = np.searchsorted(idx, frames)
            nxt = idx[np.clip(pos, 0, idx.size - 1)]
            prv = idx[np.clip(pos - 1, 0, idx.size - 1)]
            prv = np.where(pos == 0, nxt, prv)
            span = nxt - prv
            w = torch.as_tensor(np.where(span > 0, (frames - prv) / np.maximum(span, 1), 0.0),
                                dtype=features.dtype)[:, None]
            out[b, :, p] = (1 - w) * features[b, prv, p] + w * features[b, nxt, p]
    return out


def base_motion(role: str, observed: Tensor, trusted: np.ndarray) -> Tensor:
    """The base for ``role``: interpolation for the infiller, the input itself for the refiner."""
    return interpolation_base(observed, trusted) if role == "infiller" else observed

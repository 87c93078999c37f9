"""Rest skeletons of the people in a reconstruction, from whichever body model is in use.

The networks and the guidance pose joints with ``forward_kinematics`` on each person's own rest joints, so
bone lengths (hence contact and interpenetration) follow the actual body shape. Cached per shape vector because
the same two people are asked for at every sampling step.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from ..body import BodyModel, load_body_model
from ..motion import Reconstruction

_CACHE: dict[tuple[int, bytes], np.ndarray] = {}


def rest_joints(betas: np.ndarray, body: Optional[BodyModel] = None) -> np.ndarray:
    """``(22, 3)`` float32 rest joints of one shape vector."""
    body = body or load_body_model(device="cpu")
    key = (id(body), np.asarray(betas, np.float32).tobytes())
    if key not in _CACHE:
        with torch.no_grad():
            _, joints = body.rest(body.fit_betas(torch.as_tensor(betas, dtype=torch.float32)))
        _CACHE[key] = joints.detach().cpu().numpy().astype(np.float32)
    return _CACHE[key]


def pair_rest_joints(recon: Reconstruction, body: Optional[BodyModel] = None) -> np.ndarray:
    """``(2, 22, 3)`` rest joints of persons A and B."""
    return np.stack([rest_joints(p.betas, body) for p in recon.people])

"""Clothed-looking bodies for synthetic footage: per-vertex colours for shirt, trousers, shoes, skin and hair.

A detector trained on real people sees untextured grey bodies as mannequins at best; shirts, trousers, skin and
hair with some fabric texture give it the part boundaries and contrast it relies on. Regions come from which of
the 22 skeleton joints dominates each vertex's skinning weights, so they follow any body shape. The palettes
avoid the overlay's saturated orange and blue (``inference/render/style.py``), so a person's own colour never
looks like a drawn reconstruction.
"""

from __future__ import annotations

import numpy as np
import torch

from ..body.base import BodyModel
from ..skeleton import JOINT_INDEX

SHIRTS = ((0.86, 0.86, 0.82), (0.66, 0.12, 0.16), (0.20, 0.48, 0.26), (0.42, 0.20, 0.48), (0.84, 0.78, 0.30),
          (0.14, 0.14, 0.15), (0.78, 0.44, 0.58))
TROUSERS = ((0.11, 0.11, 0.12), (0.34, 0.32, 0.30), (0.58, 0.53, 0.41), (0.25, 0.30, 0.20))
SHOES = ((0.08, 0.07, 0.07), (0.45, 0.45, 0.47), (0.85, 0.85, 0.85))
SKIN = ((0.87, 0.72, 0.62), (0.76, 0.57, 0.45), (0.55, 0.38, 0.28), (0.36, 0.25, 0.18))
HAIR = ((0.10, 0.08, 0.07), (0.30, 0.20, 0.12), (0.70, 0.58, 0.35))

_SHIRT_JOINTS = ("spine1", "spine2", "spine3", "left_collar", "right_collar", "left_shoulder", "right_shoulder")
_TROUSER_JOINTS = ("pelvis", "left_hip", "right_hip", "left_knee", "right_knee")
_SHOE_JOINTS = ("left_ankle", "right_ankle", "left_foot", "right_foot")


def clothing_colors(body: BodyModel, betas: np.ndarray, seed: int) -> np.ndarray:
    """``(V, 3)`` RGB in [0, 1] for one person of shape ``betas``: a random outfit (deterministic per seed)."""
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 11])
    with torch.no_grad():
        rest_v, rest_j = (x.double().cpu().numpy() for x in body.rest(torch.as_tensor(betas, dtype=torch.float32)))
    dominant = np.argmax(np.asarray(body.skin_weights), axis=1)
    names = np.array(body.joint_names)[dominant]
    colors = np.tile(np.array(SKIN[rng.integers(len(SKIN))]), (len(rest_v), 1))
    shirt, trousers = np.array(SHIRTS[rng.integers(len(SHIRTS))]), np.array(TROUSERS[rng.integers(len(TROUSERS))])
    height = rest_v[:, 1]
    # shirts: plain, horizontal stripes or a check, woven-looking either way
    pattern = rng.integers(3)
    stripes = 0.5 + 0.5 * np.sign(np.sin(height * 2 * np.pi / rng.uniform(0.05, 0.09)))
    across = 0.5 + 0.5 * np.sign(np.sin(rest_v[:, 0] * 2 * np.pi / 0.08))
    shade = {0: np.ones_like(height), 1: 1.0 - 0.35 * stripes, 2: 1.0 - 0.2 * (stripes + across)}[int(pattern)]
    in_shirt = np.isin(names, _SHIRT_JOINTS)
    colors[in_shirt] = shirt * shade[in_shirt, None]
    colors[np.isin(names, _TROUSER_JOINTS)] = trousers
    colors[np.isin(names, _SHOE_JOINTS)] = np.array(SHOES[rng.integers(len(SHOES))])
    head = rest_j[JOINT_INDEX["head"]]
    # hair: the top and back of the head
    back = (rest_v[:, 2] < head[2] - 0.03) & (height > head[1] - 0.06)
    hair = (names == "head") & ((height > head[1] + 0.04) | back)
    colors[hair] = np.array(HAIR[rng.integers(len(HAIR))])
    colors *= 1.0 + rng.normal(0.0, 0.05, (len(colors), 1))  # fabric and skin mottling
    return np.clip(colors, 0.0, 1.0)

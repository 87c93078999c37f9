"""A textured ground plane, so synthetic footage has the perspective cues (and texture) of a real floor."""

from __future__ import annotations

import numpy as np
import pyrender


def floor_texture(size: int = 512, tiles: int = 8, seed: int = 0) -> np.ndarray:
    """Stone-like tiles with grout lines and mottling, RGB uint8 ``(size, size, 3)``; deterministic."""
    rng = np.random.default_rng(seed)
    cell = size // tiles
    shade = rng.uniform(0.82, 1.0, (tiles, tiles))
    img = np.repeat(np.repeat(shade, cell, 0), cell, 1)
    low = rng.normal(0.0, 1.0, (size // 16, size // 16))
    img *= 1.0 + 0.06 * np.kron(low, np.ones((16, 16)))
    img *= 1.0 + 0.04 * rng.normal(0.0, 1.0, (size, size))
    grout = (np.arange(size) % cell) < max(2, cell // 24)
    img[grout, :] *= 0.55
    img[:, grout] *= 0.55
    base = np.array([176.0, 168.0, 152.0])  # warm grey
    return np.clip(img[..., None] * base, 0, 255).astype(np.uint8)


def ground_plane(half_size: float = 15.0, tile_m: float = 0.6, tiles_in_texture: int = 8,
                 centre: tuple[float, float] = (0.0, 0.0), seed: int = 0) -> pyrender.Mesh:
    """A square at y = 0 (facing +Y) of ``2 * half_size`` metres, tiles of ``tile_m`` metres."""
    cx, cz = centre
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64) * half_size
    positions = np.stack([corners[:, 0] + cx, np.full(4, -0.002), corners[:, 1] + cz], 1).astype(np.float32)
    uv = (corners / (tile_m * tiles_in_texture)).astype(np.float32)
    texture = pyrender.Texture(source=floor_texture(seed=seed), source_channels="RGB")
    material = pyrender.MetallicRoughnessMaterial(baseColorTexture=texture, metallicFactor=0.0, roughnessFactor=0.9,
                                                  doubleSided=True)
    primitive = pyrender.Primitive(positions=positions, normals=np.tile([0.0, 1.0, 0.0], (4, 1)).astype(np.float32),
                                   texcoord_0=uv, indices=np.array([[0, 2, 1], [0, 3, 2]], np.uint32),
                                   material=material)
    return pyrender.Mesh([primitive])

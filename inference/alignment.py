"""Similarity alignment of joint sets, shared by every evaluation (engine, front end) so PA-MPJPE means one thing."""

from __future__ import annotations

import numpy as np


def procrustes_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Each ``(J, 3)`` set in ``pred (N, J, 3)`` moved onto ``gt`` by its best similarity transform (scale,
    rotation, translation; Umeyama 1991)."""
    mp, mg = pred.mean(1, keepdims=True), gt.mean(1, keepdims=True)
    x, y = pred - mp, gt - mg
    cov = np.einsum("nji,njk->nik", y, x)
    u, s, vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(u @ vt))
    fix = np.ones_like(s)
    fix[:, -1] = d
    rot = u @ (fix[:, :, None] * vt)
    scale = (s * fix).sum(1) / (x ** 2).sum((1, 2)).clip(1e-12)
    return scale[:, None, None] * np.einsum("nik,njk->nji", rot, x) + mg

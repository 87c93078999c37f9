"""Smooth per-vertex normals of a triangle mesh, shared by the offscreen (pyrender) and on-screen GL renderers."""

from __future__ import annotations

import numpy as np
import scipy.sparse


class VertexNormals:
    """Area-weighted vertex normals with one sparse product per frame (the face→vertex incidence is fixed)."""

    def __init__(self, faces: np.ndarray, num_vertices: int) -> None:
        self.faces = faces
        rows = faces.reshape(-1)
        cols = np.repeat(np.arange(len(faces)), 3)
        self.incidence = scipy.sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                                                 shape=(num_vertices, len(faces)))

    def __call__(self, vertices: np.ndarray) -> np.ndarray:
        """``(V, 3)`` positions → ``(V, 3)`` unit normals; ``(B, V, 3)`` → ``(B, V, 3)`` (one sparse product)."""
        batch = np.asarray(vertices)[None] if np.ndim(vertices) == 2 else np.asarray(vertices)
        v = batch[:, self.faces]  # (B, F, 3 corners, 3)
        face_n = np.cross(v[:, :, 1] - v[:, :, 0], v[:, :, 2] - v[:, :, 0])  # (B, F, 3)
        b, f = face_n.shape[:2]
        n = (self.incidence @ face_n.transpose(1, 0, 2).reshape(f, b * 3)).reshape(-1, b, 3).transpose(1, 0, 2)
        n = (n / np.maximum(np.linalg.norm(n, axis=2, keepdims=True), 1e-12)).astype(np.float32)
        return n[0] if np.ndim(vertices) == 2 else n

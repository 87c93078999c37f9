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
        v = vertices[self.faces]
        face_n = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
        n = self.incidence @ face_n
        return (n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)).astype(np.float32)

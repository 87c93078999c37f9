"""A coarse stand-in for the body mesh while playing: ~2k of its vertices and a triangulation over them.

Rasterising and uploading a 9k-vertex body twice a frame is what the CPU path cannot afford at 30 fps; a proxy of
a fifth the size looks the same at playback speed. It is made by vertex clustering on the rest mesh (a uniform
grid sized to give about ``target`` occupied cells; each cell keeps the vertex nearest its centroid; faces whose
corners fall into three different cells survive, duplicates dropped). Because each proxy vertex *is* a body
vertex, posing the proxy is just indexing the posed body (``posed[:, vertex_ids]``): no skinning of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class ProxyMesh:
    vertex_ids: np.ndarray  # (P,) index of the body vertex each proxy vertex follows
    faces: np.ndarray  # (F', 3) uint32 into the proxy's vertices


def _cluster(vertices: np.ndarray, cell: float) -> np.ndarray:
    ijk = np.floor((vertices - vertices.min(0)) / cell).astype(np.int64)
    return np.unique(ijk[:, 0] * 1_000_003 + ijk[:, 1] * 1_009 + ijk[:, 2], return_inverse=True)[1].reshape(-1)


def proxy_mesh(rest_vertices: np.ndarray, faces: np.ndarray, target: int = 2000) -> ProxyMesh:
    """Cluster ``rest_vertices (V, 3)`` / ``faces (F, 3)`` down to about ``target`` vertices."""
    v = np.asarray(rest_vertices, np.float64)
    faces = np.asarray(faces, np.int64)
    if target >= len(v):
        return ProxyMesh(np.arange(len(v)), faces.astype(np.uint32))
    lo, hi = 1e-4, float(np.ptp(v, 0).max())
    for _ in range(30):  # bisection on the cell size: fewer cells as it grows
        mid = (lo * hi) ** 0.5
        if _cluster(v, mid).max() + 1 > target:
            lo = mid
        else:
            hi = mid
    labels = _cluster(v, hi)
    count = labels.max() + 1
    centroid = np.zeros((count, 3))
    np.add.at(centroid, labels, v)
    centroid /= np.bincount(labels, minlength=count)[:, None]
    distance = np.linalg.norm(v - centroid[labels], axis=1)
    order = np.lexsort((distance, labels))
    first = order[np.r_[True, labels[order][1:] != labels[order][:-1]]]  # nearest vertex of each cluster
    f = labels[faces]
    f = f[(f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])]
    _, keep = np.unique(np.sort(f, 1), axis=0, return_index=True)
    return ProxyMesh(first, f[np.sort(keep)].astype(np.uint32))

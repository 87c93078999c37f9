"""glTF 2.0 (``.gltf`` with an embedded buffer, or binary ``.glb``): skinned, animated, one or both people.

Per person: a node ``P`` (the armature) holding a tree of the 22 joints (rest translations, identity rest
rotations: the T-pose), a skinned mesh ``P_body`` at the scene root (when the export has one) whose inverse
bind matrices are the inverse rest joint translations. One animation ``"motion"`` holds every person's channels
so players run both people together. Keys are baked at the source frame rate, first frame at t = 0, with LINEAR
interpolation (slerp for rotations; quaternion signs are kept continuous so no player takes the long way round).
glTF is +Y up and in metres by specification.

Vertices carry the four largest skin weights (renormalised): what engines read from ``JOINTS_0``/``WEIGHTS_0``.
On the free body 3.6 % of vertices have more; dropping them moves 0.5 % of vertices by over 1 mm, at most
~8 mm (measured in ``tests/test_export_api.py``).
"""

from __future__ import annotations

import base64
import json
import struct
from typing import Any, Optional

import numpy as np
from scipy.spatial.transform import Rotation

from .tracks import PersonTrack

_FLOAT, _USHORT, _UINT = 5126, 5123, 5125
_TYPES = {1: "SCALAR", 3: "VEC3", 4: "VEC4", 16: "MAT4"}
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963
_MAX_INFLUENCES = 4


class _Buffer:
    """Accumulates binary data and the bufferViews/accessors describing it (each view 4-byte aligned)."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.views: list[dict[str, Any]] = []
        self.accessors: list[dict[str, Any]] = []

    def add(self, array: np.ndarray, component: int, target: Optional[int] = None, minmax: bool = False) -> int:
        dtype = {_FLOAT: np.float32, _USHORT: np.uint16, _UINT: np.uint32}[component]
        arr = np.ascontiguousarray(array, dtype=dtype)
        width = 1 if arr.ndim == 1 else int(np.prod(arr.shape[1:]))
        flat = arr.reshape(len(arr), width)
        view: dict[str, Any] = {"buffer": 0, "byteOffset": len(self.data), "byteLength": flat.nbytes}
        if target is not None:
            view["target"] = target
        self.data += flat.tobytes()
        self.data += b"\0" * (-len(self.data) % 4)
        self.views.append(view)
        accessor: dict[str, Any] = {"bufferView": len(self.views) - 1, "componentType": component,
                                    "count": len(flat), "type": _TYPES[width]}
        if minmax:
            accessor["min"] = flat.min(0).astype(float).tolist()
            accessor["max"] = flat.max(0).astype(float).tolist()
        self.accessors.append(accessor)
        return len(self.accessors) - 1


def gltf_bytes(tracks: list[PersonTrack], binary: bool = True) -> bytes:
    buf = _Buffer()
    nodes: list[dict[str, Any]] = []
    meshes: list[dict[str, Any]] = []
    skins: list[dict[str, Any]] = []
    channels: list[dict[str, Any]] = []
    samplers: list[dict[str, Any]] = []
    scene_roots: list[int] = []
    for track in tracks:
        first = len(nodes)
        offsets = track.rest_offsets
        for j, name in enumerate(track.joint_names):
            nodes.append({"name": name, "translation": offsets[j].tolist()})
        for j, p in enumerate(track.parents):
            if p >= 0:
                nodes[first + int(p)].setdefault("children", []).append(first + j)
        nodes.append({"name": track.person, "children": [first]})
        scene_roots.append(len(nodes) - 1)
        if track.mesh is not None:  # a skinned mesh node sits at the scene root (its own transform is unused)
            skins.append(_skin(buf, track, first))
            meshes.append(_mesh(buf, track))
            nodes.append({"name": f"{track.person}_body", "mesh": len(meshes) - 1, "skin": len(skins) - 1})
            scene_roots.append(len(nodes) - 1)
        _animate(buf, track, first, channels, samplers)
    doc: dict[str, Any] = {
        "asset": {"version": "2.0", "generator": "SM Studio"},
        "scene": 0, "scenes": [{"nodes": scene_roots}], "nodes": nodes,
        "animations": [{"name": "motion", "channels": channels, "samplers": samplers}],
        "accessors": buf.accessors, "bufferViews": buf.views,
        "buffers": [{"byteLength": len(buf.data)}],
    }
    if meshes:
        doc["meshes"], doc["skins"] = meshes, skins
    if not binary:
        doc["buffers"][0]["uri"] = "data:application/octet-stream;base64," + base64.b64encode(buf.data).decode()
        return json.dumps(doc, indent=1).encode()
    text = json.dumps(doc, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    body = bytes(buf.data)
    total = 12 + 8 + len(text) + 8 + len(body)
    return b"".join([struct.pack("<4sII", b"glTF", 2, total), struct.pack("<I4s", len(text), b"JSON"), text,
                     struct.pack("<I4s", len(body), b"BIN\0"), body])


def _skin(buf: _Buffer, track: PersonTrack, first: int) -> dict[str, Any]:
    inverse_bind = np.tile(np.eye(4), (len(track.joint_names), 1, 1))
    inverse_bind[:, :3, 3] = -track.rest_joints
    # glTF matrices are column-major: transpose before flattening row-major numpy
    ibm = buf.add(inverse_bind.transpose(0, 2, 1).reshape(-1, 16), _FLOAT)
    return {"name": f"{track.person}_skin", "inverseBindMatrices": ibm, "skeleton": first,
            "joints": list(range(first, first + len(track.joint_names)))}


def _mesh(buf: _Buffer, track: PersonTrack) -> dict[str, Any]:
    mesh = track.mesh
    assert mesh is not None
    top = np.argsort(-mesh.weights, axis=1)[:, :_MAX_INFLUENCES]
    weights = np.take_along_axis(mesh.weights, top, 1)
    weights /= weights.sum(1, keepdims=True)
    attributes = {
        "POSITION": buf.add(mesh.vertices, _FLOAT, _ARRAY_BUFFER, minmax=True),
        "JOINTS_0": buf.add(np.where(weights > 0, top, 0), _USHORT, _ARRAY_BUFFER),
        "WEIGHTS_0": buf.add(weights, _FLOAT, _ARRAY_BUFFER),
    }
    indices = buf.add(mesh.faces.reshape(-1), _UINT, _ELEMENT_ARRAY_BUFFER)
    return {"name": f"{track.person}_body", "primitives": [{"attributes": attributes, "indices": indices}]}


def _animate(buf: _Buffer, track: PersonTrack, first: int, channels: list, samplers: list) -> None:
    times = buf.add(np.arange(track.num_frames) / track.fps, _FLOAT, minmax=True)
    quats = Rotation.from_matrix(track.local_rotations.reshape(-1, 3, 3)).as_quat()  # (x, y, z, w)
    quats = continuous_quaternions(quats.reshape(track.num_frames, -1, 4))
    for j in range(len(track.joint_names)):
        samplers.append({"input": times, "output": buf.add(quats[:, j], _FLOAT), "interpolation": "LINEAR"})
        channels.append({"sampler": len(samplers) - 1, "target": {"node": first + j, "path": "rotation"}})
    samplers.append({"input": times, "output": buf.add(track.root_positions, _FLOAT), "interpolation": "LINEAR"})
    channels.append({"sampler": len(samplers) - 1, "target": {"node": first, "path": "translation"}})


def continuous_quaternions(quats: np.ndarray) -> np.ndarray:
    """Flip signs along the first (time) axis so consecutive quaternions have a non-negative dot product."""
    out = quats.copy()
    for t in range(1, len(out)):
        flip = (out[t] * out[t - 1]).sum(-1) < 0
        out[t][flip] *= -1
    return out

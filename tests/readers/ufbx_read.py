"""Read an FBX file with ufbx and print what the tests check, as one line of JSON.

Run in a subprocess: ufbx's Python bindings (0.0.5) crash on reference counting, so every element touched is
kept alive in ``_KEEP`` and the process ends with ``os._exit(0)`` instead of a normal interpreter shutdown.

usage: ufbx_read.py FILE.fbx TIME_S [TIME_S ...]
Prints: scene settings, nodes (name, parent, bone?), animation stacks, each node's world position at each
time (after ufbx evaluates the animation), and per skinned mesh its clusters, weight sums and the vertices as
ufbx itself skins them at each time.
"""

from __future__ import annotations

import json
import os
import sys

import ufbx

_KEEP: list = []


def keep(x):
    _KEEP.append(x)
    return x


def vec(v) -> list[float]:
    return [float(v.x), float(v.y), float(v.z)]


def main() -> None:
    path, times = sys.argv[1], [float(t) for t in sys.argv[2:]]
    scene = keep(ufbx.load_file(path))
    settings = keep(scene.settings)
    axes = keep(settings.axes)
    nodes = keep(list(scene.nodes))
    out: dict = {
        "fps": float(settings.frames_per_second),
        "time_mode": int(settings.time_mode),
        "unit_meters": float(settings.unit_meters),
        "axes": {"right": axes.right.name, "up": axes.up.name, "front": axes.front.name},
        "nodes": [],
        "stacks": [],
        "world": {},
        "meshes": [],
    }
    for node in nodes:
        parent = keep(node.parent)
        out["nodes"].append({"name": node.name, "parent": parent.name if parent is not None else None,
                             "bone": keep(node.bone) is not None})
    stacks = keep(list(scene.anim_stacks))
    for stack in stacks:
        out["stacks"].append({"name": stack.name, "begin": float(stack.time_begin), "end": float(stack.time_end)})
    anim = keep(stacks[0].anim)
    for t in times:
        evaluated = keep(ufbx.evaluate_scene(scene, anim, t, evaluate_skinning=True))
        ev_nodes = keep(list(evaluated.nodes))
        out["world"][repr(t)] = {n.name: vec(keep(keep(n.node_to_world).c3)) for n in ev_nodes if n.name}
        if not out["meshes"]:
            out["meshes"] = [_mesh_info(m) for m in keep(list(scene.meshes))]
        for info, mesh in zip(out["meshes"], keep(list(evaluated.meshes))):
            info["skinned"][repr(t)] = _skinned(mesh)
    print(json.dumps(out))
    sys.stdout.flush()
    os._exit(0)


def _mesh_info(mesh) -> dict:
    instances = keep(list(mesh.instances))
    skins = keep(list(mesh.skin_deformers))
    info = {"name": instances[0].name if instances else "", "num_vertices": int(mesh.num_vertices),
            "num_faces": int(mesh.num_faces), "clusters": [], "weight_sums": [], "skinned": {}}
    if skins:
        clusters = keep(list(skins[0].clusters))
        sums = [0.0] * int(mesh.num_vertices)
        for cluster in clusters:
            info["clusters"].append(keep(cluster.bone_node).name)
            for v, w in zip(keep(list(cluster.vertices)), keep(list(cluster.weights))):
                sums[int(v)] += float(w)
        info["weight_sums"] = [min(sums), max(sums)]
    return info


def _skinned(mesh) -> list[list[float]]:
    """Vertices as ufbx's own evaluator skins them (``evaluate_skinning``), in world space."""
    skinned = keep(mesh.skinned_position)
    values = keep(list(skinned.values))
    indices = keep(list(skinned.indices))
    by_vertex = [None] * int(mesh.num_vertices)
    for corner, vertex in enumerate(keep(list(mesh.vertex_indices))):
        by_vertex[int(vertex)] = vec(values[int(indices[corner])])
    return by_vertex


if __name__ == "__main__":
    main()

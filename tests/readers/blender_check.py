"""Import an FBX or glTF/GLB file into Blender (``bpy``, in its own venv: ``.venv-blender``) and print, as one
line of JSON, what a user would see: scene frame rate and range, armatures with their bones and parents, the
world position of every bone's head at chosen frames, and each skinned mesh's evaluated vertices there.

usage: .venv-blender/bin/python blender_check.py FILE FPS FRAME [FRAME ...]
FBX is imported with ``anim_offset=0`` (the default puts the first key on frame 1). For glTF the scene rate is
set to FPS first, since Blender's glTF importer maps key times to frames with the scene rate. Blender converts
every file to its own convention (Z up, metres), so positions are compared in that frame.
"""

from __future__ import annotations

import json
import sys

import bpy


def main() -> None:
    path, fps, frames = sys.argv[1], float(sys.argv[2]), [int(f) for f in sys.argv[3:]]
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    if path.lower().endswith(".fbx"):
        bpy.ops.import_scene.fbx(filepath=path, anim_offset=0.0, ignore_leaf_bones=False,
                                 automatic_bone_orientation=False)
    else:
        scene.render.fps, scene.render.fps_base = round(fps), round(fps) / fps
        bpy.ops.import_scene.gltf(filepath=path)
    armatures = [o for o in scene.objects if o.type == "ARMATURE"]
    meshes = [o for o in scene.objects if o.type == "MESH"]
    actions = [a for a in bpy.data.actions]
    out = {
        "fps": scene.render.fps / scene.render.fps_base,
        "action_ranges": [list(a.frame_range) for a in actions],
        "armatures": {a.name: {"bones": {b.name: (b.parent.name if b.parent else None) for b in a.data.bones},
                               "heads": {}} for a in armatures},
        "meshes": {m.name: {"num_vertices": len(m.data.vertices), "evaluated": {}} for m in meshes},
    }
    for frame in frames:
        scene.frame_set(frame)
        depsgraph = bpy.context.evaluated_depsgraph_get()
        for arm in armatures:
            out["armatures"][arm.name]["heads"][str(frame)] = {
                pb.name: list(arm.matrix_world @ pb.head) for pb in arm.pose.bones}
        for mesh in meshes:
            evaluated = mesh.evaluated_get(depsgraph)
            data = evaluated.to_mesh()
            out["meshes"][mesh.name]["evaluated"][str(frame)] = [list(evaluated.matrix_world @ v.co)
                                                                 for v in data.vertices]
            evaluated.to_mesh_clear()
    print(json.dumps(out))


if __name__ == "__main__":
    main()

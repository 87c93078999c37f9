"""Overlay rendering speed: per-frame time with both people's meshes, and in-place buffer updates vs. rebuilding.

    PYOPENGL_PLATFORM=egl nice .venv/bin/python bench/bench_render.py [--frames 30]

Baseline measured in the same run: the usual pyrender recipe that builds a new ``pyrender.Mesh`` (from a
``trimesh.Trimesh``) for each person every frame. The renderer instead overwrites the existing vertex buffer.
Also reported: the person-id/depth pass (needed for occlusion-aware visibility) and a full composite over a frame.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pyrender  # noqa: E402
import trimesh  # noqa: E402

from inference.body import load_body_model  # noqa: E402
from inference.generator import generate_clip  # noqa: E402
from inference.render import OverlayRenderer  # noqa: E402
from inference.render.gl_camera import gl_camera_pose  # noqa: E402


def _median_ms(fn, frames: int, warmup: int = 3) -> float:
    for i in range(warmup):
        fn(i)
    times = []
    for i in range(frames):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def rebuild_baseline(width: int, height: int, faces: np.ndarray, verts: list[np.ndarray], cam) -> callable:
    """A new trimesh → pyrender mesh per person per frame (what most pyrender examples do)."""
    gl = pyrender.OffscreenRenderer(width, height)
    scene = pyrender.Scene(bg_color=(0, 0, 0, 0), ambient_light=(0.25, 0.25, 0.25))
    K = cam.K
    camera = pyrender.IntrinsicsCamera(K[0, 0], K[1, 1], K[0, 2], K[1, 2], znear=0.05, zfar=200.0)
    pose = gl_camera_pose(cam.R[0], cam.t[0])
    scene.add(camera, pose=pose)
    scene.add(pyrender.DirectionalLight(intensity=2.2), pose=pose)
    nodes: list = []
    material = pyrender.MetallicRoughnessMaterial(baseColorFactor=(0.9, 0.6, 0.4, 1.0), metallicFactor=0.0)

    def frame(i: int) -> None:
        for node in nodes:
            scene.remove_node(node)
        nodes.clear()
        for v in verts:
            mesh = pyrender.Mesh.from_trimesh(trimesh.Trimesh(v[i % len(v)], faces, process=False),
                                              material=material)
            nodes.append(scene.add(mesh))
        gl.render(scene, flags=pyrender.RenderFlags.RGBA)

    frame.close = gl.delete  # type: ignore[attr-defined]
    return frame


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=30)
    args = parser.parse_args()
    body = load_body_model(device="cpu")
    clip = generate_clip("hug", 0, width=1280, height=720, body=body)
    verts = [body.pose_motion(p).vertices.numpy() for p in clip.reconstruction.people]
    cam = clip.reconstruction.camera
    print(f"bodies: 2 × {body.num_vertices} vertices, {len(body.faces)} faces; {args.frames} frames each; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'size':>10} {'update':>9} {'rebuild':>9} {'ratio':>6} {'id+depth':>9} {'composite':>10}")
    for width, height in ((1280, 720), (640, 360)):
        scale = np.diag([width / 1280, height / 720, 1.0])
        K = scale @ cam.K
        with OverlayRenderer(width, height, body.faces) as renderer:
            def update(i: int) -> None:
                renderer.render(None, [v[i % len(v)] for v in verts], K, cam.R[0], cam.t[0])

            def ids(i: int) -> None:
                renderer.id_depth([v[i % len(v)] for v in verts], K, cam.R[0], cam.t[0])

            frame_rgb = np.full((height, width, 3), 90, np.uint8)

            def composite(i: int) -> None:
                renderer.render(frame_rgb, [v[i % len(v)] for v in verts], K, cam.R[0], cam.t[0])

            t_update = _median_ms(update, args.frames)
            t_ids = _median_ms(ids, args.frames)
            t_comp = _median_ms(composite, args.frames)
        scaled = type(cam)(K, cam.R, cam.t, width, height)
        rebuild = rebuild_baseline(width, height, body.faces, verts, scaled)
        t_rebuild = _median_ms(rebuild, args.frames)
        rebuild.close()
        print(f"{width}×{height:<5} {t_update:7.1f}ms {t_rebuild:7.1f}ms {t_rebuild / t_update:5.2f}× "
              f"{t_ids:7.1f}ms {t_comp:8.1f}ms")
    print("update = render() over the plain background with in-place vertex buffers; rebuild = new pyrender "
          "meshes per frame (baseline); ratio = rebuild / update; id+depth = occlusion pass; composite = render() "
          "over a video frame. Medians.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

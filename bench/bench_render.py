"""Overlay rendering speed: per-frame time with both people's meshes, and in-place buffer updates vs. rebuilding.

    PYOPENGL_PLATFORM=egl nice .venv/bin/python bench/bench_render.py [--frames 30]

Baseline measured in the same run and the same scene: the usual pyrender recipe that builds a new
``pyrender.Mesh`` (from a ``trimesh.Trimesh``) for each person every frame; the renderer instead overwrites the
existing vertex buffer.
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


def _median_ms(fn, frames: int, warmup: int = 3) -> float:
    for i in range(warmup):
        fn(i)
    times = []
    for i in range(frames):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def rebuild_baseline(renderer: OverlayRenderer, faces: np.ndarray) -> callable:
    """Same scene, lights and camera as ``renderer``, but a new trimesh → pyrender mesh per person per frame
    (what most pyrender examples do) instead of the in-place buffer update. Reaches into the renderer's scene on
    purpose, so that the mesh handling is the only difference."""
    people = renderer._people  # noqa: SLF001

    def frame(vertices: list[np.ndarray], K: np.ndarray, R: np.ndarray, t: np.ndarray) -> np.ndarray:
        renderer.render(None, [None] * len(people), K, R, t)  # camera + lights for this frame, no people
        for person, v in zip(people, vertices):
            renderer.scene.remove_node(person.node)
            person.mesh = pyrender.Mesh.from_trimesh(trimesh.Trimesh(v, faces, process=False),
                                                     material=person.material)
            person.node = renderer.scene.add(person.mesh)
        color, _ = renderer._gl.render(renderer.scene, flags=pyrender.RenderFlags.NONE)  # noqa: SLF001
        return color

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
        with OverlayRenderer(width, height, body.faces) as baseline:
            rebuild = rebuild_baseline(baseline, body.faces)
            t_rebuild = _median_ms(lambda i: rebuild([v[i % len(v)] for v in verts], K, cam.R[0], cam.t[0]),
                                   args.frames)
        print(f"{width}×{height:<5} {t_update:7.1f}ms {t_rebuild:7.1f}ms {t_rebuild / t_update:5.2f}× "
              f"{t_ids:7.1f}ms {t_comp:8.1f}ms")
    print("update = render() over the plain background with in-place vertex buffers; rebuild = new pyrender "
          "meshes per frame (baseline); ratio = rebuild / update; id+depth = occlusion pass; composite = render() "
          "over a video frame. Medians.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

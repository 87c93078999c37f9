"""Offscreen mesh overlay: both people's meshes seen through the video's camera, composited over the frame.

One ``OverlayRenderer`` owns one OpenGL context (EGL when headless: ``PYOPENGL_PLATFORM=egl``, which this module
sets when nothing else was chosen). **GL contexts are bound to the thread that created them: create, use and close
a renderer on one thread** — a Qt worker that renders ahead of the playhead makes its own renderer; never share one
between threads.

Speed: the meshes are built once; each frame only the vertex buffer is overwritten in place (``glBufferSubData``)
instead of building new pyrender meshes, which costs 15–55 ms per frame on this machine (see
``bench/bench_render.py``). The person-id/depth map needs a second, unlit pass, so it is only drawn when asked for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional, Sequence

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

import numpy as np  # noqa: E402
import pyrender  # noqa: E402
from OpenGL import GL  # noqa: E402

from .gl_camera import gl_camera_pose  # noqa: E402
from .gl_context import offscreen_renderer  # noqa: E402
from .normals import VertexNormals  # noqa: E402
from .scene import OverlayScene  # noqa: E402
from .style import DEFAULT_STYLES, PersonStyle  # noqa: E402

BACKGROUND_ID = -1
_SEG_COLORS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0))


class RenderError(RuntimeError):
    """The GL context could not be created or a render call got malformed input."""


@dataclass
class IdDepth:
    """Per-pixel person index (``BACKGROUND_ID`` where nobody is) and depth in metres (0 where nobody is)."""

    ids: np.ndarray  # (H, W) int8
    depth: np.ndarray  # (H, W) float32


class _PersonMesh:
    def __init__(self, faces: np.ndarray, num_vertices: int, style: PersonStyle,
                 vertex_colors: Optional[np.ndarray] = None) -> None:
        self.normals = VertexNormals(faces, num_vertices)
        self.material = pyrender.MetallicRoughnessMaterial(
            baseColorFactor=(*style.color, 1.0), metallicFactor=0.0, roughnessFactor=0.7, doubleSided=False)
        placeholder = np.zeros((num_vertices, 3), np.float32)
        # per-vertex RGBA (clothes, skin) multiplies the material colour; it rides in the same interleaved buffer
        self.colors = None if vertex_colors is None else np.column_stack(
            [np.asarray(vertex_colors, np.float32)[:, :3], np.ones(num_vertices, np.float32)])
        self.primitive = pyrender.Primitive(positions=placeholder, normals=placeholder, indices=faces,
                                            color_0=self.colors, material=self.material,
                                            mode=pyrender.constants.GLTF.TRIANGLES)
        self.mesh = pyrender.Mesh([self.primitive])
        self.node = pyrender.Node(mesh=self.mesh)

    def update(self, vertices: np.ndarray, style: PersonStyle) -> None:
        """New vertex positions (and style); written straight into the GL buffer when it already exists."""
        positions = np.ascontiguousarray(vertices, np.float32)
        normals = self.normals(positions)
        self.primitive.positions = positions
        self.primitive.normals = normals
        if self.primitive._in_context():  # noqa: SLF001 - pyrender has no public buffer-update API
            columns = [positions, normals] + ([self.colors] if self.colors is not None else [])
            data = np.ascontiguousarray(np.hstack(columns).reshape(-1))
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self.primitive._buffers[0])  # noqa: SLF001
            GL.glBufferSubData(GL.GL_ARRAY_BUFFER, 0, data.nbytes, data)
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)
        self.material.baseColorFactor = np.array([*style.color, 1.0], np.float32)
        self.material.wireframe = style.wireframe


class OverlayRenderer:
    """Draws up to four people's meshes (shared topology ``faces``) through an OpenCV camera.

    ``render`` returns the composited RGB frame; ``id_depth`` the occlusion map. Static scenery (a ground plane for
    synthetic footage) can be added with ``add_static``; it is drawn in colour passes but never gets a person id.
    ``num_vertices`` defaults to the highest index in ``faces`` + 1 (pass ``body.num_vertices`` to be explicit).
    ``vertex_colors``: optional ``(V, 3)`` RGB in [0, 1] per person (clothing for synthetic footage), multiplied
    by the style's colour.
    Meshes are single-sided (closed bodies: back faces are culled, which halves the rasterisation on llvmpipe).
    """

    def __init__(self, width: int, height: int, faces: np.ndarray, num_people: int = 2,
                 background: tuple[float, float, float] = (0.12, 0.12, 0.14),
                 num_vertices: Optional[int] = None,
                 vertex_colors: Optional[Sequence[np.ndarray]] = None) -> None:
        if width <= 0 or height <= 0:
            raise RenderError(f"image size must be positive, got {width}×{height}")
        faces = np.asarray(faces)
        if faces.ndim != 2 or faces.shape[1] != 3:
            raise RenderError(f"faces: expected shape (F, 3), got {faces.shape}")
        self.width, self.height = int(width), int(height)
        self.faces = faces.astype(np.uint32)
        self.num_vertices = int(num_vertices) if num_vertices is not None else int(faces.max()) + 1
        if self.num_vertices <= int(faces.max()):
            raise RenderError(f"faces index vertex {int(faces.max())}, but num_vertices is {self.num_vertices}")
        self.background = np.asarray(background, np.float64)
        try:
            self._gl = offscreen_renderer(self.width, self.height)
        except Exception as exc:  # no EGL/GL driver: the caller falls back to 2D drawing
            raise RenderError(f"cannot create an offscreen GL context ({type(exc).__name__}: {exc})") from exc
        self.scene = pyrender.Scene(bg_color=(0.0, 0.0, 0.0, 0.0), ambient_light=(0.25, 0.25, 0.25))
        if vertex_colors is not None and any(np.shape(c) != (self.num_vertices, 3) for c in vertex_colors):
            raise RenderError(f"vertex_colors: expected one ({self.num_vertices}, 3) array per person")
        colors = list(vertex_colors or [])
        self._people = [_PersonMesh(self.faces, self.num_vertices, DEFAULT_STYLES[i % 2],
                                    colors[i] if i < len(colors) else None) for i in range(num_people)]
        for p in self._people:
            self.scene.add_node(p.node)
        self._camera = pyrender.IntrinsicsCamera(1.0, 1.0, 0.0, 0.0, znear=0.05, zfar=200.0)
        self._camera_node = self.scene.add(self._camera, pose=np.eye(4))
        self._headlight = self.scene.add(pyrender.DirectionalLight(color=np.ones(3), intensity=2.2), pose=np.eye(4))
        sun = np.eye(4)
        sun[:3, :3] = np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]], np.float64)  # pointing down
        self.scene.add(pyrender.DirectionalLight(color=np.ones(3), intensity=1.5), pose=sun)
        self._seg_map = {p.node: _SEG_COLORS[i] for i, p in enumerate(self._people)}

    # -- scene setup -------------------------------------------------------------------------------------------

    def add_static(self, mesh: pyrender.Mesh, pose: Optional[np.ndarray] = None) -> pyrender.Node:
        """Scenery drawn behind/around the people (ground plane, props); returns its node."""
        return self.scene.add(mesh, pose=np.eye(4) if pose is None else pose)

    def _set_frame(self, vertices_per_person: Sequence[Optional[np.ndarray]], K: np.ndarray, R: np.ndarray,
                   t: np.ndarray, styles: Sequence[PersonStyle]) -> None:
        if len(vertices_per_person) > len(self._people):
            raise RenderError(f"{len(vertices_per_person)} people given, renderer was made for {len(self._people)}")
        self._gl._platform.make_current()  # noqa: SLF001 - buffer uploads need the context current
        for i, person in enumerate(self._people):
            verts = vertices_per_person[i] if i < len(vertices_per_person) else None
            style = styles[i] if i < len(styles) else DEFAULT_STYLES[i % 2]
            shown = verts is not None and style.visible and style.opacity > 0
            person.mesh.is_visible = shown
            if shown:
                verts = np.asarray(verts)
                if verts.shape != (self.num_vertices, 3):
                    raise RenderError(f"person {i}: vertices shape {verts.shape}, expected ({self.num_vertices}, 3)")
                person.update(verts, style)
        K = np.asarray(K, np.float64)
        self._camera.fx, self._camera.fy, self._camera.cx, self._camera.cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
        pose = gl_camera_pose(R, t)
        self.scene.set_pose(self._camera_node, pose)
        self.scene.set_pose(self._headlight, pose)

    # -- rendering ---------------------------------------------------------------------------------------------

    def render(self, frame_rgb: Optional[np.ndarray], vertices_per_person: Sequence[Optional[np.ndarray]],
               K: np.ndarray, R: np.ndarray, t: np.ndarray,
               styles: Optional[Sequence[PersonStyle]] = None) -> np.ndarray:
        """The meshes over ``frame_rgb`` (H, W, 3 uint8), or over the plain background when it is ``None``.

        ``vertices_per_person[i]`` is ``(V, 3)`` in world coordinates or ``None`` (not drawn); ``K, R, t`` are
        the OpenCV camera of this frame. Returns a new (H, W, 3) uint8 image.
        """
        if frame_rgb is not None and np.shape(frame_rgb) != (self.height, self.width, 3):
            raise RenderError(f"frame shape {np.shape(frame_rgb)}, expected ({self.height}, {self.width}, 3)")
        given = tuple(styles) if styles is not None else DEFAULT_STYLES
        styles = [given[i] if i < len(given) else DEFAULT_STYLES[i % 2] for i in range(len(self._people))]
        self._set_frame(vertices_per_person, K, R, t, styles)
        shown = [s.opacity for s, p in zip(styles, self._people) if p.mesh.is_visible]
        if frame_rgb is None and all(o == 1.0 for o in shown):  # nothing to blend: let GL fill the background
            self.scene.bg_color = np.array([*self.background, 1.0])
            color, _ = self._gl.render(self.scene, flags=pyrender.RenderFlags.NONE)
            return np.ascontiguousarray(color[..., :3])
        self.scene.bg_color = np.zeros(4)
        rgba, _ = self._gl.render(self.scene, flags=pyrender.RenderFlags.RGBA)
        rgb = rgba[..., :3].astype(np.float32)
        coverage = rgba[..., 3:4].astype(np.float32) / 255.0
        if len(set(shown)) <= 1:
            opacity: "float | np.ndarray" = shown[0] if shown else 1.0
        else:  # people drawn with different opacities: which person covers each pixel decides
            per_person = np.array([s.opacity for s in styles] + [1.0], np.float32)  # id −1 → scenery: opaque
            opacity = per_person[self._ids()][..., None]
        if frame_rgb is None:
            base = np.broadcast_to((self.background * 255).astype(np.float32), rgb.shape)
        else:
            base = np.asarray(frame_rgb).astype(np.float32)
        # pyrender's RGBA output is premultiplied by coverage (edges are blended with the transparent background)
        out = base * (1.0 - coverage * opacity) + rgb * opacity
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)

    def render_scene(self, frame_rgb: Optional[np.ndarray], scene: OverlayScene) -> np.ndarray:
        """:meth:`render` of a scene description (the one the on-screen renderer draws too); the scene's size
        becomes this renderer's."""
        if (scene.width, scene.height) != (self.width, self.height):
            self.resize(scene.width, scene.height)
        return self.render(frame_rgb, scene.vertices, scene.K, scene.R, scene.t, scene.styles)

    def id_depth(self, vertices_per_person: Sequence[Optional[np.ndarray]], K: np.ndarray, R: np.ndarray,
                 t: np.ndarray) -> IdDepth:
        """Which person is nearest the camera at each pixel, and how far (people only; scenery is ignored)."""
        visible = [PersonStyle() if v is not None else PersonStyle(visible=False) for v in vertices_per_person]
        self._set_frame(vertices_per_person, K, R, t, visible)
        seg, depth = self._gl.render(self.scene, flags=pyrender.RenderFlags.SEG, seg_node_map=self._seg_map)
        return IdDepth(self._decode_ids(seg), depth.astype(np.float32))

    def _ids(self) -> np.ndarray:
        seg, _ = self._gl.render(self.scene, flags=pyrender.RenderFlags.SEG, seg_node_map=self._seg_map)
        return self._decode_ids(seg)

    def _decode_ids(self, seg: np.ndarray) -> np.ndarray:
        ids = np.full(seg.shape[:2], BACKGROUND_ID, np.int8)
        for i in range(len(self._people)):
            color = np.array(_SEG_COLORS[i])
            ids[np.all(np.abs(seg[..., :3].astype(np.int16) - color) < 64, axis=-1)] = i
        return ids

    def resize(self, width: int, height: int) -> None:
        """Render at another image size from now on (same context; the framebuffer is remade on the next render)."""
        if width <= 0 or height <= 0:
            raise RenderError(f"image size must be positive, got {width}×{height}")
        self.width, self.height = int(width), int(height)
        self._gl.viewport_width, self._gl.viewport_height = self.width, self.height

    # -- lifetime ----------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Free this renderer's GL context (on the thread that made it); other renderers are unaffected."""
        if self._gl is not None:
            self._gl.delete()
            self._gl = None

    def __enter__(self) -> "OverlayRenderer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

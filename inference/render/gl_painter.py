"""Video and meshes drawn straight into the *current* GL context: the playback path of the app's video view.

Why not pyrender here: at 1280×720 on llvmpipe its PBR shader with 4× MSAA, the read-back and the numpy
compositing cost ~170 ms a frame. Here the decoded frame is a texture drawn as a full-viewport quad and the
meshes are drawn over it with depth testing and a two-light Lambert shader, into whatever framebuffer is bound —
a Qt ``QOpenGLWindow``'s on screen, or an FBO of an offscreen context in tests — with nothing read back.

What is drawn comes from an :class:`~inference.render.scene.OverlayScene`, the description the offscreen
``OverlayRenderer`` draws too; the projection is :func:`gl_camera.gl_projection`, the matrix pyrender builds.
Translucent bodies are drawn as pyrender's compositing shows them: one depth pre-pass over all meshes, then each
person's nearest surface blended once with its opacity (no see-through of a body's own far side). Needs OpenGL 3.3
core; nothing here imports Qt.
"""

from __future__ import annotations

import ctypes
import os
from typing import Optional

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")  # as for the offscreen renderers: one PyOpenGL platform

import numpy as np  # noqa: E402
from OpenGL import GL  # noqa: E402

from .gl_camera import gl_camera_pose, gl_projection  # noqa: E402
from .normals import VertexNormals  # noqa: E402
from .scene import OverlayScene  # noqa: E402

_VIDEO_VS = """#version 330 core
out vec2 uv;
void main() {
    vec2 p = vec2(float(gl_VertexID & 1) * 2.0 - 1.0, float(gl_VertexID >> 1) * 2.0 - 1.0);
    uv = vec2((p.x + 1.0) * 0.5, (1.0 - p.y) * 0.5);
    gl_Position = vec4(p, 0.999, 1.0);
}"""
_VIDEO_FS = """#version 330 core
in vec2 uv;
uniform sampler2D video;
out vec4 frag;
void main() { frag = vec4(texture(video, uv).rgb, 1.0); }"""
_MESH_VS = """#version 330 core
layout(location = 0) in vec3 position;
layout(location = 1) in vec3 normal;
uniform mat4 view;
uniform mat4 projection;
out vec3 n_view;
void main() {
    n_view = mat3(view) * normal;
    gl_Position = projection * (view * vec4(position, 1.0));
}"""
_MESH_FS = """#version 330 core
in vec3 n_view;
uniform vec4 color;
uniform vec3 sun;
out vec4 frag;
void main() {
    vec3 n = normalize(n_view);
    if (!gl_FrontFacing) n = -n;
    float light = 0.35 + 0.6 * max(n.z, 0.0) + 0.3 * max(dot(n, sun), 0.0);
    frag = vec4(pow(min(color.rgb * light, vec3(1.0)), vec3(0.7)), color.a);  // about pyrender's brightness
}"""


class GLPainterError(RuntimeError):
    """The current context cannot run the painter (no GL 3.3, a shader did not compile)."""


def _program(vs: str, fs: str) -> int:
    shaders = []
    for kind, src in ((GL.GL_VERTEX_SHADER, vs), (GL.GL_FRAGMENT_SHADER, fs)):
        shader = GL.glCreateShader(kind)
        GL.glShaderSource(shader, src)
        GL.glCompileShader(shader)
        if not GL.glGetShaderiv(shader, GL.GL_COMPILE_STATUS):
            raise GLPainterError(f"shader did not compile: {GL.glGetShaderInfoLog(shader)!r}")
        shaders.append(shader)
    program = GL.glCreateProgram()
    for shader in shaders:
        GL.glAttachShader(program, shader)
    GL.glLinkProgram(program)
    if not GL.glGetProgramiv(program, GL.GL_LINK_STATUS):
        raise GLPainterError(f"shader program did not link: {GL.glGetProgramInfoLog(program)!r}")
    for shader in shaders:
        GL.glDeleteShader(shader)
    return program


class _PersonBuffers:
    """One person's vertex buffer (positions + normals, interleaved) and index buffer, reused frame to frame."""

    def __init__(self) -> None:
        self.vao = GL.glGenVertexArrays(1)
        self.vbo, self.ebo = GL.glGenBuffers(2)
        self.faces: Optional[np.ndarray] = None
        self.capacity = 0
        self._scratch = np.zeros((0, 6), np.float32)
        GL.glBindVertexArray(self.vao)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self.vbo)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, self.ebo)
        for location, offset in ((0, 0), (1, 12)):
            GL.glEnableVertexAttribArray(location)
            GL.glVertexAttribPointer(location, 3, GL.GL_FLOAT, GL.GL_FALSE, 24, ctypes.c_void_p(offset))
        GL.glBindVertexArray(0)

    def scratch(self, num_vertices: int) -> np.ndarray:
        """A reused (V, 6) float32 array to fill with positions and normals (no allocation per frame)."""
        if len(self._scratch) != num_vertices:
            self._scratch = np.zeros((num_vertices, 6), np.float32)
        return self._scratch

    def upload(self, faces: np.ndarray, interleaved: np.ndarray) -> None:
        GL.glBindVertexArray(self.vao)
        if self.faces is not faces:
            self.faces = faces
            GL.glBufferData(GL.GL_ELEMENT_ARRAY_BUFFER, faces.nbytes, faces, GL.GL_STATIC_DRAW)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self.vbo)
        if interleaved.nbytes != self.capacity:
            self.capacity = interleaved.nbytes
            GL.glBufferData(GL.GL_ARRAY_BUFFER, interleaved.nbytes, interleaved, GL.GL_STREAM_DRAW)
        else:
            GL.glBufferSubData(GL.GL_ARRAY_BUFFER, 0, interleaved.nbytes, interleaved)
        GL.glBindVertexArray(0)

    def draw(self) -> None:
        GL.glBindVertexArray(self.vao)
        GL.glDrawElements(GL.GL_TRIANGLES, int(self.faces.size), GL.GL_UNSIGNED_INT, None)
        GL.glBindVertexArray(0)

    def delete(self) -> None:
        GL.glDeleteVertexArrays(1, [self.vao])
        GL.glDeleteBuffers(2, [self.vbo, self.ebo])


class OverlayPainter:
    """Create, use and delete with the same GL context current (Qt makes it current in ``initializeGL`` /
    ``paintGL``)."""

    def __init__(self, num_people: int = 2) -> None:
        try:
            self._video_program = _program(_VIDEO_VS, _VIDEO_FS)
            self._mesh_program = _program(_MESH_VS, _MESH_FS)
        except GL.GLError as exc:
            raise GLPainterError(f"OpenGL 3.3 is not available here ({exc})") from exc
        self._empty_vao = GL.glGenVertexArrays(1)
        self._texture = GL.glGenTextures(1)
        self._texture_size: Optional[tuple[int, int]] = None
        self._people = [_PersonBuffers() for _ in range(num_people)]
        self._normals: dict[int, VertexNormals] = {}
        self._converted: Optional[tuple[np.ndarray, np.ndarray]] = None
        self._uniforms = {name: GL.glGetUniformLocation(self._mesh_program, name)
                          for name in ("view", "projection", "color", "sun")}
        GL.glBindTexture(GL.GL_TEXTURE_2D, self._texture)
        for param, value in ((GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR), (GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR),
                             (GL.GL_TEXTURE_WRAP_S, GL.GL_CLAMP_TO_EDGE), (GL.GL_TEXTURE_WRAP_T, GL.GL_CLAMP_TO_EDGE)):
            GL.glTexParameteri(GL.GL_TEXTURE_2D, param, value)

    def set_video(self, rgb: Optional[np.ndarray]) -> None:
        """The picture under the meshes: (H, W, 3) uint8 RGB, row 0 at the top; ``None``: no picture."""
        if rgb is None:
            self._texture_size = None
            return
        rgb = np.ascontiguousarray(rgb, np.uint8)
        h, w = rgb.shape[:2]
        GL.glBindTexture(GL.GL_TEXTURE_2D, self._texture)
        GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
        if self._texture_size != (w, h):
            self._texture_size = (w, h)
            GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_RGB8, w, h, 0, GL.GL_RGB, GL.GL_UNSIGNED_BYTE, rgb)
        else:
            GL.glTexSubImage2D(GL.GL_TEXTURE_2D, 0, 0, 0, w, h, GL.GL_RGB, GL.GL_UNSIGNED_BYTE, rgb)

    def paint(self, scene: Optional[OverlayScene], viewport: tuple[int, int, int, int],
              background: tuple[float, float, float] = (0.12, 0.12, 0.14)) -> None:
        """Clear to ``background``, draw the video (when set) over ``viewport`` (x, y from the bottom-left, w, h,
        in framebuffer pixels) and the scene's bodies on top."""
        GL.glDisable(GL.GL_SCISSOR_TEST)
        GL.glClearColor(*background, 1.0)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT)
        GL.glViewport(*viewport)
        if self._texture_size is not None:
            GL.glDisable(GL.GL_DEPTH_TEST)
            GL.glDisable(GL.GL_BLEND)
            GL.glUseProgram(self._video_program)
            GL.glActiveTexture(GL.GL_TEXTURE0)
            GL.glBindTexture(GL.GL_TEXTURE_2D, self._texture)
            GL.glBindVertexArray(self._empty_vao)
            GL.glDrawArrays(GL.GL_TRIANGLE_STRIP, 0, 4)
            GL.glBindVertexArray(0)
        if scene is not None:
            self._paint_bodies(scene)
        GL.glUseProgram(0)

    def _paint_bodies(self, scene: OverlayScene) -> None:
        shown = [(buffers, style) for buffers, verts, style in zip(self._people, scene.vertices, scene.styles)
                 if verts is not None and style.visible and style.opacity > 0]
        if not shown:
            return
        faces = self._indices(scene.faces)
        given = scene.normals or (None,) * len(scene.vertices)
        for i, (buffers, verts, style) in enumerate(zip(self._people, scene.vertices, scene.styles)):
            if verts is not None and style.visible and style.opacity > 0:
                positions = np.asarray(verts, np.float32)
                normals = given[i] if i < len(given) and given[i] is not None else self._normals_of(scene, positions)
                interleaved = buffers.scratch(len(positions))
                interleaved[:, :3] = positions
                interleaved[:, 3:] = normals
                buffers.upload(faces, interleaved)
        view = np.linalg.inv(gl_camera_pose(scene.R, scene.t))
        GL.glUseProgram(self._mesh_program)
        GL.glUniformMatrix4fv(self._uniforms["view"], 1, GL.GL_TRUE, view.astype(np.float32))
        GL.glUniformMatrix4fv(self._uniforms["projection"], 1, GL.GL_TRUE,
                              gl_projection(scene.K, scene.width, scene.height).astype(np.float32))
        sun = view[:3, :3] @ np.array([0.0, 1.0, 0.0])  # light from above (world +y), in view space
        GL.glUniform3f(self._uniforms["sun"], *sun.astype(np.float32))
        GL.glEnable(GL.GL_DEPTH_TEST)
        GL.glEnable(GL.GL_CULL_FACE)
        GL.glCullFace(GL.GL_BACK)
        wireframe = any(style.wireframe for _, style in shown)
        GL.glPolygonMode(GL.GL_FRONT_AND_BACK, GL.GL_LINE if wireframe else GL.GL_FILL)
        GL.glDepthFunc(GL.GL_LESS)
        if any(style.opacity < 1.0 for _, style in shown):
            if not wireframe:  # depth pre-pass: only each body's nearest surface gets blended
                GL.glColorMask(GL.GL_FALSE, GL.GL_FALSE, GL.GL_FALSE, GL.GL_FALSE)
                for buffers, _ in shown:
                    buffers.draw()
                GL.glColorMask(GL.GL_TRUE, GL.GL_TRUE, GL.GL_TRUE, GL.GL_TRUE)
                GL.glDepthFunc(GL.GL_LEQUAL)
            GL.glEnable(GL.GL_BLEND)
            GL.glBlendFunc(GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)
        for buffers, style in shown:
            GL.glUniform4f(self._uniforms["color"], *style.color, style.opacity)
            buffers.draw()
        GL.glPolygonMode(GL.GL_FRONT_AND_BACK, GL.GL_FILL)
        GL.glDisable(GL.GL_BLEND)
        GL.glDisable(GL.GL_CULL_FACE)
        GL.glDisable(GL.GL_DEPTH_TEST)
        GL.glDepthFunc(GL.GL_LESS)

    def _indices(self, faces: np.ndarray) -> np.ndarray:
        """``faces`` as uint32, converted once per topology (the index buffer is re-sent only when it changes)."""
        if faces.dtype == np.uint32:
            return faces
        if self._converted is None or self._converted[0] is not faces:
            self._converted = (faces, np.ascontiguousarray(faces, np.uint32))
        return self._converted[1]

    def _normals_of(self, scene: OverlayScene, positions: np.ndarray) -> np.ndarray:
        normals = self._normals.get(id(scene.faces))
        if normals is None or normals.faces is not scene.faces:
            if len(self._normals) >= 4:  # topologies seen: the full body and its proxy, per body model
                self._normals.clear()
            normals = self._normals[id(scene.faces)] = VertexNormals(scene.faces, len(positions))
        return normals(positions)

    def delete(self) -> None:
        for person in self._people:
            person.delete()
        GL.glDeleteTextures([self._texture])
        GL.glDeleteVertexArrays(1, [self._empty_vao])
        GL.glDeleteProgram(self._video_program)
        GL.glDeleteProgram(self._mesh_program)

"""The 3D overlay, rendered on ONE dedicated thread that owns the renderer (GL contexts are thread-bound).

The worker receives the decoded video frame (from :mod:`frame_loader`, which runs in parallel on its own thread)
and returns it composited with the bodies, as a ready ``QImage``. Meshes go through ``inference.render``'s
offscreen pyrender ``OverlayRenderer``; in skeleton mode, or when no GL context can be made, the skeletons are
drawn with OpenCV instead and :attr:`OverlayImage.note` says why. ``OverlayStyle.scale`` renders at a fraction of
the video's resolution — the window uses a lower one while playing, the full one when paused.

The worker owns ONE renderer, resized to whatever size is asked (overlay while playing, when paused, the 3D view):
renderers are never closed mid-session, and closing one could not end another's context anyway (see
``inference.render.gl_context``). Where the GL view draws the video's meshes itself, requests come with
``composite=False``: only the joints and the 3D view's meshes are made here.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Optional

import cv2
import numpy as np
from PySide6.QtGui import QImage

from inference.body.base import BodyModel
from inference.motion import Reconstruction
from inference.render.scene import OverlayScene, video_scene
from inference.render.style import PersonStyle

from .latest_worker import LatestOnlyWorker
from .orbit_camera import Orbit, ground_grid, pair_target
from .posed_bodies import JointCache, VertexCache, load_default_body
from .skeleton_drawing import draw_skeletons
from .style import PERSON_RGB

log = logging.getLogger(__name__)

MODES = ("solid", "wireframe", "skeleton")
BACKGROUND_RGB = (30, 30, 34)


@dataclass(frozen=True)
class OverlayStyle:
    mode: str = "solid"
    visible: tuple[bool, bool] = (True, True)
    opacity: float = 0.8
    scale: float = 1.0  # overlay resolution relative to the video's


@dataclass(frozen=True)
class OverlayRequest:
    recon: Reconstruction
    frame: int
    style: OverlayStyle
    video_rgb: Optional[np.ndarray] = None  # the decoded frame, None to draw on a plain background
    orbit: Optional[Orbit] = None  # also render the meshes through the 3D view's camera
    submitted: float = field(default_factory=time.perf_counter)  # for the window's latency estimate
    composite: bool = True  # False: the video view draws the meshes itself; only joints and the 3D view here


@dataclass(frozen=True)
class OverlayImage:
    frame: int
    image: QImage  # RGB888: the frame with the bodies composited
    rgb: np.ndarray
    note: str  # "" or why the requested mode could not be drawn
    joints: Optional[np.ndarray]  # (2, 22, 3) world joints at this frame, for the 3D view; None without a body
    orbit_image: Optional[QImage] = None  # the meshes seen by ``request.orbit``, when asked and possible


class OverlayWorker(LatestOnlyWorker):
    """Emits ``resultReady(OverlayRequest, OverlayImage)``."""

    def __init__(self) -> None:
        super().__init__("overlay-renderer")
        self._body: Optional[BodyModel] = None
        self._body_note = ""
        self._joints: Optional[JointCache] = None
        self._vertices: Optional[VertexCache] = None
        self._gl = None  # the one OverlayRenderer of this thread, made on first use
        self._gl_note = ""
        self._last: Optional[tuple[tuple, OverlayRequest, OverlayImage]] = None

    def handle(self, request: OverlayRequest) -> OverlayImage:
        key = (id(request.recon), request.frame, request.style, id(request.video_rgb))
        if self._last is not None and self._last[0] == key and self._last[1].recon is request.recon:
            overlay = self._last[2]  # only the 3D view's camera moved: keep the composite
        else:
            overlay = self._overlay(request)
            self._last = (key, request, overlay)
        if request.orbit is None or overlay.joints is None or request.style.mode == "skeleton":
            return overlay
        return replace(overlay, orbit_image=self._render_orbit(request, overlay.frame, overlay.joints))

    def _overlay(self, request: OverlayRequest) -> OverlayImage:
        recon, style = request.recon, request.style
        frame = min(max(request.frame, 0), recon.num_frames - 1)
        self._ensure_body()
        joints = None if self._joints is None else self._joints.joints(recon)[:, frame]
        if recon.camera is None:
            base = _base_image(request.video_rgb, None, (64, 36))
            return _image(frame, base, "this motion has no camera, so it cannot be drawn over the video", joints)
        size = (max(1, round(recon.camera.width * style.scale)), max(1, round(recon.camera.height * style.scale)))
        if not request.composite:
            return _image(frame, np.zeros((1, 1, 3), np.uint8), "", joints)
        base = _base_image(request.video_rgb, recon, size)
        if self._body is None:
            return _image(frame, base, self._body_note, joints)
        if style.mode != "skeleton":
            renderer = self._renderer(size)
            if renderer is not None:
                return _image(frame, self._render_mesh(renderer, recon, frame, style, base), "", joints)
        layer = draw_skeletons(recon.camera, frame, joints, [PERSON_RGB[p] for p in ("A", "B")], style.visible, size)
        alpha = layer[..., 3:4].astype(np.float32) / 255.0 * style.opacity
        out = (base * (1 - alpha) + layer[..., :3] * alpha + 0.5).astype(np.uint8)
        return _image(frame, out, self._gl_note if style.mode != "skeleton" else "", joints)

    def _ensure_body(self) -> None:
        if self._body is None and not self._body_note:
            self._body, self._body_note = load_default_body()
            if self._body is not None:
                self._joints = JointCache(self._body)
                self._vertices = VertexCache(self._body)

    def _renderer(self, size: tuple[int, int]):
        """This thread's GL renderer at ``size``, or ``None`` with :attr:`_gl_note` set."""
        if self._gl is None and not self._gl_note:
            try:
                from inference.render import OverlayRenderer
                self._gl = OverlayRenderer(size[0], size[1], self._body.faces)  # type: ignore[union-attr]
            except Exception as exc:  # ImportError, no EGL: draw skeletons instead, and say so
                self._gl_note = f"mesh rendering unavailable ({type(exc).__name__}: {exc}); showing skeletons"
                log.warning(self._gl_note)
        if self._gl is not None and (self._gl.width, self._gl.height) != size:
            self._gl.resize(*size)
        return self._gl

    def _render_orbit(self, request: OverlayRequest, frame: int, joints: np.ndarray) -> Optional[QImage]:
        orbit = request.orbit
        renderer = self._renderer((orbit.width, orbit.height))
        if renderer is None:
            return None
        target = pair_target(joints)
        K, R, t = orbit.camera(target)
        base = np.full((orbit.height, orbit.width, 3), BACKGROUND_RGB, np.uint8)
        for a, b in ground_grid(centre=target):
            px, ok = orbit.project(np.stack([a, b]), target)
            if ok.all():
                cv2.line(base, tuple(int(v) for v in px[0]), tuple(int(v) for v in px[1]), (70, 74, 80), 1,
                         cv2.LINE_AA)
        solid = replace(request.style, opacity=1.0)
        rgb = self._render_mesh(renderer, request.recon, frame, solid, base, (K, R, t))
        return _image(frame, rgb, "", None).image

    def _render_mesh(self, renderer, recon: Reconstruction, frame: int, style: OverlayStyle, base: np.ndarray,
                     camera: Optional[tuple[np.ndarray, np.ndarray, np.ndarray]] = None) -> np.ndarray:
        posed = self._vertices.vertices(recon, frame)  # type: ignore[union-attr]
        size = (base.shape[1], base.shape[0])
        if camera is None:  # the video's camera: the scene the GL view would draw
            return renderer.render_scene(base, overlay_scene(recon, frame, self._body.faces, posed, style, size))
        return renderer.render(base, posed, *camera, person_styles(style))

    def close(self) -> None:
        if self._gl is not None:
            self._gl.close()
            self._gl = None


def person_styles(style: OverlayStyle) -> tuple[PersonStyle, ...]:
    """How each person is drawn under the app's overlay style (A warm, B cool)."""
    return tuple(PersonStyle(tuple(c / 255 for c in PERSON_RGB[pid]), style.opacity, style.mode == "wireframe", show)
                 for pid, show in zip(("A", "B"), style.visible))


def overlay_scene(recon: Reconstruction, frame: int, faces: np.ndarray, vertices: list[np.ndarray],
                  style: OverlayStyle, size: Optional[tuple[int, int]] = None,
                  normals: Optional[list[np.ndarray]] = None) -> OverlayScene:
    """The one scene both the GL view and the offscreen renderer draw for the app's overlay (same pose, camera,
    styles); ``faces`` is the topology of ``vertices`` (full body or playback proxy)."""
    return video_scene(recon.camera, frame, faces, vertices, person_styles(style), size, normals)


def _base_image(video_rgb: Optional[np.ndarray], recon: Optional[Reconstruction], size: tuple[int, int]) -> np.ndarray:
    """The video frame at the overlay size, or a plain background when there is no video."""
    w, h = size
    if video_rgb is None:
        return np.full((h, w, 3), BACKGROUND_RGB, np.uint8)
    if recon is None:
        return np.ascontiguousarray(video_rgb)
    if video_rgb.shape[:2] != (h, w):
        return cv2.resize(video_rgb, (w, h), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(video_rgb)


def _image(frame: int, rgb: np.ndarray, note: str, joints: Optional[np.ndarray]) -> OverlayImage:
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, rgb.strides[0], QImage.Format_RGB888).copy()
    return OverlayImage(frame, image, rgb, note, joints)

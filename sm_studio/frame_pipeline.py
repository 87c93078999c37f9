"""From playhead to picture: decode the frame (one thread), composite the bodies over it (another thread), show
it — and the 3D view's meshes, rendered on the same overlay thread.

The two workers run in parallel, so on two cores decoding frame n+1 overlaps rendering frame n. While scrubbing
the raw frame is shown at once and replaced by its composite when that is ready; while playing only composites
are shown, rendered at a lower resolution, for the frame the clock will have reached when the render finishes
(the measured overlay latency ahead), so the picture neither drifts nor trails the playhead.

Where the video view draws in GL itself (:class:`~sm_studio.gl_video_view.GLVideoView`), meshes skip the overlay
thread: every frame of both people is posed once in the background after each edit (:mod:`posed_sequence`), and
each decoded frame is shown at once with the playback proxy's vertices for that frame; when paused, the full body
follows from :class:`~sm_studio.posed_sequence.FullBodyWorker`. The overlay thread then only serves the 3D view
and skeleton mode. Both paths describe the picture with the same :func:`overlay_worker.overlay_scene`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Optional

import numpy as np
from PySide6.QtCore import QObject, Signal

from inference.video import VideoInfo

from .document import Document
from .frame_loader import DecodedFrame, FrameLoader
from .gl_video_view import GLVideoView
from .orbit_view import OrbitView
from .overlay_worker import OverlayImage, OverlayRequest, OverlayStyle, OverlayWorker, overlay_scene
from .playback import Playback
from .posed_sequence import FullBodyWorker, SequencePoser
from .video_view import VideoView

log = logging.getLogger(__name__)

POSING_NOTE = "posing the bodies…"  # the few hundred ms after an edit before the frame's bodies are posed


class FramePipeline(QObject):
    noteChanged = Signal(str)  # why the overlay is not drawn as asked ("" when it is)
    videoError = Signal(str)

    def __init__(self, doc: Document, playback: Playback, video_view: "VideoView | GLVideoView", orbit_view: OrbitView,
                 playing_scale: float = 0.5, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self._doc, self._playback, self._view, self._orbit = doc, playback, video_view, orbit_view
        self.playing_scale = playing_scale
        self.frame_loader = FrameLoader()
        self.overlay_worker = OverlayWorker()
        self.style = OverlayStyle()
        self.overlay_enabled = True
        self.video: Optional[VideoInfo] = None
        self.last_decoded: Optional[DecodedFrame] = None
        self.last_overlay_request: Optional[OverlayRequest] = None  # what the picture on screen was made from
        self.note = ""
        self._latency = 0.0  # seconds from overlay request to result, smoothed
        doc.frameChanged.connect(self.request)
        doc.reconstructionChanged.connect(self.request)
        playback.playingChanged.connect(self._playing_changed)
        orbit_view.orbitChanged.connect(self._restyle)
        self.frame_loader.resultReady.connect(self._frame_ready)
        self.frame_loader.failed.connect(lambda _r, msg: self.videoError.emit(msg))
        self.overlay_worker.resultReady.connect(self._overlay_ready)
        self.overlay_worker.failed.connect(lambda _r, msg: self._set_note(f"overlay failed: {msg}"))
        self.poser = SequencePoser(self)
        self.full_body: Optional[FullBodyWorker] = None  # made with the body, on the first paused GL frame
        self._full_body: Optional[tuple[object, int, list[np.ndarray]]] = None  # the last one posed: recon, frame
        self.poser.progressed.connect(self._posed_more)
        doc.reconstructionChanged.connect(self._pose_sequence)
        if isinstance(video_view, GLVideoView):
            video_view.meshesFailed.connect(lambda _why: self._restyle())

    # ----- controls -----
    def set_video(self, info: Optional[VideoInfo]) -> None:
        self.video = info
        self.last_decoded = None
        if info is None:
            self._view.clear("No video: the overlay is drawn on a plain background.")
        self.request()

    def set_overlay_enabled(self, on: bool) -> None:
        self.overlay_enabled = on
        self._restyle()

    def set_style(self, **changes: object) -> None:
        self.style = replace(self.style, **changes)
        self._restyle()

    def shutdown(self) -> None:
        self.frame_loader.stop()
        self.overlay_worker.stop()
        self.poser.stop()
        if self.full_body is not None:
            self.full_body.stop()
        self._view.release()

    # ----- pipeline -----
    def _overlay_wanted(self) -> bool:
        return self.overlay_enabled and self._doc.shown_reconstruction is not None

    def _gl_meshes(self) -> bool:
        """Whether the video view draws this frame's meshes itself (GL view, mesh mode, a camera to see by)."""
        recon = self._doc.shown_reconstruction
        return (self._view.can_draw_meshes and self._overlay_wanted() and self.style.mode != "skeleton"
                and recon is not None and recon.camera is not None and self.poser.available)

    def request(self, *_: object) -> None:
        """Ask for the current frame: decoded video first (its result triggers the overlay), or the overlay
        alone on a plain background when there is no video."""
        frame = self._frame_to_fetch()
        if self.video is not None:
            self.frame_loader.request(self.video.path, frame)
        elif self._gl_meshes():
            self._show_gl(frame, None)
        elif self._overlay_wanted():
            self.overlay_worker.submit(self._overlay_request(frame, None))

    def _frame_to_fetch(self) -> int:
        frame = self._doc.frame
        if not (self._playback.playing and self._overlay_wanted()) or self._gl_meshes():
            return frame
        lead = round(self._latency * self._doc.fps * self._playback.speed)
        return min(max(frame + lead, 0), max(self._doc.num_frames - 1, 0))

    def _frame_ready(self, _request: object, decoded: DecodedFrame) -> None:
        self.last_decoded = decoded
        if not self._overlay_wanted():
            if self._view.can_draw_meshes:
                self._view.show_scene(decoded.index, decoded.rgb, None)  # GL view: the frame as it is
            else:
                self._view.set_frame(decoded.index, decoded.image)
            return
        if self._gl_meshes():
            self._show_gl(decoded.index, decoded.rgb)
            return
        if not self._playback.playing and self._view.frame_index != decoded.index:
            self._view.set_frame(decoded.index, decoded.image)  # instant feedback while scrubbing
        self.overlay_worker.submit(self._overlay_request(decoded.index, decoded.rgb))

    def _show_gl(self, frame: int, rgb: Optional[np.ndarray]) -> None:
        """Video + the bodies of ``frame`` in the GL view now: the proxy while playing; when paused the full body,
        at once if it is kept (short motions) or else when :class:`FullBodyWorker` has posed it, and the 3D view's
        meshes from the overlay thread."""
        recon, body = self._doc.shown_reconstruction, self.poser.loaded_body
        full = None
        if not self._playback.playing and body is not None:
            cached = self._full_body
            full = (cached[2] if cached is not None and cached[0] is recon and cached[1] == frame
                    else self.poser.full_vertices(recon, frame))
        if full is not None:
            scene = overlay_scene(recon, frame, body.faces, full, self.style)
        else:
            proxy = self.poser.proxy_vertices(recon, frame)
            scene = None if proxy is None else overlay_scene(recon, frame, self.poser.proxy.faces, proxy, self.style,
                                                             normals=self.poser.proxy_normals(recon, frame))
        self._view.show_scene(frame, rgb, scene)
        self._set_note("" if scene is not None else POSING_NOTE)
        joints = self.poser.joints(recon, frame)
        if joints is not None:
            self._orbit.set_joints(joints, self.style.visible)
        if self._playback.playing:
            self._orbit.set_mesh_image(None)
            return
        if body is None:
            return  # still loading: the first posed chunk restyles this frame (_posed_more)
        if self._orbit.isVisible():
            self.overlay_worker.submit(OverlayRequest(recon, frame, self.style, None, self._orbit.orbit,
                                                      composite=False))
        if full is None:
            if self.full_body is None:
                self.full_body = FullBodyWorker(body)
                self.full_body.resultReady.connect(self._full_body_ready)
            self.full_body.submit((recon, frame))

    def _full_body_ready(self, request: tuple, vertices: list[np.ndarray]) -> None:
        recon, frame = request
        self._full_body = (recon, frame, vertices)
        view = self._view
        if (self._playback.playing or not self._gl_meshes() or recon is not self._doc.shown_reconstruction
                or frame != view.frame_index):
            return  # superseded: playing again, another frame or motion, another mode
        faces = self.poser.loaded_body.faces
        view.show_scene(frame, view.rgb, overlay_scene(recon, frame, faces, vertices, self.style))
        self._set_note("")  # the full body can arrive before the proxy: "posing the bodies…" is over either way

    def _posed_more(self) -> None:
        """A chunk of the sequence was posed (or posing turned out impossible): the frame on screen may now get
        its bodies."""
        if self._view.can_draw_meshes and self._view.scene is None and not self._playback.playing:
            self._restyle()

    def _pose_sequence(self, *_: object) -> None:
        if self._view.can_draw_meshes:
            self.poser.pose(self._doc.shown_reconstruction, self._doc.frame)

    def _overlay_request(self, frame: int, rgb: Optional[np.ndarray]) -> OverlayRequest:
        """Meshes in the 3D view too when paused and the view is shown (during playback it draws skeletons)."""
        orbit = None if self._playback.playing or not self._orbit.isVisible() else self._orbit.orbit
        return OverlayRequest(self._doc.shown_reconstruction, frame, self.style, rgb, orbit)

    def _overlay_ready(self, request: OverlayRequest, overlay: OverlayImage) -> None:
        self.last_overlay_request = request
        self._latency = 0.7 * self._latency + 0.3 * (time.perf_counter() - request.submitted)
        if not request.composite:
            self._orbit.set_mesh_image(overlay.orbit_image)
            return
        if self._overlay_wanted():
            self._view.set_frame(overlay.frame, overlay.image, composited=True)
        self._orbit.set_joints(overlay.joints, self.style.visible)
        self._orbit.set_mesh_image(overlay.orbit_image)
        self._set_note(overlay.note)

    def _set_note(self, note: str) -> None:
        if note != self.note:
            if note:
                (log.info if note == POSING_NOTE else log.warning)("overlay: %s", note)
            self.note = note
            self._view.set_note(note)
            self.noteChanged.emit(note)

    def _restyle(self) -> None:
        """Re-composite the frame on screen after a style change, without decoding it again."""
        decoded = self.last_decoded
        if self._overlay_wanted() and decoded is not None and decoded.index == self._doc.frame:
            if self._gl_meshes():
                self._show_gl(decoded.index, decoded.rgb)
            else:
                self.overlay_worker.submit(self._overlay_request(decoded.index, decoded.rgb))
        else:
            self.request()

    def _playing_changed(self, playing: bool) -> None:
        """Lower overlay resolution while playing (fluid), full resolution when paused (sharp)."""
        self.set_style(scale=self.playing_scale if playing else 1.0)

"""Overlay video: the source footage with the people drawn over it, as H.264 MP4 at the source size and rate.

Frames are decoded with OpenCV (its frame seek was exact on every file tried, ENVIRONMENT.md) and encoded with
``inference.render.Mp4Writer`` (PyAV libx264; pip OpenCV has no H.264 encoder). The people are drawn by
``inference.render``: their skinned meshes through ``OverlayRenderer`` when an offscreen GL context can be made,
else projected stick figures (``SkeletonOverlay``), in the app's colours for A and B. Meshes are posed in chunks
so memory stays flat for long videos. The file appears only when complete: frames go to a temporary file that
replaces the target at the end and is removed on cancel or error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Protocol, Sequence

import numpy as np
import torch

from ..motion import PERSON_IDS, Camera, Reconstruction
from ..io.atomic import atomic_path
from ..video import VideoReader
from .progress import Progress
from .tracks import Bodies, ExportError, body_for

_CHUNK = 64  # frames posed at a time: 2 people × 64 × 10k vertices ≈ 15 MB


class FrameDrawer(Protocol):
    def __call__(self, image: np.ndarray, frame: int) -> np.ndarray:
        """Return ``image`` (H, W, 3 uint8 RGB) with the people of reconstruction frame ``frame`` drawn over it."""

    def close(self) -> None: ...


class _Posed:
    """World vertices (or joints) of the chosen people, posed ``_CHUNK`` frames at a time as frames are asked."""

    def __init__(self, recon: Reconstruction, bodies: Bodies, people: Sequence[str], joints_only: bool) -> None:
        self.recon, self.bodies, self.people, self.joints_only = recon, bodies, tuple(people), joints_only
        self._start = -1
        self._chunk: list[Optional[np.ndarray]] = []

    def __call__(self, frame: int) -> list[Optional[np.ndarray]]:
        """Per person in A, B order: ``(V, 3)`` / ``(22, 3)`` at ``frame``, or ``None`` when not exported."""
        start = frame - frame % _CHUNK
        if start != self._start:
            sl = slice(start, min(start + _CHUNK, self.recon.num_frames))
            self._chunk = []
            for pid in PERSON_IDS:
                if pid not in self.people:
                    self._chunk.append(None)
                    continue
                with torch.no_grad():
                    out = body_for(self.bodies, pid).pose_motion(self.recon.person(pid), sl)
                self._chunk.append((out.joints if self.joints_only else out.vertices).cpu().numpy())
            self._start = start
        return [None if c is None else c[frame - start] for c in self._chunk]


class OverlayDrawer:
    """Draws through ``inference.render``: GL meshes when available (or forced), else stick figures."""

    def __init__(self, recon: Reconstruction, bodies: Bodies, people: Sequence[str],
                 use_gl: Optional[bool] = None) -> None:
        from ..render import OverlayRenderer, gl_available
        from ..render.skeleton2d import SkeletonOverlay

        if recon.camera is None:
            raise ExportError("camera: the overlay needs the reconstruction's camera")
        self.camera: Camera = recon.camera
        self.meshes = gl_available() if use_gl is None else use_gl
        w, h = self.camera.width, self.camera.height
        faces = body_for(bodies, people[0]).faces  # people's models share one topology (one model family)
        self._renderer = (OverlayRenderer(w, h, faces, num_people=len(PERSON_IDS)) if self.meshes
                          else SkeletonOverlay(w, h))
        self._posed = _Posed(recon, bodies, people, joints_only=not self.meshes)

    def __call__(self, image: np.ndarray, frame: int) -> np.ndarray:
        cam = self.camera
        return self._renderer.render(image, self._posed(frame), cam.K, cam.R[frame], cam.t[frame])

    def close(self) -> None:
        if self.meshes:
            self._renderer.close()


def write_overlay_video(recon: Reconstruction, video: Path, out: Path, frames: range, drawer: FrameDrawer,
                        progress: Progress) -> Path:
    from ..render.video_writer import Mp4Writer

    with VideoReader(video, cache_bytes=0) as reader:  # sequential read: nothing worth caching
        width, height = reader.width, reader.height
        if reader.num_frames < frames.stop:
            raise ExportError(f"{video}: has {reader.num_frames} frames, the export needs frames up to {frames.stop}")
        if recon.camera is not None and (recon.camera.width, recon.camera.height) != (width, height):
            raise ExportError(f"{video}: is {width}×{height}, the reconstruction's camera "
                              f"{recon.camera.width}×{recon.camera.height}")
        pad = ((0, height % 2), (0, width % 2), (0, 0))  # yuv420p needs even sizes: repeat the last row/column
        with atomic_path(out) as tmp, \
                Mp4Writer(tmp, width + width % 2, height + height % 2, recon.fps, crf=18, preset="veryfast") as writer:
            for i, (f, rgb) in enumerate(zip(frames, reader.frames(frames.start, frames.stop))):
                progress.step(i, len(frames))
                rgb = drawer(np.array(rgb), f)
                writer.write(np.pad(rgb, pad, mode="edge") if any(p[1] for p in pad) else rgb)
        progress.step(len(frames), len(frames))
    return out

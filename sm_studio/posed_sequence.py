"""Every frame of both people posed once, in the background, after each edit: what playback draws.

Posing on demand stalled playback for 27–73 ms every 32 frames (a chunk of meshes posed on the render thread).
Here a background thread poses the whole motion in chunks as soon as it changes — starting at the playhead, then
onwards, then wrapping round — and keeps, for each frame, the playback proxy's vertices (see
:mod:`inference.render.proxy_mesh`) and the 22 joints. Proxy vertices are stored as float16 offsets from their
per-frame centroid (±2 m at ~1 mm steps) with int8 normals, so ten minutes at 30 fps take ~0.65 GB instead of
4 GB of full meshes.
Motions short enough (:data:`FULL_BODY_BUDGET`, ~80 s) keep the full meshes too, so a paused frame shows the full
body at once; for longer ones it comes from :class:`FullBodyWorker`, on demand.

Reconstructions are immutable values (an edit makes a new one), so results are keyed by identity: a lookup with
an older motion returns nothing instead of a mix of poses.
"""

from __future__ import annotations

import logging
import threading
from typing import Optional

import numpy as np
import torch
from PySide6.QtCore import QObject, Signal

from inference.body.base import BodyModel
from inference.motion import Reconstruction
from inference.render.normals import VertexNormals
from inference.render.proxy_mesh import ProxyMesh, proxy_mesh

from .latest_worker import LatestOnlyWorker
from .posed_bodies import VertexCache, load_default_body

log = logging.getLogger(__name__)

PROXY_VERTICES = 2000
CHUNK = 32
FULL_BODY_BUDGET = 256 * 2**20  # bytes: full meshes are kept too for motions up to ~80 s (9k vertices)


class _Posed:
    """The arrays of one motion, filled chunk by chunk by the posing thread, read by the GUI thread."""

    def __init__(self, recon: Reconstruction, proxy: ProxyMesh, num_vertices: int) -> None:
        n, p = recon.num_frames, len(proxy.vertex_ids)
        self.recon = recon
        self.offsets = np.zeros((2, n, p, 3), np.float16)
        self.normals = np.zeros((2, n, p, 3), np.int8)  # unit normals × 127: shading needs no more
        full_bytes = 2 * n * num_vertices * 3 * 2
        self.full_offsets = np.zeros((2, n, num_vertices, 3), np.float16) if full_bytes <= FULL_BODY_BUDGET else None
        self.centroids = np.zeros((2, n, 3), np.float32)
        self.joints = np.zeros((2, n, 22, 3), np.float32)
        self.ready = np.zeros(n, bool)


class SequencePoser(QObject):
    """``pose(recon)`` starts (and supersedes); ``proxy_vertices``/``joints`` answer for posed frames.
    ``progressed`` is emitted (from the posing thread) when a chunk is ready."""

    progressed = Signal()

    def __init__(self, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self._body: Optional[BodyModel] = None
        self.note = ""  # why nothing can be posed ("" when bodies can)
        self.proxy: Optional[ProxyMesh] = None
        self._proxy_normals: Optional[VertexNormals] = None
        self._current: Optional[_Posed] = None
        self._wanted: Optional[Reconstruction] = None
        self._done: list[_Posed] = []  # the last two motions posed in full: before/after a candidate toggle
        self._generation = 0
        self._thread: Optional[threading.Thread] = None  # ONE posing thread for the poser's life (not one per
        self._wake = threading.Condition()  # edit: fewer threads, fewer malloc arenas for big arrays)
        self._job: Optional[tuple[Reconstruction, int, int]] = None  # motion, start frame, generation
        self._stopped = False
        self._body_lock = threading.Lock()

    @property
    def available(self) -> bool:
        """False once loading the body model failed (:attr:`note` says why); never loads it."""
        return not self.note

    @property
    def loaded_body(self) -> Optional[BodyModel]:
        """The body model if the posing thread has loaded it yet (never waits for it)."""
        return self._body

    @property
    def body(self) -> Optional[BodyModel]:
        """The body model, loaded on first use (by the posing thread; ``None`` with :attr:`note` set when there
        is none)."""
        with self._body_lock:
            if self._body is None and not self.note:
                self._body, self.note = load_default_body()
                if self._body is not None:
                    with torch.no_grad():
                        rest = self._body.rest(torch.zeros(self._body.num_betas))[0].numpy()
                    self.proxy = proxy_mesh(rest, self._body.faces, PROXY_VERTICES)
                    self._proxy_normals = VertexNormals(self.proxy.faces, len(self.proxy.vertex_ids))
            return self._body

    def pose(self, recon: Optional[Reconstruction], start_frame: int = 0) -> None:
        """Pose ``recon`` from the chunk holding ``start_frame`` on (GUI thread); a newer call supersedes."""
        if recon is self._wanted:
            return
        self._wanted = recon
        self._generation += 1
        self._current = next((posed for posed in self._done if posed.recon is recon), None)
        if recon is not None and self._current is None:
            with self._wake:
                self._job = (recon, start_frame, self._generation)
                self._wake.notify()
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="sequence-poser", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Abandon the motion being posed and end the thread (after its current chunk)."""
        with self._wake:
            self._generation += 1
            self._stopped = True
            self._job = None
            self._wake.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _serve(self) -> None:
        while True:
            with self._wake:
                while self._job is None and not self._stopped:
                    self._wake.wait()
                if self._stopped:
                    return
                job, self._job = self._job, None
            self._run(*job)

    def _run(self, recon: Reconstruction, start_frame: int, generation: int) -> None:
        body = self.body
        if body is None or self.proxy is None:
            self.progressed.emit()  # nothing will be posed: the pipeline falls back to the overlay thread
            return
        if generation != self._generation:
            return
        posed = _Posed(recon, self.proxy, body.num_vertices)
        self._current = posed
        n = recon.num_frames
        first = min(max(start_frame, 0), n - 1) // CHUNK
        count = (n + CHUNK - 1) // CHUNK
        try:
            for k in range(count):
                if generation != self._generation:
                    return  # superseded by an edit: the newer job is waiting
                start = ((first + k) % count) * CHUNK
                self._pose_chunk(body, posed, slice(start, min(start + CHUNK, n)))
                self.progressed.emit()
            self._done = [posed, *self._done[:1]]
        except Exception:  # a motion the body cannot pose: playback then shows the video without bodies
            log.exception("posing the sequence failed")

    def _pose_chunk(self, body: BodyModel, posed: _Posed, frames: slice) -> None:
        ids = torch.as_tensor(self.proxy.vertex_ids)  # type: ignore[union-attr]
        for i, person in enumerate(posed.recon.people):
            out = body.pose_motion(person, frames)
            full = out.vertices.to(torch.float32).numpy()
            verts = full[:, ids.numpy()]
            centroid = verts.mean(1)
            posed.centroids[i, frames] = centroid
            posed.offsets[i, frames] = verts - centroid[:, None]
            posed.normals[i, frames] = np.round(self._proxy_normals(verts) * 127)
            if posed.full_offsets is not None:
                posed.full_offsets[i, frames] = full - centroid[:, None]
            posed.joints[i, frames] = out.joints.to(torch.float32).numpy()
        posed.ready[frames] = True

    def _posed(self, recon: Optional[Reconstruction], frame: int) -> Optional[_Posed]:
        posed = self._current
        if posed is None or posed.recon is not recon or not 0 <= frame < len(posed.ready) or not posed.ready[frame]:
            return None
        return posed

    def proxy_vertices(self, recon: Optional[Reconstruction], frame: int) -> Optional[list[np.ndarray]]:
        """Per person ``(P, 3)`` float32 world positions of the proxy at ``frame``, or ``None`` if not posed yet."""
        posed = self._posed(recon, frame)
        if posed is None:
            return None
        return [posed.offsets[i, frame].astype(np.float32) + posed.centroids[i, frame] for i in range(2)]

    def proxy_normals(self, recon: Optional[Reconstruction], frame: int) -> Optional[list[np.ndarray]]:
        """Per person ``(P, 3)`` vertex normals of the proxy at ``frame`` (posed with it, so drawing computes none),
        or ``None`` if not posed yet."""
        posed = self._posed(recon, frame)
        return None if posed is None else [posed.normals[i, frame].astype(np.float32) / 127 for i in range(2)]

    def full_vertices(self, recon: Optional[Reconstruction], frame: int) -> Optional[list[np.ndarray]]:
        """Per person ``(V, 3)`` full-body positions at ``frame`` when this motion is short enough to keep them
        (:data:`FULL_BODY_BUDGET`) and the frame is posed; else ``None`` (ask :class:`FullBodyWorker`)."""
        posed = self._posed(recon, frame)
        if posed is None or posed.full_offsets is None:
            return None
        return [posed.full_offsets[i, frame].astype(np.float32) + posed.centroids[i, frame] for i in range(2)]

    def joints(self, recon: Optional[Reconstruction], frame: int) -> Optional[np.ndarray]:
        """``(2, 22, 3)`` world joints at ``frame``, or ``None`` if not posed yet."""
        posed = self._posed(recon, frame)
        return None if posed is None else posed.joints[:, frame].copy()


class FullBodyWorker(LatestOnlyWorker):
    """The full body for a paused frame: ``submit((recon, frame))`` → ``resultReady(request, [verts_A, verts_B])``."""

    def __init__(self, body: BodyModel) -> None:
        super().__init__("full-body-poser")
        self._vertices = VertexCache(body)

    def handle(self, request: tuple[Reconstruction, int]) -> list[np.ndarray]:
        recon, frame = request
        return self._vertices.vertices(recon, min(max(frame, 0), recon.num_frames - 1))

"""Qt-free geometry for editing bodies on screen: posed joints of a motion, a view's camera, picking a joint
under the mouse and turning a drag into a world position.

Why one camera type for both views: the video view shows the footage through the reconstruction's camera and the
3D view through its orbit camera; both are a pinhole (``K``, ``R``, ``t``) followed by a scale and offset into the
widget, so picking and dragging are written once and tested without a window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from inference.body.base import BodyModel
from inference.edit.pins import PINNABLE
from inference.engine.bodies import pair_rest_joints
from inference.engine.window_io import recon_joints
from inference.motion import Reconstruction
from inference.skeleton import JOINT_INDEX

PICK_RADIUS = 14.0  # widget pixels within which a click picks a joint
PICKABLE = tuple(JOINT_INDEX[n] for n in PINNABLE)


class PosedJoints:
    """World joints ``(T, 2, 22, 3)`` of a motion, as the engine computes them, cached by motion identity
    (motions are immutable values in the app). The body model loads on first use."""

    def __init__(self, body: Optional[BodyModel] = None, capacity: int = 4) -> None:
        self._body = body
        self._capacity = capacity
        self._entries: list[tuple[Reconstruction, np.ndarray]] = []

    @property
    def body(self) -> BodyModel:
        if self._body is None:
            from inference.body import load_body_model

            self._body = load_body_model(device="cpu")
        return self._body

    def joints(self, recon: Reconstruction) -> np.ndarray:
        for r, j in self._entries:
            if r is recon:
                return j
        out = recon_joints(recon, pair_rest_joints(recon, self.body))
        self._entries.insert(0, (recon, out))
        del self._entries[self._capacity:]
        return out


@dataclass(frozen=True)
class ViewCamera:
    """Pinhole ``K``, ``R``, ``t`` (world → camera, OpenCV axes), then widget = ``offset + scale * pixel``."""

    K: np.ndarray
    R: np.ndarray
    t: np.ndarray
    scale: tuple[float, float] = (1.0, 1.0)
    offset: tuple[float, float] = (0.0, 0.0)

    def to_widget(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World ``(N, 3)`` → widget ``(N, 2)`` and a mask of points in front of the camera."""
        cam = np.asarray(points, np.float64) @ self.R.T + self.t
        z = cam[:, 2]
        uv = (cam / np.where(z > 1e-3, z, 1e-3)[:, None]) @ self.K.T
        return uv[:, :2] * np.asarray(self.scale) + np.asarray(self.offset), z > 0.05

    def from_widget(self, pos: tuple[float, float], at: np.ndarray) -> np.ndarray:
        """The world point under widget position ``pos`` at the camera depth of world point ``at`` (a drag
        moves a joint parallel to the image plane)."""
        pixel = (np.asarray(pos, np.float64) - np.asarray(self.offset)) / np.asarray(self.scale)
        depth = float((self.R @ np.asarray(at, np.float64) + self.t)[2])
        ray = np.linalg.solve(self.K, np.array([pixel[0], pixel[1], 1.0]))
        return self.R.T @ (ray / ray[2] * depth - self.t)


def nearest_joint(camera: ViewCamera, joints: np.ndarray, pos: tuple[float, float],
                  visible: tuple[bool, bool] = (True, True), radius: float = PICK_RADIUS,
                  candidates: tuple[int, ...] = PICKABLE) -> Optional[tuple[int, int]]:
    """(person, joint) of the candidate joint of ``joints`` ``(2, 22, 3)`` nearest ``pos`` within ``radius``
    widget pixels, the one nearer the camera winning ties; ``None`` when none is that close."""
    best, best_key = None, (radius, np.inf)
    for person in range(2):
        if not visible[person]:
            continue
        px, ok = camera.to_widget(joints[person, list(candidates)])
        depth = joints[person, list(candidates)] @ camera.R[2] + camera.t[2]
        for k, joint in enumerate(candidates):
            dist = float(np.hypot(*(px[k] - pos)))
            key = (round(dist, 1), float(depth[k]))
            if ok[k] and dist <= radius and key < best_key:
                best, best_key = (person, joint), key
    return best

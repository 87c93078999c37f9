"""Shared by the export tests: a small real body model and a motion that exercises the hard cases.

``StickBody`` implements the ``BodyModel`` interface with a box per bone (blended weights at each joint) on an
SMPL-X-proportioned T-pose skeleton, so the skinned export paths are tested before (and independently of) the
shipped free body. The motion turns the root through more than a full turn of yaw (Euler unwrapping, gimbal
lock at ±90° yaw for FBX's XYZ order) and bends every joint.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Optional

import av
import numpy as np
import torch
from torch import Tensor

from inference.body.base import BodyModel, BodyOutput
from inference.body.kinematics import forward_kinematics, skin
from inference.motion import Camera, PersonMotion, Reconstruction
from inference.rotations import axis_angle_to_matrix
from inference.skeleton import BODY_PARENTS

READERS = Path(__file__).parent / "readers"
ROOT = Path(__file__).resolve().parents[1]

# T-pose rest joints (metres, +Y up, facing +Z, the person's left on +X), roughly SMPL-X proportions.
_REST = np.array([
    [0.0, 0.93, 0.0], [0.06, 0.84, 0.0], [-0.06, 0.84, 0.0], [0.0, 1.04, -0.01], [0.10, 0.46, 0.0],
    [-0.10, 0.46, 0.0], [0.0, 1.18, 0.0], [0.09, 0.06, -0.03], [-0.09, 0.06, -0.03], [0.0, 1.24, 0.01],
    [0.11, 0.01, 0.10], [-0.11, 0.01, 0.10], [0.0, 1.45, -0.01], [0.07, 1.37, 0.0], [-0.07, 1.37, 0.0],
    [0.0, 1.55, 0.03], [0.18, 1.40, -0.01], [-0.18, 1.40, -0.01], [0.43, 1.40, -0.02], [-0.43, 1.40, -0.02],
    [0.68, 1.40, 0.0], [-0.68, 1.40, 0.0],
])
_BOX = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], np.float64)
_BOX_FACES = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                       [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])


class StickBody(BodyModel):
    """A box around each bone; betas[0] scales the whole skeleton by ``1 + 0.05 * betas[0]``."""

    name = "stick"

    def __init__(self) -> None:
        verts, faces, weights = [], [], []
        for j in range(1, len(BODY_PARENTS)):
            p = int(BODY_PARENTS[j])
            a, b = _REST[p], _REST[j]
            for k, corner in enumerate(_BOX):
                end = b if corner[0] > 0 else a
                verts.append(end + 0.02 * np.array([0.0, corner[1], corner[2]]) + 0.01 * corner[0])
                w = np.zeros(len(BODY_PARENTS))
                if corner[0] > 0:
                    w[p], w[j] = 0.5, 0.5
                else:
                    w[p] = 1.0
                weights.append(w)
            faces.append(_BOX_FACES + 8 * (j - 1))
        self._verts = np.array(verts)
        self._faces = np.concatenate(faces)
        self._weights = np.array(weights)
        self._device = torch.device("cpu")

    @property
    def faces(self) -> np.ndarray:
        return self._faces

    @property
    def skin_weights(self) -> np.ndarray:
        return self._weights

    @property
    def num_betas(self) -> int:
        return 10

    @property
    def device(self) -> torch.device:
        return self._device

    def to(self, device: "str | torch.device") -> "StickBody":
        return self

    def rest(self, betas: Tensor) -> tuple[Tensor, Tensor]:
        s = 1.0 + 0.05 * float(self.fit_betas(betas)[0])
        return torch.as_tensor(s * self._verts, dtype=torch.float32), torch.as_tensor(s * _REST, dtype=torch.float32)

    def forward(self, global_orient: Tensor, body_pose: Tensor, transl: Tensor, betas: Tensor,
                left_hand_pose: Optional[Tensor] = None, right_hand_pose: Optional[Tensor] = None) -> BodyOutput:
        rest_v, rest_j = self.rest(betas)
        rot = axis_angle_to_matrix(torch.cat([global_orient[:, None], body_pose], 1))
        joints, transforms = forward_kinematics(rot, rest_j, transl)
        verts = skin(rest_v, rest_j, torch.as_tensor(self._weights, dtype=torch.float32), transforms)
        return BodyOutput(vertices=verts, joints=joints, joint_transforms=transforms)


def make_person(num_frames: int, seed: int, x_offset: float) -> PersonMotion:
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, num_frames)[:, None]
    yaw = 2.4 * np.pi * t[:, 0]  # more than a full turn: crosses ±90° and ±180°
    orient = np.stack([0.3 * np.sin(3 * yaw), yaw, 0.2 * np.cos(2 * yaw)], -1)
    phase = rng.uniform(0, 2 * np.pi, (1, 21, 3))
    amp = rng.uniform(0.2, 0.9, (1, 21, 3))
    body_pose = amp * np.sin(2 * np.pi * 1.5 * t[:, :, None] + phase)
    transl = np.concatenate([x_offset + 0.5 * t, 0.05 * np.sin(6 * t), -0.8 * t], 1)
    betas = np.zeros(10)
    betas[0] = rng.uniform(-2, 2)
    return PersonMotion(global_orient=orient, body_pose=body_pose, transl=transl, betas=betas)


def make_recon(num_frames: int = 24, fps: float = 25.0) -> Reconstruction:
    return Reconstruction(people=(make_person(num_frames, 1, -0.4), make_person(num_frames, 2, 0.4)), fps=fps)


VIDEO_W, VIDEO_H, VIDEO_FPS, VIDEO_T = 320, 240, 25.0, 20


def footage(path: Path) -> None:
    """``VIDEO_T + 5`` flat grey frames (brightness 90 + frame index) of H.264, for overlay tests."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(VIDEO_FPS))
        stream.width, stream.height, stream.pix_fmt = VIDEO_W, VIDEO_H, "yuv420p"
        for i in range(VIDEO_T + 5):
            img = np.full((VIDEO_H, VIDEO_W, 3), 90 + i, np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        container.mux(stream.encode())


def filmed_recon() -> Reconstruction:
    """``make_recon`` seen by a camera that frames both people in the ``footage`` image."""
    recon = make_recon(VIDEO_T, VIDEO_FPS)
    R = np.diag([1.0, -1.0, -1.0])  # looking along world −Z, image y down
    cam = Camera.from_fov(VIDEO_W, VIDEO_H, 60.0, VIDEO_T, R=R, t=np.array([0.0, 1.0, 4.5]))
    return Reconstruction(recon.people, recon.fps, cam)


@dataclass(frozen=True)
class VideoStreamInfo:
    """What the tests check of a written video stream, read while its container is open (PyAV ≥ 18.1 refuses
    reads from a stream whose container has been closed)."""

    width: int
    height: int
    average_rate: Fraction
    codec: str


def read_video(path: Path) -> tuple[list[np.ndarray], VideoStreamInfo]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        return frames, VideoStreamInfo(stream.width, stream.height, stream.average_rate, stream.codec_context.name)


def reference_joints(recon: Reconstruction, body: BodyModel, person: str, up: str = "y",
                     units: str = "m") -> np.ndarray:
    """(T, 22, 3) world joints of the stored motion posed by the shared FK, then put in the file's frame.

    Computed from the Reconstruction directly (not from the exporter's tracks), so a conversion bug in the
    exporter cannot cancel out."""
    p = recon.person(person)
    _, rest_j = body.rest(torch.as_tensor(p.betas, dtype=torch.float32))
    rot = axis_angle_to_matrix(torch.as_tensor(p.pose_axis_angle(), dtype=torch.float64))
    joints, _ = forward_kinematics(rot, rest_j.double(), torch.as_tensor(p.transl, dtype=torch.float64))
    joints = joints.numpy()
    if up == "z":
        joints = np.stack([joints[..., 0], -joints[..., 2], joints[..., 1]], -1)
    return joints * (100.0 if units == "cm" else 1.0)


def run_reader(script: str, *args: str, python: str = sys.executable, timeout: float = 120) -> dict:
    """Run ``tests/readers/<script>`` in a subprocess (third-party readers may crash the interpreter) → JSON."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([python, str(READERS / script), *args], capture_output=True, text=True,
                          timeout=timeout, env=env)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise AssertionError(f"{script} failed (rc {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])

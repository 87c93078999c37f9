"""Real inputs for the app tests: a two-person reconstruction with simple poses and an OpenCV-written video whose
frames carry their own index as a row of black/white blocks, so a test can check that a seek showed the exact
frame it asked for (codec noise does not flip a 16-pixel block)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from inference.motion import Camera, PersonMotion, Reconstruction
from inference.segments import Segment, SegmentKind, TextVersion

INDEX_BITS = 10
BLOCK = 16


def make_reconstruction(num_frames: int = 60, fps: float = 30.0, width: int = 320, height: int = 240) -> Reconstruction:
    """Two people 1 m apart facing each other, waving their arms; person B is unreliable in frames 20–35."""
    t = np.arange(num_frames, dtype=np.float32) / fps
    people = []
    for i, x in enumerate((-0.5, 0.5)):
        body = np.zeros((num_frames, 21, 3), np.float32)
        body[:, 15, 2] = -1.0 + 0.5 * np.sin(2 * np.pi * t + i)  # left shoulder (index 16 - 1)
        body[:, 16, 2] = 1.0 - 0.5 * np.sin(2 * np.pi * t + i)
        orient = np.zeros((num_frames, 3), np.float32)
        orient[:, 1] = np.pi / 2 if i == 0 else -np.pi / 2
        transl = np.zeros((num_frames, 3), np.float32)
        transl[:, 0] = x
        transl[:, 1] = 0.9
        rel = np.ones(num_frames, np.float32)
        if i == 1:
            rel[20:36] = 0.2
        people.append(PersonMotion(orient, body, transl, np.zeros(10, np.float32), reliability=rel))
    # OpenCV camera (y down, z forward) 4 m in front of the pair, looking at them along world -Z
    cam = Camera.from_fov(width, height, 60.0, num_frames, R=np.diag([1.0, -1.0, -1.0]), t=np.array([0.0, 0.9, 4.0]))
    return Reconstruction(tuple(people), fps, cam)


def make_segments() -> list[Segment]:
    return [
        Segment(20, 36, "B", SegmentKind.OCCLUDED, (TextVersion("A hugs B from the front.", "test-model"),)),
        Segment(45, 52, "A", SegmentKind.AMBIGUOUS),
    ]


def write_video(path: Path, num_frames: int = 60, fps: float = 30.0, width: int = 320, height: int = 240) -> Path:
    """An MJPG AVI (pip OpenCV writes it everywhere) with the frame index encoded in the top-left blocks."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened(), "OpenCV could not open an MJPG writer"
    for n in range(num_frames):
        img = np.full((height, width, 3), 90, np.uint8)
        for b in range(INDEX_BITS):
            if n >> b & 1:
                img[0:BLOCK, b * BLOCK:(b + 1) * BLOCK] = 255
            else:
                img[0:BLOCK, b * BLOCK:(b + 1) * BLOCK] = 0
        writer.write(img)
    writer.release()
    return path


def frame_index(rgb: np.ndarray) -> int:
    """Read back the index written by :func:`write_video` from an RGB (or BGR) frame."""
    n = 0
    for b in range(INDEX_BITS):
        block = rgb[2:BLOCK - 2, b * BLOCK + 2:(b + 1) * BLOCK - 2]
        if block.mean() > 128:
            n |= 1 << b
    return n


def tiny_engine_backend(steps: int = 8):
    """The real engine's infiller (DDIM sampling with inpainting, progress and cancel between steps) driven by a
    tiny *untrained* network: it exercises the job machinery at test speed; its output quality means nothing."""
    import torch

    from inference.engine import InfillOptions, infill_segment
    from inference.engine.denoiser import DenoiserConfig, MotionDenoiser
    from sm_studio.motion_backends import MotionBackend, find_backend

    torch.manual_seed(0)
    config = DenoiserConfig(width=32, layers=1, heads=2, text_dim=0, diffusion_steps=max(20, steps))
    model = MotionDenoiser(config).eval()
    options = InfillOptions(steps=steps, use_text=False, guidance_iterations=0, final_iterations=0, prior="network")

    def infill(recon, seg, text, progress, cancel, device="cpu", contacts=None, pins=()):  # constraints unused
        return infill_segment(recon, seg, text, options, progress=progress, cancel=cancel, model=model)
    fallback = find_backend()
    return MotionBackend(infill, fallback.refine, "tiny untrained infiller (test)", fallback.refine_label)


def open_test_window(qtbot, tmp_path: Path):
    """The real main window with settings and recovery file isolated in ``tmp_path`` and the tiny engine backend."""
    from PySide6.QtCore import QSettings

    from sm_studio.app_settings import AppSettings
    from sm_studio.main_window import MainWindow

    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    w = MainWindow(settings, backend=tiny_engine_backend(), recovery_path=tmp_path / "recovery.smsession")
    w.confirm_close = False
    qtbot.addWidget(w)
    return w


def wait_idle(qtbot, w, timeout: int = 20000) -> None:
    """Until no job runs and no file waits to be opened."""
    qtbot.waitUntil(lambda: not w.job_bar.busy and not w.files.queue, timeout=timeout)

"""Evaluation of the monocular fit on generated clips: noisy, partly hidden 2D keypoints in, errors out.

Errors are measured in the camera frame (what a single view determines): MPJPE (root-aligned), PA-MPJPE,
absolute root error, and the error of B's placement relative to A, each for the fit and for its initialisation.
"""

from __future__ import annotations

import time
from typing import Optional

import numpy as np

from ..body.base import BodyModel
from ..motion import Reconstruction
from ..generator import generate_clip
from . import metrics
from .fit import FitConfig, camera_joints, fit_two_people
from .synthetic import synthetic_keypoints


def scores(pred: list[np.ndarray], truth: list[np.ndarray]) -> dict[str, float]:
    return {
        "mpjpe_mm": float(np.mean([metrics.mpjpe(p, t) for p, t in zip(pred, truth)])),
        "pa_mpjpe_mm": float(np.mean([metrics.pa_mpjpe(p, t) for p, t in zip(pred, truth)])),
        "root_mm": float(np.mean([metrics.root_error(p, t) for p, t in zip(pred, truth)])),
        "relative_mm": metrics.relative_error(pred[0], pred[1], truth[0], truth[1]),
    }


def evaluate_clip(kind: str, seed: int, noise_px: float, known_intrinsics: bool = True, seconds: float = 3.0,
                  fps: float = 30.0, body: Optional[BodyModel] = None,
                  config: Optional[FitConfig] = None) -> dict[str, object]:
    if body is None:
        from ..body import load_body_model

        body = load_body_model()
    clip = generate_clip(kind, seed, seconds=seconds, fps=fps)
    recon = clip.reconstruction
    cam = recon.camera
    gt = {0: clip.joints["A"], 1: clip.joints["B"]}
    kp, hidden = synthetic_keypoints(gt, cam, noise_px, seed=seed)
    start = time.perf_counter()
    result = fit_two_people(kp, cam.width, cam.height, fps, K=cam.K if known_intrinsics else None, body=body,
                            config=config)
    elapsed = time.perf_counter() - start
    truth = [np.einsum("tij,tnj->tni", cam.R, gt[p]) + cam.t[:, None] for p in range(2)]
    return {"kind": kind, "seed": seed, "noise_px": noise_px, "known_intrinsics": known_intrinsics,
            "frames": recon.num_frames, "hidden_share": float(hidden.mean()), "fit_seconds": elapsed,
            "fit": scores(camera_joints(result.reconstruction, body), truth),
            "init": scores(camera_joints(result.initial, body), truth)}

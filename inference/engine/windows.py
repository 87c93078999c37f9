"""Training windows: a clean two-person window, a realistic occlusion mask and a corrupted "estimate" of it.

What a monocular estimator gets wrong is what the networks must learn to fix, so the corruption follows it:

* **occlusion** (both roles): one person hidden for 0.3–2 s, sometimes both for part of that time, and short
  partial-limb occlusions; hidden frames are *untrusted*;
* **estimation noise** on every frame: white jitter of the joint rotations and the pelvis;
* untrusted spans carry a smooth wrong offset (a failed estimate, or for the refiner an infilled guess that
  differs from the truth, with seams at its borders);
* for the **refiner** only (its input is a whole sequence after infilling): person B's placement drifts slowly
  relative to A.

For the infiller the target of trusted entries is the estimate itself: those frames are kept as they are at
sampling time, and the network must continue *them*, noise included.

Everything is expressed in the pair frame (anchored like at inference, on the *estimate*), encoded as features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
from torch import Tensor

from ..rotations import axis_angle_to_matrix, rot6d_to_matrix
from .dataset import MotionClip
from .base_motion import base_motion
from .pair_frame import encode, pair_frame_for, to_pair_frame

TEXT_DROP = 0.15  # share of samples trained without text (classifier-free guidance)


@dataclass
class Batch:
    target: Tensor  # (B, T, 2, F) clean features, pair frame
    observed: Tensor  # (B, T, 2, F) corrupted estimate, same frame
    trusted: Tensor  # (B, T, 2) float {0, 1}
    rest_joints: Tensor  # (B, 2, 22, 3)
    base: Tensor  # (B, T, 2, F) the motion the network corrects (base_motion.py)
    text: Optional[Tensor] = None  # (B, D)
    text_keep: Optional[Tensor] = None  # (B,)


def occlusion_mask(rng: np.random.Generator, frames: int, fps: float) -> np.ndarray:
    """``(T, 2)`` bool trusted mask with one main occlusion event and occasional partial ones."""
    trusted = np.ones((frames, 2), bool)
    hidden_person = int(rng.integers(2))
    length = int(np.clip(round(rng.uniform(0.3, 2.0) * fps), 3, max(3, frames - 6)))
    if rng.random() < 0.85:  # inside the window, with context on both sides
        start = int(rng.integers(3, max(4, frames - length - 2)))
    else:  # touching the window's start or end
        start = 0 if rng.random() < 0.5 else frames - length
    trusted[start:start + length, hidden_person] = False
    if rng.random() < 0.25:  # the other person is also hidden for part of it
        sub = int(rng.integers(1, length + 1))
        offset = int(rng.integers(0, length - sub + 1))
        trusted[start + offset:start + offset + sub, 1 - hidden_person] = False
    for _ in range(int(rng.integers(0, 3))):  # short partial-limb occlusions flagged by the detector
        n = int(rng.integers(2, 9))
        s = int(rng.integers(0, max(1, frames - n)))
        trusted[s:s + n, int(rng.integers(2))] = False
    return trusted


def smooth_noise(shape: tuple[int, ...], frames: int, spacing: int, generator: torch.Generator) -> Tensor:
    """Noise ``(B, T, *shape)`` that varies linearly between random knots every ``spacing`` frames."""
    batch = shape[0]
    knots = torch.randn(batch, int(np.prod(shape[1:])), frames // spacing + 2, generator=generator)
    smooth = torch.nn.functional.interpolate(knots, size=frames, mode="linear", align_corners=True)
    return smooth.permute(0, 2, 1).reshape(batch, frames, *shape[1:])


class WindowSampler:
    """Random training windows of ``window`` frames from ``clips`` for the ``role`` network."""

    def __init__(self, clips: list[MotionClip], role: str, window: int,
                 text_embeddings: Optional[dict[str, np.ndarray]] = None, seed: int = 0) -> None:
        self.clips = [c for c in clips if c.num_frames >= window]
        if not self.clips:
            raise ValueError(f"no training clip has {window} frames or more")
        self.role = role
        self.window = window
        self.text_embeddings = text_embeddings
        self.rng = np.random.default_rng(seed)
        self.generator = torch.Generator().manual_seed(seed)

    def sample(self, batch_size: int) -> Batch:
        w, rng, gen = self.window, self.rng, self.generator
        picks = [self.clips[int(i)] for i in rng.integers(len(self.clips), size=batch_size)]
        starts = [int(rng.integers(0, c.num_frames - w + 1)) for c in picks]
        rot6d = torch.as_tensor(np.stack([c.rot6d[s:s + w] for c, s in zip(picks, starts)]))
        pelvis = torch.as_tensor(np.stack([c.pelvis[s:s + w] for c, s in zip(picks, starts)]))
        trusted_np = np.stack([occlusion_mask(rng, w, c.fps) for c in picks])
        trusted = torch.as_tensor(trusted_np, dtype=torch.float32)
        clean = rot6d_to_matrix(rot6d)  # (B, T, 2, 22, 3, 3)

        rot_sigma = torch.empty(batch_size, 1, 1, 1, 1).uniform_(0.005, 0.04, generator=gen)
        pel_sigma = torch.empty(batch_size, 1, 1, 1).uniform_(0.002, 0.02, generator=gen)
        rot_noise = torch.randn(clean.shape[:-1], generator=gen) * rot_sigma
        pel_noise = torch.randn(pelvis.shape, generator=gen) * pel_sigma
        untrusted = (1 - trusted)[..., None, None]
        rot_noise = rot_noise + smooth_noise((batch_size, 2, 22, 3), w, 8, gen) * 0.12 * untrusted
        pel_noise = pel_noise + smooth_noise((batch_size, 2, 3), w, 8, gen) * 0.05 * untrusted[..., 0]
        if self.role == "refiner":
            drifting = torch.rand(batch_size, 1, 1, generator=gen) < 0.5
            drift = smooth_noise((batch_size, 3), w, 30, gen) * 0.05 * drifting
            drift[..., 1] = 0.0
            pel_noise[:, :, 1] = pel_noise[:, :, 1] + drift
        observed = clean @ axis_angle_to_matrix(rot_noise)
        observed_pelvis = pelvis + pel_noise

        frame = pair_frame_for(observed, observed_pelvis, trusted_np)
        target = encode(*to_pair_frame(clean, pelvis, frame))
        observed_features = encode(*to_pair_frame(observed, observed_pelvis, frame))
        if self.role == "infiller":  # trusted entries are kept as estimated at sampling time, so learn them so
            target = torch.where(trusted[..., None] > 0, observed_features, target)
        batch = Batch(target, observed_features, trusted, torch.as_tensor(np.stack([c.rest_joints for c in picks])),
                      base_motion(self.role, observed_features, trusted_np))
        if self.text_embeddings is not None:
            batch.text = torch.as_tensor(np.stack([self.text_embeddings[c.text] for c in picks]))
            keep = torch.rand(batch_size, generator=gen) >= TEXT_DROP
            batch.text_keep = keep.float() * torch.as_tensor([bool(c.text) for c in picks], dtype=torch.float32)
        return batch

"""Training windows: a clean two-person window, a realistic occlusion mask and a corrupted "estimate" of it.

What a monocular estimator gets wrong is what the networks must learn to fix, so the corruption follows it
(:func:`simulate_occlusion`):

* **occlusion**: one person hidden for 0.3–2.2 s, in about a third of windows both people over the same frames
  and in some others the second person over part of them; hidden frames are *untrusted*;
* **partial limbs**: an arm or a leg of one person estimated wrong for 0.1–0.7 s (a large smooth error of that
  limb's rotations only, the rest of the body as estimated). For the refiner the detector flags those frames
  (untrusted, to be fixed); for the infiller they are context it must carry on from, as at inference, where
  every frame outside the segment is kept whatever its reliability;
* **estimation noise** on every frame: white jitter of the joint rotations and the pelvis;
* untrusted spans carry a smooth wrong offset (a failed estimate, or for the refiner an infilled guess that
  differs from the truth, with seams at its borders), and sometimes a depth error: the pelvis pushed along one
  horizontal direction (a monocular estimate's worst axis) by up to 30 cm;
* for the **refiner** only (its input is a whole sequence after infilling): person B's placement drifts slowly
  relative to A.

For the infiller the target of trusted entries is the estimate itself: those frames are kept as they are at
sampling time, and the network must continue *them*, noise included.

Everything is expressed in the canonical pelvis convention (``root_convention.py``) and the pair frame (both read
from the *estimate*, as at inference), encoded as features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
from torch import Tensor

from ..rotations import axis_angle_to_matrix, rot6d_to_matrix
from ..skeleton import JOINT_INDEX
from .dataset import MotionClip
from .base_motion import base_motion
from .pair_frame import encode, pair_frame_for, to_pair_frame
from .root_convention import canonical, reparametrise

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


LIMBS = tuple(tuple(JOINT_INDEX[f"{side}_{j}"] for j in chain) for side in ("left", "right")
              for chain in (("shoulder", "elbow", "wrist"), ("hip", "knee", "ankle")))


@dataclass
class Occlusion:
    trusted: np.ndarray  # (T, 2) bool
    limbs: list[tuple[int, int, int, tuple[int, ...]]]  # (person, start, stop, rotation indices) estimated wrong


def simulate_occlusion(rng: np.random.Generator, frames: int, fps: float) -> Occlusion:
    """One main occlusion event (one person, or both) and 0–2 wrong limbs."""
    trusted = np.ones((frames, 2), bool)
    hidden_person = int(rng.integers(2))
    length = int(np.clip(round(rng.uniform(0.3, 2.2) * fps), 3, max(3, frames - 6)))
    if rng.random() < 0.85:  # inside the window, with context on both sides
        start = int(rng.integers(3, max(4, frames - length - 2)))
    else:  # touching the window's start or end
        start = 0 if rng.random() < 0.5 else frames - length
    trusted[start:start + length, hidden_person] = False
    other = rng.random()
    if other < 0.3:  # both hidden over the same frames
        trusted[start:start + length, 1 - hidden_person] = False
    elif other < 0.45:  # the other person hidden for part of it
        sub = int(rng.integers(1, length + 1))
        offset = int(rng.integers(0, length - sub + 1))
        trusted[start + offset:start + offset + sub, 1 - hidden_person] = False
    limbs = []
    for _ in range(int(rng.integers(0, 3))):
        n = int(np.clip(round(rng.uniform(0.1, 0.7) * fps), 2, frames))
        s = int(rng.integers(0, frames - n + 1))
        limbs.append((int(rng.integers(2)), s, s + n, LIMBS[int(rng.integers(len(LIMBS)))]))
    return Occlusion(trusted, limbs)


def occlusion_mask(rng: np.random.Generator, frames: int, fps: float) -> np.ndarray:
    """``(T, 2)`` bool trusted mask of :func:`simulate_occlusion` (the main event only)."""
    return simulate_occlusion(rng, frames, fps).trusted


def smooth_noise(shape: tuple[int, ...], frames: int, spacing: int, generator: torch.Generator) -> Tensor:
    """Noise ``(B, T, *shape)`` that varies linearly between random knots every ``spacing`` frames."""
    batch = shape[0]
    knots = torch.randn(batch, int(np.prod(shape[1:])), frames // spacing + 2, generator=generator)
    smooth = torch.nn.functional.interpolate(knots, size=frames, mode="linear", align_corners=True)
    return smooth.permute(0, 2, 1).reshape(batch, frames, *shape[1:])


def depth_error(batch: int, frames: int, generator: torch.Generator, share: float = 0.3,
                largest: float = 0.3) -> Tensor:
    """Pelvis offsets ``(B, T, 2, 3)`` along one random horizontal direction per window, smooth in time, up to
    ``largest`` metres, in ``share`` of the windows (zero in the others)."""
    direction = torch.randn(batch, 1, 1, 3, generator=generator) * torch.tensor([1.0, 0.0, 1.0])
    direction = torch.nn.functional.normalize(direction, dim=-1)
    scale = (torch.rand(batch, 1, 1, 1, generator=generator) < share) * torch.rand(batch, 1, 1, 1, generator=generator)
    return direction * scale * largest * smooth_noise((batch, 2, 1), frames, 15, generator).clamp(-1, 1)


class WindowSampler:
    """Random training windows of ``window`` frames from ``clips`` for the ``role`` network."""

    def __init__(self, clips: list[MotionClip], role: str, window: int,
                 text_embeddings: Optional[dict[str, np.ndarray]] = None, seed: int = 0) -> None:
        self.clips = [c for c in clips if c.num_frames >= window]
        if not self.clips:
            raise ValueError(f"no training clip has {window} frames or more")
        self.role = role
        self.window = window
        starts = np.array([c.num_frames - window + 1 for c in self.clips], float)
        self.weights = starts / starts.sum()  # every window start equally likely, whichever clip it is in
        self.text_embeddings = text_embeddings
        self.rng = np.random.default_rng(seed)
        self.generator = torch.Generator().manual_seed(seed)

    def sample(self, batch_size: int) -> Batch:
        w, rng, gen = self.window, self.rng, self.generator
        picks = [self.clips[int(i)] for i in rng.choice(len(self.clips), size=batch_size, p=self.weights)]
        starts = [int(rng.integers(0, c.num_frames - w + 1)) for c in picks]
        rot6d = torch.as_tensor(np.stack([c.rot6d[s:s + w] for c, s in zip(picks, starts)]))
        pelvis = torch.as_tensor(np.stack([c.pelvis[s:s + w] for c, s in zip(picks, starts)]))
        occlusions = [simulate_occlusion(rng, w, c.fps) for c in picks]
        limb_error = torch.zeros(batch_size, w, 2, 22, 1)
        for b, occ in enumerate(occlusions):
            for person, start, stop, joints in occ.limbs:
                limb_error[b, start:stop, person, list(joints)] = 1.0
                if self.role == "refiner":  # flagged by the detector: the refiner's to fix
                    occ.trusted[start:stop, person] = False
        trusted_np = np.stack([occ.trusted for occ in occlusions])
        trusted = torch.as_tensor(trusted_np, dtype=torch.float32)
        clean = rot6d_to_matrix(rot6d)  # (B, T, 2, 22, 3, 3)

        rot_sigma = torch.empty(batch_size, 1, 1, 1, 1).uniform_(0.005, 0.04, generator=gen)
        pel_sigma = torch.empty(batch_size, 1, 1, 1).uniform_(0.002, 0.02, generator=gen)
        rot_noise = torch.randn(clean.shape[:-1], generator=gen) * rot_sigma
        pel_noise = torch.randn(pelvis.shape, generator=gen) * pel_sigma
        untrusted = (1 - trusted)[..., None, None]
        rot_noise = rot_noise + smooth_noise((batch_size, 2, 22, 3), w, 8, gen) * 0.12 * untrusted
        rot_noise = rot_noise + smooth_noise((batch_size, 2, 22, 3), w, 6, gen) * 0.5 * limb_error
        pel_noise = pel_noise + smooth_noise((batch_size, 2, 3), w, 8, gen) * 0.05 * untrusted[..., 0]
        pel_noise = pel_noise + depth_error(batch_size, w, gen) * untrusted[..., 0]
        if self.role == "refiner":
            drifting = torch.rand(batch_size, 1, 1, generator=gen) < 0.5
            drift = smooth_noise((batch_size, 3), w, 30, gen) * 0.05 * drifting
            drift[..., 1] = 0.0
            pel_noise[:, :, 1] = pel_noise[:, :, 1] + drift
        observed = clean @ axis_angle_to_matrix(rot_noise)
        observed_pelvis = pelvis + pel_noise
        observed, tilt = canonical(observed, trusted)  # the convention is read from the estimate, as at inference
        clean = reparametrise(clean, tilt.transpose(-1, -2)[:, None])

        rest_joints = torch.as_tensor(np.stack([c.rest_joints for c in picks]))
        frame = pair_frame_for(observed, observed_pelvis, trusted_np, rest_joints)
        target = encode(*to_pair_frame(clean, pelvis, frame))
        observed_features = encode(*to_pair_frame(observed, observed_pelvis, frame))
        if self.role == "infiller":  # trusted entries are kept as estimated at sampling time, so learn them so
            target = torch.where(trusted[..., None] > 0, observed_features, target)
        batch = Batch(target, observed_features, trusted, rest_joints,
                      base_motion(self.role, observed_features, trusted_np))
        if self.text_embeddings is not None:
            batch.text = torch.as_tensor(np.stack([self.text_embeddings[c.text] for c in picks]))
            keep = torch.rand(batch_size, generator=gen) >= TEXT_DROP
            batch.text_keep = keep.float() * torch.as_tensor([bool(c.text) for c in picks], dtype=torch.float32)
        return batch

"""The transformer denoiser shared by the infiller and the refiner.

Tokens are (frame, person) pairs, so self-attention runs across time *and* across the two people: each body
attends to the other at every frame, which is how the network learns what close interaction looks like. One
extra token carries the conditioning (diffusion step + text embedding); the same conditioning is also added to
every token, which lets a shallow network use it from the first layer.

Every token sees the noisy sample ``x_t``, the base motion (``base_motion.py``: interpolation across untrusted
frames for the infiller, the input for the refiner) and the per-frame trust flag. The diffusion runs on the
*residual* to the base and the network predicts the clean residual ``x_0`` (the parameterisation motion
diffusion models use, because geometric losses and inpainting act on ``x_0``). Normalisation statistics of the
training data (features and residuals) travel inside the checkpoint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Optional

import torch
from torch import Tensor, nn

from .json_config import JsonConfig
from .pair_frame import FEATURE_DIM, NUM_PEOPLE


@dataclass
class DenoiserConfig(JsonConfig):
    """Architecture and diffusion settings; stored as JSON next to the weights."""

    LABEL: ClassVar[str] = "model config"
    role: str = "infiller"  # "infiller" (inpaint from noise) or "refiner" (denoise a whole coarse sequence)
    width: int = 192
    layers: int = 4
    heads: int = 4
    ff_mult: int = 2
    dropout: float = 0.1
    text_dim: int = 384  # 0: no text conditioning
    text_encoder: str = "all-MiniLM-L6-v2"
    diffusion_steps: int = 100
    window: int = 64  # frames per training window (sampling accepts other lengths)
    fps: float = 30.0  # frame rate of the training data


def sinusoid(positions: Tensor, dim: int) -> Tensor:
    """Standard transformer sinusoidal embedding of (possibly fractional) positions ``(...)`` → ``(..., dim)``."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=positions.device) / half)
    angles = positions.float()[..., None] * freqs
    return torch.cat([torch.sin(angles), torch.cos(angles)], -1)


class MotionDenoiser(nn.Module):
    def __init__(self, config: DenoiserConfig) -> None:
        super().__init__()
        self.config = config
        w = config.width
        self.register_buffer("feature_mean", torch.zeros(FEATURE_DIM))
        self.register_buffer("feature_std", torch.ones(FEATURE_DIM))
        self.register_buffer("residual_std", torch.ones(FEATURE_DIM))
        self.input = nn.Linear(2 * FEATURE_DIM + 1, w)
        self.person_embedding = nn.Parameter(torch.randn(NUM_PEOPLE, w) * 0.02)
        self.step_mlp = nn.Sequential(nn.Linear(w, w), nn.SiLU(), nn.Linear(w, w))
        self.text_proj = nn.Linear(config.text_dim, w) if config.text_dim > 0 else None
        layer = nn.TransformerEncoderLayer(w, config.heads, config.ff_mult * w, config.dropout,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        self.output_norm = nn.LayerNorm(w)
        self.output = nn.Linear(w, FEATURE_DIM)
        nn.init.zeros_(self.output.weight)  # an untrained model adds no residual: it starts as its base motion
        nn.init.zeros_(self.output.bias)

    def normalise(self, features: Tensor) -> Tensor:
        """Base-motion features → network input scale."""
        return (features - self.feature_mean) / self.feature_std

    def to_residual(self, features: Tensor, base: Tensor) -> Tensor:
        """Features → the normalised residual to ``base`` that the diffusion runs on."""
        return (features - base) / self.residual_std

    def from_residual(self, residual: Tensor, base: Tensor) -> Tensor:
        return base + residual * self.residual_std

    def forward(self, x_t: Tensor, step: Tensor, observed: Tensor, trusted: Tensor,
                text: Optional[Tensor] = None, text_keep: Optional[Tensor] = None) -> Tensor:
        """``x_t`` noisy normalised residual ``(B, T, 2, F)``; ``observed`` the normalised base motion (see
        ``base_motion.py``); ``step`` ``(B,)`` diffusion step; ``trusted`` ``(B, T, 2)`` in {0, 1}; ``text``
        ``(B, text_dim)``; ``text_keep`` ``(B,)`` (0 drops the text, for classifier-free guidance). Returns the
        predicted clean residual (normalised)."""
        batch, frames = x_t.shape[:2]
        trusted = trusted.to(x_t.dtype)
        tokens = self.input(torch.cat([x_t, observed, trusted[..., None]], -1))
        tokens = tokens + self.person_embedding + sinusoid(torch.arange(frames, device=x_t.device),
                                                           self.config.width)[:, None]
        cond = self.step_mlp(sinusoid(step, self.config.width))
        if self.text_proj is not None and text is not None:
            keep = torch.ones(batch, device=x_t.device) if text_keep is None else text_keep.to(x_t.dtype)
            cond = cond + self.text_proj(text) * keep[:, None]
        tokens = tokens.flatten(1, 2) + cond[:, None]
        hidden = self.encoder(torch.cat([cond[:, None], tokens], 1))[:, 1:]
        out = self.output(self.output_norm(hidden)).unflatten(1, (frames, NUM_PEOPLE))
        return out

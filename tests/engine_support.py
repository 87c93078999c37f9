"""Small real inputs for the engine tests: generated clips, tiny (untrained or briefly trained) models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from inference.engine.checkpoint import save_model
from inference.engine.dataset import clip_from_reconstruction
from inference.engine.denoiser import DenoiserConfig, MotionDenoiser
from inference.engine.pair_frame import FEATURE_DIM
from inference.generator import generate_clip
from inference.motion import Reconstruction


def tiny_model(role: str = "infiller", text_dim: int = 384, seed: int = 0) -> MotionDenoiser:
    torch.manual_seed(seed)
    cfg = DenoiserConfig(role=role, width=32, layers=1, heads=2, window=32, text_dim=text_dim, diffusion_steps=50)
    model = MotionDenoiser(cfg).eval()
    # statistics of plausible features: pelvis near standing height, rotations near identity
    mean = torch.zeros(FEATURE_DIM)
    mean[:132:6] = 1.0
    mean[4:132:6] = 1.0
    mean[-2] = 0.9
    model.feature_mean.copy_(mean)
    model.feature_std.fill_(0.3)
    model.residual_std.fill_(0.05)
    return model


def save_tiny(path: Path, role: str = "infiller", text_dim: int = 384) -> Path:
    save_model(tiny_model(role, text_dim), path, {"note": "untrained test model"})
    return path


def generated(kind: str = "hug", seed: int = 3, seconds: float = 3.0) -> Reconstruction:
    return generate_clip(kind, seed, seconds=seconds).reconstruction


def clips(count: int = 3, seconds: float = 3.0):
    kinds = ("hug", "handshake", "push", "dance_hold")
    out = []
    for i in range(count):
        c = generate_clip(kinds[i % len(kinds)], 50 + i, seconds=seconds)
        out.append(clip_from_reconstruction(c.reconstruction, c.label, f"c{i}"))
    return out


def text_table(texts, dim: int = 384) -> dict[str, np.ndarray]:
    """Deterministic stand-in embeddings (the real encoder has its own test); unit vectors like MiniLM's."""
    rng = np.random.default_rng(0)
    out = {}
    for t in sorted(set(texts) | {""}):
        v = rng.normal(size=dim).astype(np.float32)
        out[t] = v / np.linalg.norm(v)
    return out


@pytest.fixture
def single_thread():
    """One torch thread: on a busy 2-core machine, thread hand-offs cost more than they gain for tiny models."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

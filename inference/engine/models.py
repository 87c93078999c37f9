"""The trained networks the app uses: the shipped checkpoints unless a path is given, loaded once per device."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional

import torch

from ..motion import MotionError
from .checkpoint import load_model, shipped_model_path
from .denoiser import MotionDenoiser


def resolve_device(requested: "Optional[str | torch.device]" = None) -> torch.device:
    """The device the engine computes on: ``requested``, or CUDA when torch sees a GPU and the CPU otherwise.

    Asking for CUDA on a machine without it is an error rather than a silent CPU run, so a batch job on a GPU
    server that lost its GPU says so; the app falls back to the CPU itself, with a notice
    (``sm_studio.motion_backends``).
    """
    if requested is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(requested)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise MotionError(f"device {requested!r} was asked for, but torch sees no CUDA GPU on this machine")
    return device


def model_device(model: MotionDenoiser) -> torch.device:
    return next(model.parameters()).device


@lru_cache(maxsize=8)
def _cached(path: str, device: str) -> MotionDenoiser:
    return load_model(path, device)[0]


def get_model(role: str, path: "Optional[str | Path]" = None, device: "str | torch.device" = "cpu") -> MotionDenoiser:
    """The ``role`` ("infiller" / "refiner") model at ``path`` (default: the shipped one), in eval mode."""
    model = _cached(str(Path(path) if path else shipped_model_path(role)), str(torch.device(device)))
    if model.config.role != role:
        raise ValueError(f"{path}: is a {model.config.role} model, not a {role}")
    return model

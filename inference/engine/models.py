"""The trained networks the app uses: the shipped checkpoints unless a path is given, loaded once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional

from .checkpoint import load_model, shipped_model_path
from .denoiser import MotionDenoiser


@lru_cache(maxsize=8)
def _cached(path: str, device: str) -> MotionDenoiser:
    return load_model(path, device)[0]


def get_model(role: str, path: "Optional[str | Path]" = None, device: str = "cpu") -> MotionDenoiser:
    """The ``role`` ("infiller" / "refiner") model at ``path`` (default: the shipped one), in eval mode."""
    model = _cached(str(Path(path) if path else shipped_model_path(role)), device)
    if model.config.role != role:
        raise ValueError(f"{path}: is a {model.config.role} model, not a {role}")
    return model

"""Model files: weights in safetensors, architecture + provenance in JSON, training state for resuming.

A model is ``<name>.safetensors`` (weights and the feature normalisation) beside ``<name>.json`` (the
``DenoiserConfig`` and what training produced it). Resuming reads ``<name>.train.pt`` — optimiser state, step
and RNG states — with ``torch.load(weights_only=True)``, so a checkpoint file cannot run code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

import torch
from safetensors.torch import load_file, save_file

from ..motion import MotionError
from .denoiser import DenoiserConfig, MotionDenoiser

MODELS_DIR = Path(__file__).resolve().parents[2] / "resources" / "models"


class CheckpointError(MotionError):
    """A model file is missing or malformed; the message names the file."""


def paths(stem: "str | os.PathLike") -> tuple[Path, Path, Path]:
    """``stem`` (with or without ``.safetensors``) → weights, metadata and training-state paths."""
    stem = Path(stem)
    if stem.suffix == ".safetensors":
        stem = stem.with_suffix("")
    return stem.with_suffix(".safetensors"), stem.with_suffix(".json"), stem.with_suffix(".train.pt")


def save_model(model: MotionDenoiser, stem: "str | os.PathLike", info: Optional[dict[str, Any]] = None,
               weights_dtype: torch.dtype = torch.float32) -> Path:
    """Write the model. ``weights_dtype=torch.float16`` halves a shipped file; the normalisation statistics stay
    float32 either way, and loading always gives a float32 model."""
    weights, meta, _ = paths(stem)
    weights.parent.mkdir(parents=True, exist_ok=True)
    parameters = {name for name, _ in model.named_parameters()}
    state = {k: v.detach().cpu().to(weights_dtype if k in parameters else v.dtype).contiguous()
             for k, v in model.state_dict().items()}
    tmp = weights.with_suffix(".tmp")
    save_file(state, str(tmp))
    os.replace(tmp, weights)
    os.chmod(weights, 0o644)  # safetensors writes 0600; shipped models must be readable by every user
    meta.write_text(json.dumps({"config": model.config.to_json(), "info": info or {}}, indent=2))
    return weights


def load_model(stem: "str | os.PathLike", device: "str | torch.device" = "cpu") -> tuple[MotionDenoiser, dict]:
    """The model in eval mode and its ``info`` dict."""
    weights, meta, _ = paths(stem)
    for p in (weights, meta):
        if not p.is_file():
            raise CheckpointError(f"{p}: model file not found")
    try:
        data = json.loads(meta.read_text())
        config = DenoiserConfig.from_json(data["config"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{meta}: malformed model description ({exc})") from None
    model = MotionDenoiser(config)
    try:
        model.load_state_dict(load_file(str(weights)))
    except (RuntimeError, OSError) as exc:
        raise CheckpointError(f"{weights}: weights do not match the config in {meta.name} ({exc})") from None
    return model.to(device).eval(), data.get("info", {})


def save_training_state(stem: "str | os.PathLike", state: dict[str, Any]) -> None:
    _, _, train = paths(stem)
    tmp = train.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, train)


def load_training_state(stem: "str | os.PathLike") -> Optional[dict[str, Any]]:
    _, _, train = paths(stem)
    if not train.is_file():
        return None
    try:
        return torch.load(train, weights_only=True, map_location="cpu")
    except Exception as exc:  # weights_only refuses anything but tensors and plain containers
        raise CheckpointError(f"{train}: unreadable training state ({exc})") from None


def shipped_model_path(role: str) -> Path:
    """Where the checkpoint that ships with the app for ``role`` lives."""
    return MODELS_DIR / f"{role}.safetensors"

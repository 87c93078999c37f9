"""Body models: ``load_body_model()`` gives SMPL-X when the user has its licensed files, else the free default body.

Resolution order: an explicit ``model_dir`` → the ``SMPLX_MODEL_DIR`` environment variable → the free body shipped
in ``resources/body/``. Models are cached per (kind, directory, gender, device) because the SMPL-X file takes ~1 s to
read and every view, exporter and engine step asks for the same one.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import torch

from .base import BodyModel, BodyOutput
from .errors import BodyModelError
from .free_body import FREE_BODY_PATH, FreeBodyModel

__all__ = ["BodyModel", "BodyOutput", "BodyModelError", "FreeBodyModel", "SmplxBodyModel", "clear_body_model_cache",
           "default_device", "load_body_model"]

_CACHE: dict[tuple[str, str, str, str], BodyModel] = {}
_CACHE_LOCK = threading.Lock()  # background workers may ask for the model at the same time as the GUI


def default_device() -> torch.device:
    """CUDA when torch sees a GPU, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_body_model(model_dir: "str | Path | None" = None, gender: str = "neutral",
                    device: "str | torch.device | None" = None) -> BodyModel:
    """The body model to use; see the module docstring for the resolution order.

    ``gender`` only matters for SMPL-X (the free body is one neutral shape space). An empty ``SMPLX_MODEL_DIR`` counts
    as unset. Raises ``BodyModelError`` when a given SMPL-X directory lacks the model file.
    """
    dev = torch.device(device) if device is not None else default_device()
    chosen = model_dir if model_dir not in (None, "") else os.environ.get("SMPLX_MODEL_DIR") or None
    if chosen is None:
        return _cached(("free", str(FREE_BODY_PATH), "neutral", str(dev)),
                       lambda: FreeBodyModel(FREE_BODY_PATH, device=dev))
    from .smplx_body import SmplxBodyModel  # imports the smplx package only when SMPL-X is wanted

    path = Path(chosen).expanduser().resolve()
    return _cached(("smplx", str(path), gender.lower(), str(dev)),
                   lambda: SmplxBodyModel(path, gender=gender, device=dev))


def clear_body_model_cache() -> None:
    """Forget every loaded model (SMPL-X holds ~100 MB), e.g. after the user points the app at another directory."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _cached(key: tuple[str, str, str, str], build) -> BodyModel:
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = build()
        return _CACHE[key]


def __getattr__(name: str):
    """``from inference.body import SmplxBodyModel`` without importing smplx for everyone who imports this package."""
    if name == "SmplxBodyModel":
        from .smplx_body import SmplxBodyModel

        return SmplxBodyModel
    raise AttributeError(name)

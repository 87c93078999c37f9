"""Text embeddings: the bundled MiniLM, and a CLIP text encoder from a local directory."""

from __future__ import annotations

import string

import numpy as np
import pytest

from engine_support import single_thread  # noqa: F401 (fixture)
from inference.text_encoder import MINILM, TextEncoderError, load_text_encoder

pytestmark = pytest.mark.usefixtures("single_thread")


def test_minilm_embeds_offline_and_ranks_paraphrases_closer():
    enc = load_text_encoder(MINILM)
    vecs = enc.encode(["two people hug each other", "they embrace", "a man kicks a football"])
    assert vecs.shape == (3, 384) and enc.dim == 384
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]


def test_minilm_embeddings_are_cached_and_stable():
    enc = load_text_encoder(MINILM)
    a = enc.encode(["A shakes B's hand"])
    b = enc.encode(["A shakes B's hand", "A shakes B's hand"])
    assert np.array_equal(a[0], b[0]) and np.array_equal(b[0], b[1])
    assert load_text_encoder(MINILM) is enc


def _tiny_clip(directory):
    """A randomly initialised CLIP text model with a character-level CLIP tokenizer, saved like a real one."""
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    chars = string.ascii_lowercase + string.ascii_uppercase + string.digits + "'.,!?-"
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in chars:
        vocab.setdefault(c, len(vocab))
        vocab.setdefault(c + "</w>", len(vocab))
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[])
    config = CLIPTextConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                            num_attention_heads=2, max_position_embeddings=77, bos_token_id=0, eos_token_id=1,
                            pad_token_id=1)
    CLIPTextModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)


def test_clip_text_encoder_from_a_local_directory(tmp_path):
    _tiny_clip(tmp_path / "clip")
    enc = load_text_encoder(f"clip:{tmp_path / 'clip'}")
    vecs = enc.encode(["two people hug", "a wave", "two people hug"])
    assert vecs.shape == (3, 32) and enc.dim == 32 and enc.name == "clip:clip"
    assert np.array_equal(vecs[0], vecs[2]) and not np.allclose(vecs[0], vecs[1])


def test_bad_sources_are_reported(tmp_path):
    with pytest.raises(TextEncoderError, match="not found"):
        load_text_encoder(f"clip:{tmp_path / 'nothing'}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TextEncoderError, match="empty"):
        load_text_encoder(f"clip:{tmp_path / 'empty'}")
    with pytest.raises(TextEncoderError, match="unknown text encoder"):
        load_text_encoder("word2vec")

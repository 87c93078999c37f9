"""Tiny, randomly initialised vision-language models of each family the VLM backend supports, saved like hub
checkpoints (config, safetensors weights, tokenizer, processor, chat template) so the backend's real load → prompt
→ generate → parse path runs on them. Nothing is downloaded: the tokenizer is a word-level one trained here on a
few sentences, with each family's special tokens, and the chat templates follow each family's message layout.

Sizes: hidden 32, one or two layers, two heads; images of at most 64 pixels a side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch

from inference.describe.vlm_loading import images_only

CORPUS = ["A's right hand holds B's right hand .", "B's left hand is on A's shoulder , they face each other .",
          "{ \" description \" : \" A and B dance \" , \" contacts \" : [ ] } user assistant model these images "
          "are frames of two people interacting in the orange and blue box"]
TEXT = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
            max_position_embeddings=2048)


def _tokenizer(special: list[str], eos: str, pad: str, **extra: str):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(CORPUS, trainers.WordLevelTrainer(special_tokens=["<unk>", *special]))
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token=pad, eos_token=eos, **extra)


def _chat(turn_open: str, turn_close: str, image: str, assistant: str, video: str = "") -> str:
    """A chat template: each turn ``turn_open role\\n content turn_close``; images as ``image``."""
    video_part = f"{{% elif c['type'] == 'video' %}}{video}" if video else ""
    return ("{% for m in messages %}" + turn_open + "{{ m['role'] }}\n{% if m['content'] is string %}"
            "{{ m['content'] }}{% else %}{% for c in m['content'] %}{% if c['type'] == 'image' %}" + image
            + video_part + "{% else %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}" + turn_close
            + "{% endfor %}{% if add_generation_prompt %}" + turn_open + assistant + "\n{% endif %}")


def _processor(cls: type, **parts):
    """A processor of a family that also takes video, in the images-only form the backend builds when
    torchvision is missing (the folder then has no video processor settings)."""
    return images_only(cls)(video_processor=None, **parts)


def _save(model: torch.nn.Module, processor, directory: Path) -> None:
    torch.manual_seed(0)
    model.save_pretrained(directory)
    processor.save_pretrained(directory)


def build_idefics3(directory: Path, smolvlm: bool = False) -> None:
    """Idefics3 (SmolVLM's first architecture) or SmolVLM (SmolVLM2's)."""
    from transformers import Idefics3Config, Idefics3ForConditionalGeneration, Idefics3Processor
    from transformers.models.idefics3.image_processing_pil_idefics3 import Idefics3ImageProcessorPil

    special = ["<pad>", "<end_of_utterance>", "<fake_token_around_image>", "<image>", "<global-img>"]
    special += [f"<row_{i}_col_{j}>" for i in range(1, 7) for j in range(1, 7)]
    tokenizer = _tokenizer(special, "<end_of_utterance>", "<pad>")
    ids = tokenizer.convert_tokens_to_ids
    chat = _chat("<|im_start|>", "<end_of_utterance>\n", "<image>", "Assistant:")
    text = dict(TEXT, model_type="llama", vocab_size=len(tokenizer), pad_token_id=ids("<pad>"), bos_token_id=None,
                eos_token_id=ids("<end_of_utterance>"))
    vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, image_size=32,
                  patch_size=8)
    if smolvlm:
        from transformers import SmolVLMConfig, SmolVLMForConditionalGeneration, SmolVLMProcessor
        from transformers.models.smolvlm.image_processing_pil_smolvlm import SmolVLMImageProcessorPil

        images = SmolVLMImageProcessorPil(size={"longest_edge": 64}, max_image_size={"longest_edge": 32})
        processor = _processor(SmolVLMProcessor, image_processor=images, tokenizer=tokenizer, image_seq_len=4,
                               chat_template=chat)
        config = SmolVLMConfig(text_config=text, vision_config=vision, scale_factor=2, image_token_id=ids("<image>"))
        _save(SmolVLMForConditionalGeneration(config), processor, directory)
        return
    images = Idefics3ImageProcessorPil(size={"longest_edge": 64}, max_image_size={"longest_edge": 32})
    processor = Idefics3Processor(image_processor=images, tokenizer=tokenizer, image_seq_len=4, chat_template=chat)
    config = Idefics3Config(text_config=text, vision_config=vision, scale_factor=2, image_token_id=ids("<image>"))
    _save(Idefics3ForConditionalGeneration(config), processor, directory)


def build_qwen2_vl(directory: Path, version: str = "2") -> None:
    """Qwen2-VL, or Qwen2.5-VL (``version="2.5"``)."""
    from transformers import Qwen2VLProcessor
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>",
               "<|video_pad|>"]
    tokenizer = _tokenizer(special, "<|im_end|>", "<|endoftext|>")
    ids = tokenizer.convert_tokens_to_ids
    chat = _chat("<|im_start|>", "<|im_end|>\n", "<|vision_start|><|image_pad|><|vision_end|>", "assistant",
                 "<|vision_start|><|video_pad|><|vision_end|>")
    images = Qwen2VLImageProcessorPil(size={"shortest_edge": 28 * 28, "longest_edge": 56 * 56})
    text = dict(TEXT, vocab_size=len(tokenizer), pad_token_id=ids("<|endoftext|>"), bos_token_id=None,
                eos_token_id=ids("<|im_end|>"), rope_parameters={"rope_type": "default", "mrope_section": [2, 3, 3]})
    tokens = dict(image_token_id=ids("<|image_pad|>"), video_token_id=ids("<|video_pad|>"),
                  vision_start_token_id=ids("<|vision_start|>"), vision_end_token_id=ids("<|vision_end|>"))
    if version == "2.5":
        from transformers import (Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration,
                                  Qwen2_5_VLProcessor)

        vision = dict(depth=1, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=32, patch_size=14,
                      spatial_merge_size=2, temporal_patch_size=2, window_size=56, fullatt_block_indexes=[0])
        config = Qwen2_5_VLConfig(text_config=text, vision_config=vision, **tokens)
        processor = _processor(Qwen2_5_VLProcessor, image_processor=images, tokenizer=tokenizer, chat_template=chat)
        _save(Qwen2_5_VLForConditionalGeneration(config), processor, directory)
        return
    from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration

    vision = dict(depth=1, embed_dim=32, hidden_size=32, num_heads=2, mlp_ratio=2, patch_size=14,
                  spatial_merge_size=2, temporal_patch_size=2)
    config = Qwen2VLConfig(text_config=text, vision_config=vision, **tokens)
    processor = _processor(Qwen2VLProcessor, image_processor=images, tokenizer=tokenizer, chat_template=chat)
    _save(Qwen2VLForConditionalGeneration(config), processor, directory)


def build_llava_onevision(directory: Path) -> None:
    from transformers import LlavaOnevisionConfig, LlavaOnevisionForConditionalGeneration, LlavaOnevisionProcessor
    from transformers.models.llava_onevision.image_processing_pil_llava_onevision import (
        LlavaOnevisionImageProcessorPil)

    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>", "<video>"]
    tokenizer = _tokenizer(special, "<|im_end|>", "<|endoftext|>")
    ids = tokenizer.convert_tokens_to_ids
    chat = _chat("<|im_start|>", "<|im_end|>\n", "<image>\n", "assistant")
    images = LlavaOnevisionImageProcessorPil(size={"height": 32, "width": 32}, crop_size={"height": 32, "width": 32},
                                             image_grid_pinpoints=[[32, 32], [32, 64], [64, 32]])
    processor = _processor(LlavaOnevisionProcessor, image_processor=images, tokenizer=tokenizer, chat_template=chat,
                           num_image_tokens=16,
                           vision_feature_select_strategy="full")
    config = LlavaOnevisionConfig(
        text_config=dict(TEXT, model_type="qwen2", vocab_size=len(tokenizer), pad_token_id=ids("<|endoftext|>"),
                         eos_token_id=ids("<|im_end|>")),
        vision_config=dict(model_type="siglip_vision_model", hidden_size=32, intermediate_size=64,
                           num_hidden_layers=2, num_attention_heads=2, image_size=32, patch_size=8),
        image_token_index=ids("<image>"), video_token_index=ids("<video>"), vision_feature_layer=-1,
        vision_feature_select_strategy="full", image_grid_pinpoints=[[32, 32], [32, 64], [64, 32]])
    _save(LlavaOnevisionForConditionalGeneration(config), processor, directory)


def build_gemma3(directory: Path) -> None:
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration, Gemma3Processor
    from transformers.models.gemma3.image_processing_pil_gemma3 import Gemma3ImageProcessorPil

    special = ["<pad>", "<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<end_of_image>",
               "<image_soft_token>"]
    tokenizer = _tokenizer(special, "<end_of_turn>", "<pad>", bos_token="<bos>", boi_token="<start_of_image>",
                           eoi_token="<end_of_image>", image_token="<image_soft_token>")
    ids = tokenizer.convert_tokens_to_ids
    chat = "<bos>" + _chat("<start_of_turn>", "<end_of_turn>\n", "<start_of_image>", "model")
    images = Gemma3ImageProcessorPil(size={"height": 32, "width": 32})
    processor = Gemma3Processor(image_processor=images, tokenizer=tokenizer, chat_template=chat, image_seq_length=4)
    config = Gemma3Config(
        text_config=dict(TEXT, head_dim=16, vocab_size=len(tokenizer), pad_token_id=ids("<pad>"),
                         bos_token_id=ids("<bos>"), eos_token_id=ids("<end_of_turn>"), sliding_window=64),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                           image_size=32, patch_size=8),
        mm_tokens_per_image=4, image_token_index=ids("<image_soft_token>"), boi_token_index=ids("<start_of_image>"),
        eoi_token_index=ids("<end_of_image>"))
    _save(Gemma3ForConditionalGeneration(config), processor, directory)


BUILDERS: dict[str, Callable[[Path], None]] = {
    "idefics3": build_idefics3,
    "smolvlm": lambda d: build_idefics3(d, smolvlm=True),
    "qwen2_vl": build_qwen2_vl,
    "qwen2_5_vl": lambda d: build_qwen2_vl(d, "2.5"),
    "llava_onevision": build_llava_onevision,
    "gemma3": build_gemma3,
}

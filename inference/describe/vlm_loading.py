"""Load a local vision-language model folder of one of the families people have on disk, or say what is missing.

Tested families (``config.json``'s ``model_type``), each with a tiny random model in ``tests/vlm_support.py``:

=================  ==========================================  ====================================================
family             checkpoints                                 needs beyond ``transformers``
=================  ==========================================  ====================================================
``qwen2_5_vl``     Qwen2.5-VL-3B/7B-Instruct                   —  (``torchvision`` for its video processor)
``qwen2_vl``       Qwen2-VL-2B/7B-Instruct                     —  (``torchvision`` for its video processor)
``smolvlm``        SmolVLM2-256M/500M/2.2B-Video-Instruct      ``num2words`` (its processor spells numbers)
``idefics3``       SmolVLM-256M/500M/Instruct, Idefics3-8B     —
``llava_onevision``  LLaVA-OneVision-Qwen2-0.5B/7B-ov-hf       —  (``torchvision`` for its video processor)
``gemma3``         gemma-3-4b/12b/27b-it                       —
=================  ==========================================  ====================================================

In ``transformers`` 5 the processors of Qwen2-VL, Qwen2.5-VL, SmolVLM and LLaVA-OneVision include a video
processor that cannot even be constructed without ``torchvision``. This backend shows the model still images (key
frames), so where ``torchvision`` is missing (the CPU wheel that matches torch 2.13 is not on this machine's index)
the processor is assembled without its video half: the same class, tokenizer, image processor (the PIL backend)
and chat template, only ``videos=`` unsupported.

The model runs on CUDA in half precision (bfloat16 where the card supports it) when torch sees a GPU, else on the
CPU in float32. Nothing is downloaded: everything is read with ``local_files_only``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import torch

from .base import DescribeError


@dataclass(frozen=True)
class Family:
    """What a model family needs: packages its processor imports, and whether it takes video."""

    name: str
    packages: tuple[str, ...] = ()
    video: bool = False  # its processor takes ``videos=`` (needs torchvision)


FAMILIES: dict[str, Family] = {
    "qwen2_5_vl": Family("Qwen2.5-VL", video=True),
    "qwen2_vl": Family("Qwen2-VL", video=True),
    "smolvlm": Family("SmolVLM2", ("num2words",), video=True),
    "idefics3": Family("Idefics3 / SmolVLM"),
    "llava_onevision": Family("LLaVA-OneVision", video=True),
    "gemma3": Family("Gemma 3"),
}
WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")
TOKENIZER = ("tokenizer.json", "tokenizer.model", "vocab.json")
PROCESSOR = ("preprocessor_config.json", "processor_config.json")


def read_config(model_dir: Path) -> dict[str, Any]:
    path = model_dir / "config.json"
    if not path.is_file():
        raise DescribeError(f"{model_dir}: not a model folder (no config.json); give the folder of a downloaded "
                            f"vision-language model, e.g. Qwen2.5-VL-3B-Instruct or SmolVLM2-2.2B-Instruct")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DescribeError(f"{path}: unreadable ({exc})") from None
    if not isinstance(config, dict):
        raise DescribeError(f"{path}: expected a JSON object")
    return config


def family_of(model_dir: Path) -> Family:
    """The folder's family, after checking that its files and the packages it needs are all there."""
    config = read_config(model_dir)
    model_type = str(config.get("model_type", ""))
    if model_type not in FAMILIES:
        known = ", ".join(f"{f.name} ({t})" for t, f in FAMILIES.items())
        raise DescribeError(f"{model_dir}: model type {model_type or 'unknown'!r} is not one this backend knows; "
                            f"supported: {known}")
    family = FAMILIES[model_type]
    for what, names in (("weights", WEIGHTS), ("tokenizer", TOKENIZER), ("processor settings", PROCESSOR)):
        if not any((model_dir / n).is_file() for n in names):
            raise DescribeError(f"{model_dir}: the {what} file is missing (expected one of {', '.join(names)}); "
                                "download the whole model folder")
    index = next((model_dir / n for n in WEIGHTS if n.endswith("index.json") and (model_dir / n).is_file()), None)
    if index is not None:
        try:
            shards = set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values())
        except (OSError, ValueError, KeyError, AttributeError) as exc:
            raise DescribeError(f"{index}: unreadable weight index ({exc})") from None
        missing = sorted(s for s in shards if not (model_dir / s).is_file())
        if missing:
            raise DescribeError(f"{model_dir}: weight file {missing[0]} is missing ({len(missing)} of {len(shards)} "
                                "shards); the download is incomplete")
    for package in family.packages:
        if importlib.util.find_spec(package) is None:
            raise DescribeError(f"{family.name} models need the Python package {package!r}: pip install {package}")
    return family


def fingerprint(model_dir: Path) -> str:
    """Short hash of the configs and the weight files' names and sizes: another checkpoint in the same folder
    (or a re-download of a different revision) gets new cache keys, without reading gigabytes."""
    h = hashlib.sha256()
    for name in ("config.json", "generation_config.json", "processor_config.json", "preprocessor_config.json",
                 "chat_template.jinja", "chat_template.json"):
        path = model_dir / name
        if path.is_file():
            h.update(name.encode() + b"\0" + path.read_bytes())
    for path in sorted(model_dir.glob("*.safetensors")) + sorted(model_dir.glob("*.bin")):
        h.update(f"{path.name}\0{path.stat().st_size}".encode())
    return h.hexdigest()[:12]


def torchvision_available() -> bool:
    try:
        import torchvision  # noqa: F401
    except Exception:  # a wheel built for another torch fails with RuntimeError, not ImportError
        return False
    return True


def images_only(cls: type) -> type:
    """``cls`` (a processor class) without its video processor: same name, same behaviour for text and images;
    construct it with ``video_processor=None``."""
    attributes = [a for a in cls.get_attributes() if a != "video_processor"]
    return type(cls.__name__, (cls,), {"get_attributes": classmethod(lambda _c: list(attributes)),
                                       "__module__": cls.__module__, "__doc__": cls.__doc__})


def _assemble_images_only(model_dir: Path, cls: type) -> Any:
    """The folder's processor built from its parts without the video half: image processor, tokenizer, chat
    template and the processor's own settings (those its constructor takes)."""
    from transformers import AutoImageProcessor, AutoTokenizer

    settings: dict[str, Any] = {}
    path = model_dir / "processor_config.json"
    if path.is_file():
        settings = json.loads(path.read_text(encoding="utf-8"))
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    settings["chat_template"] = _chat_template(model_dir) or getattr(tokenizer, "chat_template", None)
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self", "image_processor", "tokenizer",
                                                                  "video_processor", "kwargs"}
    return images_only(cls)(image_processor=AutoImageProcessor.from_pretrained(model_dir, local_files_only=True),
                            tokenizer=tokenizer, video_processor=None,
                            **{k: v for k, v in settings.items() if k in accepted})


def _chat_template(model_dir: Path) -> Optional[str]:
    """The folder's chat template: ``chat_template.jinja`` (current releases) or ``chat_template.json`` (older)."""
    if (model_dir / "chat_template.jinja").is_file():
        return (model_dir / "chat_template.jinja").read_text(encoding="utf-8")
    if (model_dir / "chat_template.json").is_file():
        template = json.loads((model_dir / "chat_template.json").read_text(encoding="utf-8")).get("chat_template")
        return template if isinstance(template, str) else None
    return None


def _processor_class(model_dir: Path) -> Optional[type]:
    for name in PROCESSOR:
        path = model_dir / name
        if path.is_file():
            try:
                cls_name = json.loads(path.read_text(encoding="utf-8")).get("processor_class")
            except (OSError, ValueError, AttributeError):
                continue
            if cls_name:
                return getattr(importlib.import_module("transformers"), cls_name, None)
    return None


def load_processor(model_dir: Path, family: Family) -> Any:
    """The folder's processor; for a family with a video half, the images-only form when ``torchvision`` is
    missing or the folder has no video processor settings."""
    from transformers import AutoProcessor

    processor, problem = None, None
    if torchvision_available() or not family.video:
        try:
            processor = AutoProcessor.from_pretrained(model_dir, local_files_only=True)
        except Exception as exc:  # transformers raises many types; the message matters, not the class
            problem = exc
    if processor is None and family.video:
        cls = _processor_class(model_dir)
        try:
            if cls is None:
                raise ValueError("its processor settings name no processor_class")
            processor = _assemble_images_only(model_dir, cls)
        except Exception as exc:
            problem = problem or exc
    if processor is None:
        raise DescribeError(f"{model_dir}: cannot load the {family.name} processor ({type(problem).__name__}: "
                            f"{problem})")
    if getattr(processor, "chat_template", None) is None:
        raise DescribeError(f"{model_dir}: the processor has no chat template (chat_template.jinja); use the "
                            "instruction-tuned ('-Instruct' / '-it') release of the model")
    return processor


def pick_dtype(device: torch.device) -> torch.dtype:
    """Half precision on a GPU (bfloat16 where supported), float32 on the CPU."""
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def load_model(model_dir: Path, family: Family, device: torch.device) -> Any:
    from transformers import AutoModelForImageTextToText

    try:
        model = AutoModelForImageTextToText.from_pretrained(model_dir, local_files_only=True,
                                                            dtype=pick_dtype(device))
    except Exception as exc:
        raise DescribeError(f"{model_dir}: cannot load the {family.name} model ({type(exc).__name__}: {exc})") \
            from None
    return model.to(device).eval()

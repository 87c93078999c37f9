"""Interaction descriptions: what the two people do in a segment, in words, and the contacts those words state.

Backends (one interface, ``base.Describer``):

* ``OfflineDescriber`` (default) — templated English from the current 3D estimate: contacts per body part,
  distance and facing, who moves; no model download.
* ``VLMDescriber`` — a local vision-language model (Qwen2.5-VL, Qwen2-VL, SmolVLM2, SmolVLM, LLaVA-OneVision,
  Gemma 3) looks at marked key frames of the segment and around it and answers a sentence and a contact list.

``describe_cached`` / ``CachedDescriber`` put a disk cache in front of either, and ``default_describer()`` is the
cached backend the app uses (the VLM when its settings or ``$SM_STUDIO_VLM_DIR`` name a model folder). A
description's ``details["contacts"]`` is its contact list as JSON (``contact_list.py``). ``parse_contacts`` turns
any description (a backend's or the user's edit) into ``ContactConstraint``s, and ``guidance.to_engine_contacts``
turns those into the engine's joint-pair contact guidance. ``python -m inference.describe.evaluate`` measures the
offline describer on generated clips, ``python -m inference.describe.occlusion_eval A.bvh B.bvh`` on occluded
segments of real two-person motion.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Union

from .base import DescribeError, DescribeInput, Describer, Description
from .cache import CachedDescriber, DescriptionCache, cache_key, describe_cached
from .contact_list import contacts_from_json, contacts_to_json
from .contacts import SOURCES, ContactConstraint, parse_contacts, segment_contacts
from .offline import OfflineDescriber

BACKENDS = ("offline", "vlm")
VLM_DIR_ENV = "SM_STUDIO_VLM_DIR"

__all__ = ["BACKENDS", "CachedDescriber", "ContactConstraint", "DescribeError", "DescribeInput", "Describer",
           "Description", "DescriptionCache", "OfflineDescriber", "SOURCES", "VLM_DIR_ENV", "cache_key",
           "contacts_from_json", "contacts_to_json", "default_describer", "describe_cached", "make_describer",
           "parse_contacts", "segment_contacts"]


def make_describer(backend: str = "offline", model_dir: Optional[Union[str, Path]] = None) -> Describer:
    """The backend by name; ``vlm`` needs ``model_dir`` (a local model folder)."""
    if backend == "offline":
        return OfflineDescriber()
    if backend == "vlm":
        if model_dir is None:
            raise DescribeError("the vlm backend needs --model-dir: the folder of a downloaded vision-language model")
        from .vlm import VLMDescriber

        return VLMDescriber(model_dir)
    raise DescribeError(f"unknown description backend {backend!r}; expected one of {BACKENDS}")


def default_describer(model_dir: Optional[Union[str, Path]] = None) -> Describer:
    """The app's backend, cached on disk: the vision-language model in ``model_dir`` (the app's setting), else in
    ``$SM_STUDIO_VLM_DIR``, else the offline describer."""
    model_dir = model_dir or os.environ.get(VLM_DIR_ENV) or None
    return CachedDescriber(make_describer("vlm" if model_dir else "offline", model_dir))

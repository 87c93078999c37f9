"""Vision-language backend: a local ``transformers`` image-text-to-text model describes the marked frames.

The user points it at a model directory they downloaded themselves (nothing is fetched: ``local_files_only``).
Chat-template models that take several images per turn work: Qwen2-VL / Qwen2.5-VL, SmolVLM / Idefics3, and
similar. A few frames of the segment are sampled, A and B are boxed and lettered on them (``marking.py``), and the
prompt asks for body-part-level contacts in the words the contact parser reads, so the answer can become contact
constraints like the offline describer's. Florence-2 style captioners (task tokens, no chat template, one image)
are refused with a clear message: they cannot be asked which hand touches where.

Processors of models that also accept video (Qwen2-VL, SmolVLM) need ``torchvision`` in transformers 5; without
it loading fails and the error says so. Runs on CUDA when torch sees a GPU (bfloat16 where supported), else CPU.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import torch

from .base import Describer, DescribeError, DescribeInput, Description
from .contacts import parse_contacts
from .marking import COLOURS, boxes_from_reconstruction, mark_people, sample_indices

PROMPT = (
    "These {n} images are frames, in time order, from a video of two people interacting. Person A is inside the "
    "{colour_a} box labelled A; person B is inside the {colour_b} box labelled B. Describe their interaction in "
    "two to four short sentences at the level of body parts. Always call them A and B, and say left or right from "
    "that person's own point of view. Say which hand of whom touches which body part of the other (hand, arm, "
    "shoulder, back, waist, chest, head), who faces whom, and who moves toward whom. Example: \"A's right hand "
    "holds B's right hand. B's left hand is on A's right shoulder. They face each other.\""
)
UNMARKED_PROMPT = PROMPT.split(" Person A is inside")[0] + (
    " Call the person who is more to the left in the first image A and the other B. Describe their interaction "
    "in two to four short sentences at the level of body parts, saying left or right from that person's own point "
    "of view: which hand of whom touches which body part of the other, who faces whom, and who moves toward whom.")


def model_fingerprint(model_dir: Path) -> str:
    """Short hash of the model's config: a different checkpoint in the same folder gets a new cache key."""
    h = hashlib.sha256()
    for name in ("config.json", "generation_config.json"):
        path = model_dir / name
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def clean_answer(text: str) -> str:
    """The model's reply as one tidy paragraph (role echoes and special-token debris removed)."""
    text = re.sub(r"<[^<>\s]{1,40}>", " ", text)
    text = re.sub(r"^\s*(assistant|Assistant)\s*:?\s*", "", text)
    return " ".join(text.split())


class VLMDescriber(Describer):
    """Describes a segment by showing a local vision-language model a few marked frames."""

    def __init__(self, model_dir: Union[str, Path], device: Optional[Union[str, torch.device]] = None,
                 num_frames: int = 4, max_new_tokens: int = 160, max_side: int = 768) -> None:
        self.model_dir = Path(model_dir).expanduser()
        if not (self.model_dir / "config.json").is_file():
            raise DescribeError(f"{self.model_dir}: not a model directory (no config.json); give the folder of a "
                                "downloaded image-text-to-text model, e.g. SmolVLM or Qwen2-VL")
        self.device = torch.device(device) if device is not None else torch.device(
            "cuda" if torch.cuda.is_available() else "cpu")
        self.num_frames = num_frames
        self.max_new_tokens = max_new_tokens
        self.max_side = max_side
        self._fingerprint = model_fingerprint(self.model_dir)
        self.processor: Any = None
        self.model: Any = None

    @property
    def backend_id(self) -> str:
        return f"vlm/{self.model_dir.name}/{self._fingerprint}/f{self.num_frames}/t{self.max_new_tokens}"

    @property
    def author(self) -> str:
        return f"vlm:{self.model_dir.name}"

    def load(self) -> None:
        """Read processor and weights (once; the first description pays for it)."""
        if self.model is not None:
            return
        from transformers import AutoModelForImageTextToText, AutoProcessor

        try:
            self.processor = AutoProcessor.from_pretrained(self.model_dir, local_files_only=True)
        except Exception as exc:  # transformers raises many types; the message matters, not the class
            raise DescribeError(f"{self.model_dir}: cannot load the processor ({type(exc).__name__}: {exc}); "
                                "processors that also handle video (Qwen2-VL, SmolVLM) need torchvision") from None
        if getattr(self.processor, "chat_template", None) is None:
            raise DescribeError(f"{self.model_dir}: the processor has no chat template; captioning-only models "
                                "(e.g. Florence-2) cannot answer the body-part questions this backend asks")
        dtype = torch.float32
        if self.device.type == "cuda":
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        try:
            model = AutoModelForImageTextToText.from_pretrained(self.model_dir, local_files_only=True, dtype=dtype)
        except Exception as exc:
            raise DescribeError(f"{self.model_dir}: cannot load the model ({type(exc).__name__}: {exc})") from None
        self.model = model.to(self.device).eval()

    def _images(self, inp: DescribeInput) -> tuple[list[np.ndarray], list[int], bool]:
        if inp.frames is None:
            raise DescribeError(f"segment {inp.segment.id}: the vision-language backend needs the video frames "
                                "(open the session with its video, or use the offline backend)")
        picks = sample_indices(len(inp.frames), self.num_frames)
        boxes = inp.boxes
        if boxes is None:
            has_keypoints = all(p.keypoints_2d is not None for _, p in inp.reconstruction)
            boxes = boxes_from_reconstruction(inp.motion, None if has_keypoints else self._joints(inp))
        images = []
        for i in picks:
            frame = np.asarray(inp.frames[i])
            if frame.ndim != 3 or frame.shape[2] != 3:
                raise DescribeError(f"frames[{i}]: expected an RGB image (H, W, 3), got shape {frame.shape}")
            img = mark_people(frame, boxes[i]) if boxes is not None else frame.astype(np.uint8)
            images.append(_fit(img, self.max_side))
        return images, picks, boxes is not None

    def _joints(self, inp: DescribeInput) -> Optional[dict[str, np.ndarray]]:
        """3D joints to project into boxes, when the reconstruction has a camera but no 2D keypoints."""
        if inp.reconstruction.camera is None:
            return None
        from ..body import load_body_model
        from .offline import segment_bodies

        seg = inp.segment
        bodies = segment_bodies(inp.reconstruction, seg.start, seg.stop, load_body_model(device="cpu"))
        return {pid: b.joints for pid, b in bodies.items()}

    def describe(self, inp: DescribeInput) -> Description:
        images, picks, marked = self._images(inp)
        self.load()
        from PIL import Image

        template = PROMPT if marked else UNMARKED_PROMPT
        prompt = template.format(n=len(images), colour_a=COLOURS["A"][1], colour_b=COLOURS["B"][1])
        messages = [{"role": "user", "content": [*({"type": "image"} for _ in images),
                                                 {"type": "text", "text": prompt}]}]
        chat = self.processor.apply_chat_template(messages, add_generation_prompt=True)
        inputs = self.processor(text=[chat], images=[[Image.fromarray(im) for im in images]], return_tensors="pt")
        inputs = inputs.to(self.device)
        if "pixel_values" in inputs:
            inputs["pixel_values"] = inputs["pixel_values"].to(self.model.dtype)
        with torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
        new_tokens = out[:, inputs["input_ids"].shape[1]:]
        text = clean_answer(self.processor.batch_decode(new_tokens, skip_special_tokens=True)[0])
        seg = inp.segment
        image_token = getattr(self.processor, "image_token_id", None)
        details = {
            "frames": [seg.start + i for i in picks], "marked": marked, "prompt": prompt,
            "image_tokens": int((inputs["input_ids"] == image_token).sum()) if image_token is not None else None,
            "new_tokens": int(new_tokens.shape[1]),
            "contacts": [asdict(c) for c in parse_contacts(text, seg.start, seg.stop)],
        }
        return Description(text, self.author, details)


def _fit(img: np.ndarray, max_side: int) -> np.ndarray:
    """Downscale so the longer side is at most ``max_side`` (processors resize anyway; this bounds the cost)."""
    import cv2

    h, w = img.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1:
        return img
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)

"""Vision-language backend: a local model looks at marked key frames and answers a sentence and a contact list.

The user points it at a model folder they downloaded themselves (``--model-dir``, the app's settings); nothing is
fetched. ``vlm_loading.py`` lists the families it runs (Qwen2.5-VL, Qwen2-VL, SmolVLM2, SmolVLM / Idefics3,
LLaVA-OneVision, Gemma 3), checks the folder and picks processor, precision and device.

What the model is shown, so that its pixels say what the 3D estimate cannot:

* key frames of the segment **and** of the visible frames around it (the last frame before and the first after
  where both people are trusted, within ``CONTEXT_S``), numbered in time order: inside an occlusion the frames
  before and after are the evidence;
* every image cropped to the same box around the pair (the union of both people's boxes, with a margin), so small
  people in a wide shot fill the model's few hundred pixels;
* A and B boxed and lettered in the overlay's colours (``marking.py``); boxes come from the 2D keypoints or from
  the 3D motion projected through the camera, with occluded frames bridged as the offline describer bridges them.

The answer is read by ``vlm_answer.py`` (a short description plus a checked JSON contact list, ``source="vlm"``).
Results are cached by model fingerprint, the pixels shown and the prompt version (``cache_salt``). Still images,
not the families' video input: that needs ``torchvision`` video processors (not installable on a CPU-only torch
2.13 here), and key frames with boxes let the prompt name A and B.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np
import torch

from ..motion import PERSON_IDS, Reconstruction
from .base import (CancelFn, Describer, DescribeError, DescribeInput, Description, ProgressFn, never_cancelled,
                   no_progress)
from .contact_list import contacts_to_json
from .evidence import TRUSTED, bridge_untrusted
from .marking import COLOURS, boxes_from_reconstruction, mark_people, sample_indices
from .vlm_answer import PROMPT_VERSION, build_prompt, read_answer
from .vlm_loading import family_of, fingerprint, load_model, load_processor

CONTEXT_S = 1.0  # how far before/after the segment a visible context frame is looked for
CROP_MARGIN = 0.15  # of the pair's box size, on each side


def context_frames(recon: Reconstruction, start: int, stop: int, available: int, fps_window: int) -> list[int]:
    """The last frame before ``start`` and the first from ``stop`` on (within ``fps_window`` frames) where both
    people are trusted; ``available`` is how many frames the video has."""
    trusted = np.all([p.reliability >= TRUSTED for p in recon.people], axis=0)
    before = [f for f in range(start - 1, max(start - 1 - fps_window, -1), -1) if trusted[f]][:1]
    after = [f for f in range(stop, min(stop + fps_window, available, recon.num_frames)) if trusted[f]][:1]
    return before + after


def pair_crop(boxes: np.ndarray, width: int, height: int) -> Optional[tuple[int, int, int, int]]:
    """One crop ``x0, y0, x1, y1`` around every finite box in ``boxes (..., 4)``, grown by ``CROP_MARGIN``."""
    finite = boxes.reshape(-1, 4)
    finite = finite[np.all(np.isfinite(finite), axis=1)]
    if not len(finite):
        return None
    x0, y0 = finite[:, 0].min(), finite[:, 1].min()
    x1, y1 = finite[:, 2].max(), finite[:, 3].max()
    pad = CROP_MARGIN * max(x1 - x0, y1 - y0)
    return (int(max(x0 - pad, 0)), int(max(y0 - pad, 0)), int(min(x1 + pad, width)), int(min(y1 + pad, height)))


class VLMDescriber(Describer):
    """Describes a segment by showing a local vision-language model marked, cropped key frames."""

    def __init__(self, model_dir: Union[str, Path], device: Optional[Union[str, torch.device]] = None,
                 num_frames: int = 4, max_new_tokens: int = 200, max_side: int = 512,
                 min_new_tokens: int = 0) -> None:
        self.model_dir = Path(model_dir).expanduser()
        self.family = family_of(self.model_dir)  # checks the folder and the packages now, not at the first call
        self.device = torch.device(device) if device is not None else torch.device(
            "cuda" if torch.cuda.is_available() else "cpu")
        self.num_frames = num_frames
        self.max_new_tokens = max_new_tokens
        self.min_new_tokens = min_new_tokens  # a model that ends its answer at once can be made to say something
        self.max_side = max_side
        self._fingerprint = fingerprint(self.model_dir)
        self.processor: Any = None
        self.model: Any = None

    @property
    def backend_id(self) -> str:
        return (f"vlm/{self.model_dir.name}/{self._fingerprint}/p{PROMPT_VERSION}/f{self.num_frames}"
                f"/t{self.max_new_tokens}/s{self.max_side}")

    @property
    def author(self) -> str:
        return f"vlm:{self.model_dir.name}"

    def load(self) -> None:
        """Read processor and weights (once; the first description pays for it)."""
        if self.model is None:
            self.processor = load_processor(self.model_dir, self.family)
            self.model = load_model(self.model_dir, self.family, self.device)

    def _shown(self, inp: DescribeInput) -> tuple[list[int], Sequence[np.ndarray], int]:
        """Frames to show (absolute, in time order), where to read them, and the index of the segment's first."""
        seg = inp.segment
        picks = [seg.start + i for i in sample_indices(seg.length, self.num_frames)]
        if inp.video is not None:
            window = max(1, int(round(CONTEXT_S * inp.reconstruction.fps)))
            ctx = context_frames(inp.reconstruction, seg.start, seg.stop, len(inp.video), window)
            before = [f for f in ctx if f < seg.start]
            return before + picks + [f for f in ctx if f >= seg.stop], inp.video, len(before)
        if inp.frames is None:
            raise DescribeError(f"segment {seg.id}: the vision-language backend needs the video frames "
                                "(open the session with its video, or use the offline backend)")
        return picks, _Offset(inp.frames, seg.start), 0

    def _boxes(self, inp: DescribeInput, frames: list[int]) -> Optional[np.ndarray]:
        """A's and B's pixel boxes ``(len(frames), 2, 4)`` on the shown frames (the caller's inside the segment)."""
        lo, hi = min(frames), max(frames) + 1
        recon, _ = bridge_untrusted(inp.reconstruction, inp.segment)
        window = recon.slice(lo, hi)
        joints = None
        if recon.camera is not None and any(p.keypoints_2d is None for p in window.people):
            from ..body import load_body_model
            from .offline import segment_bodies

            bodies = segment_bodies(recon, lo, hi, load_body_model(device="cpu"))
            joints = {pid: bodies[pid].joints for pid in PERSON_IDS}
        boxes = boxes_from_reconstruction(window, joints)
        if boxes is not None:
            boxes = boxes[[f - lo for f in frames]]
        if inp.boxes is not None:
            boxes = boxes if boxes is not None else np.full((len(frames), 2, 4), np.nan)
            for i, f in enumerate(frames):
                if inp.segment.start <= f < inp.segment.stop:
                    boxes[i] = inp.boxes[f - inp.segment.start]
        return boxes

    def _images(self, inp: DescribeInput) -> tuple[list[np.ndarray], list[int], int, dict[str, Any]]:
        frames, source, first = self._shown(inp)
        raw = []
        for f in frames:
            img = np.asarray(source[f])
            if img.ndim != 3 or img.shape[2] != 3:
                raise DescribeError(f"frame {f}: expected an RGB image (H, W, 3), got shape {img.shape}")
            raw.append(img)
        boxes = self._boxes(inp, frames)
        h, w = raw[0].shape[:2]
        crop = pair_crop(boxes, w, h) if boxes is not None else None
        images = []
        for i, img in enumerate(raw):
            marked = mark_people(img, boxes[i]) if boxes is not None else img.astype(np.uint8)
            if crop is not None:
                marked = marked[crop[1]:crop[3], crop[0]:crop[2]]
            images.append(_fit(marked, self.max_side))
        return images, frames, first, {"marked": boxes is not None, "crop": list(crop) if crop else None}

    def cache_salt(self, inp: DescribeInput) -> str:
        """The pixels the model would be shown (after marking and cropping) and the prompt version."""
        images, frames, _, _ = self._images(inp)
        h = hashlib.sha256(f"{PROMPT_VERSION}\0{frames}".encode())
        for img in images:
            h.update(np.ascontiguousarray(img).tobytes())
        return h.hexdigest()

    def describe(self, inp: DescribeInput) -> Description:
        return self.describe_job(inp, no_progress, never_cancelled)

    def describe_job(self, inp: DescribeInput, progress: ProgressFn, cancel: CancelFn) -> Description:
        """Reports reading frames, loading the model and each generated token; Cancel stops the generation."""
        progress(0.0, "reading and marking frames")
        images, frames, first, shown = self._images(inp)
        if self.model is None:
            progress(0.1, f"loading {self.model_dir.name}")
            self.load()
        from PIL import Image

        n_seg = sum(inp.segment.start <= f < inp.segment.stop for f in frames)
        prompt = build_prompt(len(images), first + 1, first + n_seg, (COLOURS["A"][1], COLOURS["B"][1]))
        messages = [{"role": "user", "content": [*({"type": "image"} for _ in images),
                                                 {"type": "text", "text": prompt}]}]
        t0 = time.perf_counter()
        # the template through the tokenizer: processors' own wrappers also prepare video settings
        chat = self.processor.tokenizer.apply_chat_template(messages, chat_template=self.processor.chat_template,
                                                            add_generation_prompt=True, tokenize=False)
        inputs = self.processor(text=[chat], images=[Image.fromarray(im) for im in images], return_tensors="pt")
        inputs = inputs.to(self.device)
        if "pixel_values" in inputs:
            inputs["pixel_values"] = inputs["pixel_values"].to(self.model.dtype)
        progress(0.3, f"asking {self.model_dir.name}")
        with torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens,
                                      min_new_tokens=self.min_new_tokens, do_sample=False,
                                      stopping_criteria=[_Watch(inputs["input_ids"].shape[1], self.max_new_tokens,
                                                                progress, cancel)])
        if cancel():
            raise DescribeError(f"describing segment {inp.segment.id} was cancelled")
        new_tokens = out[:, inputs["input_ids"].shape[1]:]
        raw = self.processor.batch_decode(new_tokens, skip_special_tokens=True)[0]
        answer = read_answer(raw, frames, inp.segment)
        if not answer.description and not answer.contacts:
            raise DescribeError(f"{self.model_dir.name} gave no usable answer for segment {inp.segment.id} "
                                f"({'; '.join(answer.problems) or 'empty reply'})")
        image_token = getattr(self.processor, "image_token_id", None)
        details = {
            "family": self.family.name, "frames": frames, "segment_images": [first + 1, first + n_seg], **shown,
            "prompt": prompt, "answer": raw, "problems": answer.problems,
            "contacts": contacts_to_json(answer.contacts), "device": str(self.device),
            "image_tokens": int((inputs["input_ids"] == image_token).sum()) if image_token is not None else None,
            "new_tokens": int(new_tokens.shape[1]), "seconds": round(time.perf_counter() - t0, 3),
        }
        text = answer.description or "; ".join(c.clause for c in answer.contacts) + "."
        return Description(text, self.author, details)


class _Watch:
    """A ``generate`` stopping criterion that reports each new token and stops when the user cancels."""

    def __init__(self, prompt_length: int, max_new: int, progress: ProgressFn, cancel: CancelFn) -> None:
        self.prompt_length, self.max_new, self.progress, self.cancel = prompt_length, max_new, progress, cancel

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        made = input_ids.shape[1] - self.prompt_length
        self.progress(0.3 + 0.7 * made / max(self.max_new, 1), f"{made} tokens")
        return torch.full((input_ids.shape[0],), self.cancel(), dtype=torch.bool, device=input_ids.device)


class _Offset(Sequence):
    """Segment frames indexed by absolute frame number."""

    def __init__(self, frames: Sequence[np.ndarray], start: int) -> None:
        self._frames, self._start = frames, start

    def __len__(self) -> int:
        return self._start + len(self._frames)

    def __getitem__(self, f):  # type: ignore[override]
        return self._frames[f - self._start]


def _fit(img: np.ndarray, max_side: int) -> np.ndarray:
    """Downscale so the longer side is at most ``max_side`` (processors resize anyway; this bounds the cost)."""
    import cv2

    h, w = img.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1:
        return np.ascontiguousarray(img)
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)

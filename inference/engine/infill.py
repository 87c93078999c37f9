"""Motion infilling of one segment: real motion matched from the library (default) or the diffusion infiller.

The segment's frames of the chosen person(s) are regenerated; every other frame of the window around it (context
on both sides, the other person) is kept exactly and serves as the condition. Two priors fill the gap:

* ``"library"`` (default) — the captured motion whose visible surroundings match best (``motion_library.py``),
  bent to the borders, then guided by geometry (contacts, interpenetration, 2D keypoints). On real two-person
  mocap (CMU salsa, validation pair) it beat interpolation on occluded MPJPE (69 vs 87 mm) and placement
  (69 vs 100 mm) and its hidden legs step with the truth, where the diffusion infiller trained on generated
  motion lost badly (145 mm, pelvis 1.2 m off) and one trained on the real takes for 35 CPU minutes had not
  learned enough (docs/eval/README.md). It reads no text: the text's contacts still guide it.
* ``"network"`` — the paper's diffusion infiller: the text conditions the network (classifier-free guidance);
  geometry guides the sampling. Segments longer than the model's window are filled in consecutive chunks, each
  using the previous chunk as context; the frames of later chunks are generated with it, never kept as context
  (they still hold the estimate being replaced).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np
import torch

from ..body import BodyModel
from ..motion import MotionError, Reconstruction
from ..resample import frame_times, resample
from ..segments import Segment
from .base_motion import base_motion
from .baselines import interpolate_segment
from .bodies import pair_rest_joints
from .denoiser import MotionDenoiser
from .diffusion import CancelFn, NoiseSchedule, ProgressFn, check_cancel, ddim_sample, torch_threads
from .guidance import ContactConstraint, GuidanceWeights, PinConstraint, apply_guidance
from .models import get_model, model_device, resolve_device
from .motion_library import get_library
from .rate import contacts_at, off_model_rate, read_back
from .window_io import foot_floor, guidance_problem, read_window, write_window


PRIORS = ("library", "network")
# Guidance on a matched gap: contacts, interpenetration and 2D keypoints. Ground, foot-skating and border
# continuity terms are left out: the matched motion is real motion already, and on validation they moved the
# pelvis away from the truth (placement 69 → 88 mm) for no gain in MPJPE.
LIBRARY_GUIDANCE = GuidanceWeights(reprojection=1.0, penetration=0.3, contact=1.0, ground=0.0, skating=0.0,
                                   continuity=0.0)
LIBRARY_MAX_WINDOW = 400  # model-rate frames: a 12 s gap with its context in one piece


@dataclass
class InfillOptions:
    steps: int = 20  # DDIM steps
    text_scale: float = 1.0  # classifier-free guidance scale (1: plain conditional; 2 was worse in evaluation)
    use_text: bool = True
    guidance: Optional[GuidanceWeights] = None  # None: the prior's own (LIBRARY_GUIDANCE / GuidanceWeights())
    guidance_iterations: int = 2  # gradient steps after each sampling step
    final_iterations: int = 10  # gradient steps on the final sample
    context: int = 16  # kept frames on each side of the segment
    max_window: int = 96
    trust_threshold: float = 0.5  # reliability at or above which a frame counts as trusted (for the floor)
    contacts: list[ContactConstraint] = field(default_factory=list)
    pins: list[PinConstraint] = field(default_factory=list)  # joints the user pinned
    floor: Optional[float] = None  # foot-joint floor height; None: estimated from trusted frames
    seed: int = 0
    threads: Optional[int] = 1  # torch threads while sampling (None: torch's setting); see diffusion.torch_threads
    model_path: Optional[str] = None
    text_encoder: Optional[str] = None  # default: the one the model was trained with
    device: Optional[str] = None  # "cpu" / "cuda"; None: CUDA when present (a model passed in keeps its own)
    prior: str = "library"  # "library": real motion matched (motion_library.py); "network": the diffusion infiller
    library_path: Optional[str] = None  # default: the shipped library
    library_k: int = 8  # library matches averaged (8 beat 4 on validation)
    library_context: int = 16  # kept frames on each side matched (16 beat 10 and 30 on placement on validation)


def _regenerated(segment: Segment, num_frames: int) -> np.ndarray:
    if segment.stop > num_frames:
        raise MotionError(f"segment [{segment.start}, {segment.stop}) ends after the last frame ({num_frames})")
    mask = np.zeros((num_frames, 2), bool)
    cols = [0, 1] if segment.who == "both" else ["A", "B"].index(segment.who)
    mask[segment.start:segment.stop, cols] = True
    return mask


def text_embedding(model: MotionDenoiser, text: str, options: InfillOptions) -> Optional[torch.Tensor]:
    """``(1, D)`` embedding, or None when text is off, empty or the model has no text input."""
    if not (options.use_text and text.strip() and model.config.text_dim > 0):
        return None
    from ..text_encoder import load_text_encoder

    encoder = load_text_encoder(options.text_encoder or model.config.text_encoder)
    if encoder.dim != model.config.text_dim:
        raise MotionError(f"text encoder {encoder.name} gives {encoder.dim}-d vectors; the infiller was trained "
                          f"with {model.config.text_encoder} ({model.config.text_dim}-d)")
    return torch.as_tensor(encoder.encode([text.strip()]))


def _rate(model: MotionDenoiser, options: InfillOptions) -> float:
    """Frame rate the segment is filled at: the network's, or the motion library's."""
    return get_library(options.library_path).fps if options.prior == "library" else model.config.fps


def _chunks(start: int, stop: int, length: int) -> list[tuple[int, int]]:
    return [(s, min(stop, s + length)) for s in range(start, stop, length)]


def infill_segment(recon: Reconstruction, segment: Segment, text: str = "",
                   options: Optional[InfillOptions] = None, progress: Optional[ProgressFn] = None,
                   cancel: Optional[CancelFn] = None, *, model: Optional[MotionDenoiser] = None,
                   body: Optional[BodyModel] = None) -> Reconstruction:
    """A new reconstruction whose ``segment`` frames (of ``segment.who``) are regenerated; nothing else changes.

    ``progress(fraction, message)`` is called after each sampling step; ``cancel()`` is checked before each,
    and a True answer raises :class:`Cancelled` (the input is never modified).
    """
    options = options or InfillOptions()
    if options.guidance is None:
        options = replace(options, guidance=LIBRARY_GUIDANCE if options.prior == "library" else GuidanceWeights())
    if options.prior == "library":  # matching is not bound to a network's window: its own context, one chunk
        options = replace(options, context=options.library_context, max_window=LIBRARY_MAX_WINDOW)
    with torch_threads(options.threads):
        return _infill(recon, segment, text, options, progress, cancel, model, body)


def _infill(recon: Reconstruction, segment: Segment, text: str, options: InfillOptions,
            progress: Optional[ProgressFn], cancel: Optional[CancelFn], model: Optional[MotionDenoiser],
            body: Optional[BodyModel]) -> Reconstruction:
    if options.prior not in PRIORS:
        raise MotionError(f"infill prior must be one of {PRIORS}, got {options.prior!r}")
    model = model or get_model("infiller", options.model_path, resolve_device(options.device))
    regen = _regenerated(segment, recon.num_frames)
    if off_model_rate(recon.fps, _rate(model, options)):
        return _infill_at_model_rate(recon, segment, text, options, progress, cancel, model, body)
    rest = pair_rest_joints(recon, body)
    reliable = np.stack([p.reliability >= options.trust_threshold for p in recon.people], 1)
    floor = options.floor if options.floor is not None else foot_floor(recon, rest, reliable & ~regen)
    if progress is not None:
        progress(0.0, "preparing (text encoder, floor)")
    emb = text_embedding(model, text, options) if options.prior == "network" else None
    if emb is not None:
        emb = emb.to(model_device(model))
    inner = max(8, options.max_window - 2 * options.context)
    chunks = _chunks(segment.start, segment.stop, inner)
    generator = torch.Generator().manual_seed(options.seed)
    out = recon
    pending = regen.copy()  # still the estimate being replaced: never a kept condition, even beside a chunk
    for k, (c0, c1) in enumerate(chunks):
        check_cancel(cancel)
        w0, w1 = max(0, c0 - options.context), min(recon.num_frames, c1 + options.context)
        chunk_regen = np.zeros_like(regen)
        chunk_regen[c0:c1] = regen[c0:c1]

        def chunk_progress(frac: float, msg: str, k: int = k) -> None:
            if progress is not None:
                progress((k + frac) / len(chunks), f"infilling frames {segment.start}–{segment.stop}: {msg}")

        out = _infill_window(out, w0, w1, pending[w0:w1], chunk_regen[w0:w1], rest, floor, emb, model, options,
                             generator, chunk_progress, cancel)
        pending[c0:c1] = False
    return out


def _infill_window(recon: Reconstruction, w0: int, w1: int, regen: np.ndarray, write: np.ndarray,
                   rest: np.ndarray, floor: Optional[float], emb: Optional[torch.Tensor], model: MotionDenoiser,
                   options: InfillOptions, generator: torch.Generator, progress: ProgressFn,
                   cancel: Optional[CancelFn]) -> Reconstruction:
    """Generate the window's ``regen`` entries (``(W, 2)``; everything else is the kept condition) and write
    back the ``write`` ones (the chunk's; later chunks' frames are generated only as free context)."""
    keep = ~regen
    device = model_device(model)
    window = read_window(recon, w0, w1, keep, rest)
    problem = guidance_problem(window, regen, options.contacts, floor, options.pins).to(device)
    if options.prior == "library":
        matched = get_library(options.library_path).fill(window.features, keep, window.rest_joints, options.library_k)
        # one round on the matched motion: the sampler's rounds between steps are there to steer a network's sample
        guided = apply_guidance(matched.to(device), problem, options.guidance, options.final_iterations)
        progress(1.0, "matched real motion")
        return write_window(recon, window, guided.cpu(), rest, write)
    keep_t = torch.as_tensor(keep, device=device)[None]
    base = base_motion("infiller", window.features[None], keep[None]).to(device)
    observed = model.normalise(base)
    schedule = NoiseSchedule(model.config.diffusion_steps)
    use_cfg = emb is not None and options.text_scale != 1.0

    @torch.no_grad()
    def predict(x: torch.Tensor, step: int) -> torch.Tensor:
        steps = torch.full((1,), step, device=device)
        if emb is None:
            return model(x, steps, observed, keep_t)
        if not use_cfg:
            return model(x, steps, observed, keep_t, emb)
        both = model(x.expand(2, -1, -1, -1), steps.expand(2), observed.expand(2, -1, -1, -1),
                     keep_t.expand(2, -1, -1), emb.expand(2, -1), torch.tensor([1.0, 0.0], device=device))
        return both[1:] + options.text_scale * (both[:1] - both[1:])

    def refine(x0: torch.Tensor, i: int, n: int) -> torch.Tensor:
        x0 = torch.where(keep_t[..., None], torch.zeros_like(x0), x0)  # kept entries are the base exactly
        iterations = options.final_iterations if i + 1 == n else options.guidance_iterations
        guided = apply_guidance(model.from_residual(x0, base)[0], problem, options.guidance, iterations)
        return model.to_residual(guided[None], base)

    result = ddim_sample(predict, schedule, tuple(base.shape), options.steps, refine_x0=refine,
                         generator=generator, progress=progress, cancel=cancel, label="infilling", device=device)
    return write_window(recon, window, model.from_residual(result, base)[0].cpu(), rest, write)


def _infill_at_model_rate(recon: Reconstruction, segment: Segment, text: str, options: InfillOptions,
                          progress: Optional[ProgressFn], cancel: Optional[CancelFn], model: MotionDenoiser,
                          body: Optional[BodyModel]) -> Reconstruction:
    """Infill a sequence whose frame rate is not the model's: the window around the segment is resampled to
    the model's rate (SLERP), infilled there, and the segment's frames are read back at their own times. Only
    the segment's rotations and translations change, as at the model's own rate."""
    rate = _rate(model, options)
    ratio = recon.fps / rate  # source frames per model frame
    context = int(np.ceil(options.context * ratio))
    w0, w1 = max(0, segment.start - context), min(recon.num_frames, segment.stop + context)
    times = frame_times(w0, w1 - 1, recon.fps, rate)
    inside = np.flatnonzero((times > segment.start - 1) & (times < segment.stop))
    if inside.size == 0:  # shorter than one model frame: nothing for the network to generate
        return interpolate_segment(recon, segment)
    low = resample(recon.slice(w0, w1), times - w0, rate)
    low_segment = Segment(int(inside[0]), int(inside[-1]) + 1, segment.who)
    low_options = replace(options, contacts=contacts_at(times, options.contacts),
                          pins=contacts_at(times, options.pins))
    filled = _infill(low, low_segment, text, low_options, progress, cancel, model, body)
    who = tuple(i for i, pid in enumerate("AB") if segment.who in (pid, "both"))
    return read_back(recon, filled, w0, np.arange(segment.start, segment.stop), who)

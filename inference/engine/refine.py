"""Sequence-level temporal refinement (the paper's refiner), and the plain smoothing filter it must beat.

The learned refiner is a small diffusion model over windows of the whole sequence that generates a correction
(residual) to its input: starting from "no correction" noised to a middle step, a few DDIM steps (SDEdit) remove
jitter, seams at segment borders and drift of the pair's relative placement. Geometric guidance runs inside
that sampling (as the paper does): no interpenetration, feet on the floor without sliding, reprojection on
visible keypoints, and trusted frames anchored to their input. Overlapping windows are cross-faded.

``method="savgol"`` is a Savitzky-Golay filter on the 6D rotations and pelvis positions, the plain baseline the
refiner must beat, and **the default**. On generated sequences (``docs/eval/infill_eval.md``) the learned refiner
then the filter (``"learned+savgol"``) beat the filter alone on MPJPE, jitter and interpenetration; on real
two-person motion capture (CMU salsa, validation pair; ``docs/eval/README.md``) the refiner, trained on generated
motion only, raised the visible frames' error from 17.5 to 50.8 mm and, even with those frames kept, the
occluded frames' error of a matched gap from 69 to 78 mm and its placement error from 69 to 96 mm. A component
that loses to its baseline on real data is not a default: ``"learned"`` / ``"learned+savgol"`` remain options.

``keep_trusted`` (seconds, default 0.2) makes the learned refiner respect the evidence: trusted frames that far or
farther from any untrusted one keep their input exactly, closer ones are blended towards the refined motion, and
untrusted frames (infilled gaps) and their seams are the refiner's. Without it the refiner moves good frames.

Both methods first repair short facing flips of fitted bodies (``flips.py``): the filter averages 6D rotations
frame by frame, so a body that turns round for a few frames would otherwise be spread over the window rather than
removed, and *raise* mean acceleration (seen on one batch-test clip fitted from rendered video: 12.8 → 25.6 m/s²
with the filter alone).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np
import torch
from scipy.ndimage import distance_transform_edt
from scipy.signal import savgol_filter

from ..body import BodyModel
from ..motion import MotionError, Reconstruction
from ..resample import frame_times, neighbours, resample
from ..rotations import matrix_to_rot6d, rot6d_to_matrix
from .bodies import pair_rest_joints
from .denoiser import MotionDenoiser
from .diffusion import CancelFn, NoiseSchedule, ProgressFn, check_cancel, ddim_sample, torch_threads
from .flips import repair_flips
from .guidance import ContactConstraint, GuidanceWeights, PinConstraint, apply_guidance
from .rate import contacts_at, off_model_rate, read_back
from .models import get_model, model_device, resolve_device
from .window_io import foot_floor, guidance_problem, read_window, window_world, world_tensors, write_world

METHODS = ("savgol", "learned", "learned+savgol")


def _default_weights() -> GuidanceWeights:
    return GuidanceWeights(reprojection=1.0, penetration=1.0, contact=1.0, ground=1.0, skating=0.5,
                           continuity=0.0, anchor=0.05)


@dataclass
class RefineOptions:
    method: str = "savgol"  # on real motion the learned refiner raised occluded error; see the module docstring
    steps: int = 6  # DDIM steps from the start step down
    strength: float = 0.3  # how far up the noise schedule the input is pushed (0: unchanged, 1: from noise)
    window: int = 64
    overlap: int = 16
    guidance: GuidanceWeights = field(default_factory=_default_weights)
    guidance_iterations: int = 1
    final_iterations: int = 4
    trust_threshold: float = 0.5
    keep_trusted: float = 0.2  # trusted frames this many seconds from any untrusted one keep their input (learned)
    floor: Optional[float] = None
    contacts: list[ContactConstraint] = field(default_factory=list)
    pins: list[PinConstraint] = field(default_factory=list)  # joints the user pinned
    savgol_window: int = 9
    savgol_order: int = 2
    seed: int = 0
    threads: Optional[int] = 1  # torch threads while sampling (None: torch's setting); see diffusion.torch_threads
    model_path: Optional[str] = None
    device: Optional[str] = None  # "cpu" / "cuda"; None: CUDA when present (a model passed in keeps its own)


def window_starts(num_frames: int, window: int, overlap: int) -> list[int]:
    """Starts of windows of ``window`` frames covering ``num_frames`` with at least ``overlap`` shared frames."""
    if num_frames <= window:
        return [0]
    stride = max(1, window - overlap)
    starts = list(range(0, num_frames - window, stride)) + [num_frames - window]
    return sorted(set(starts))


def _blend_weights(length: int, overlap: int, first: bool, last: bool) -> np.ndarray:
    ramp = np.minimum(1.0, (np.arange(length) + 1) / (overlap + 1))
    w = np.ones(length)
    if not first:
        w = np.minimum(w, ramp)
    if not last:
        w = np.minimum(w, ramp[::-1])
    return w


def refine_sequence(recon: Reconstruction, trusted_mask: Optional[np.ndarray] = None,
                    options: Optional[RefineOptions] = None, progress: Optional[ProgressFn] = None,
                    cancel: Optional[CancelFn] = None, *, model: Optional[MotionDenoiser] = None,
                    body: Optional[BodyModel] = None) -> Reconstruction:
    """A refined copy of the whole sequence. ``trusted_mask`` ``(T, 2)`` marks frames backed by evidence
    (default: reliability ≥ ``trust_threshold``)."""
    options = options or RefineOptions()
    if options.method not in METHODS:
        raise MotionError(f"refine method must be one of {METHODS}, got {options.method!r}")
    rest = pair_rest_joints(recon, body)
    if trusted_mask is None:
        trusted_mask = np.stack([p.reliability >= options.trust_threshold for p in recon.people], 1)
    trusted_mask = np.asarray(trusted_mask, bool)
    if trusted_mask.shape != (recon.num_frames, 2):
        raise MotionError(f"trusted_mask: expected shape ({recon.num_frames}, 2), got {trusted_mask.shape}")
    recon = repair_flips(recon)  # neither the filter nor the network can undo a fitted body turning round
    if options.method == "savgol":
        check_cancel(cancel)
        out = smooth_sequence(recon, rest, options.savgol_window, options.savgol_order)
        if progress is not None:
            progress(1.0, "smoothing: done")
        return out
    with torch_threads(options.threads):
        out = _learned_refinement(recon, trusted_mask, rest, options, progress, cancel, model)
    if options.keep_trusted > 0:
        margin = max(1, int(round(options.keep_trusted * recon.fps)))
        out = blend(out, recon, rest, trust_weights(trusted_mask, margin))
    if options.method == "learned+savgol":
        check_cancel(cancel)
        out = smooth_sequence(out, rest, options.savgol_window, options.savgol_order)
    return out


def _learned_refinement(recon: Reconstruction, trusted_mask: np.ndarray, rest: np.ndarray, options: RefineOptions,
                        progress: Optional[ProgressFn], cancel: Optional[CancelFn],
                        model: Optional[MotionDenoiser]) -> Reconstruction:
    everything = np.ones((recon.num_frames, 2), bool)
    model = model or get_model("refiner", options.model_path, resolve_device(options.device))
    if off_model_rate(recon.fps, model.config.fps):
        return _refine_at_model_rate(recon, trusted_mask, rest, options, progress, cancel, model)
    device = model_device(model)
    floor = options.floor if options.floor is not None else foot_floor(recon, rest, trusted_mask)
    schedule = NoiseSchedule(model.config.diffusion_steps)
    generator = torch.Generator().manual_seed(options.seed)
    starts = window_starts(recon.num_frames, options.window, options.overlap)
    acc_rot = torch.zeros(recon.num_frames, 2, 22, 6)
    acc_pel = torch.zeros(recon.num_frames, 2, 3)
    acc_w = torch.zeros(recon.num_frames, 1, 1)
    for k, s in enumerate(starts):
        e = min(recon.num_frames, s + options.window)
        trusted = trusted_mask[s:e]
        window = read_window(recon, s, e, trusted, rest)
        problem = guidance_problem(window, everything[s:e], options.contacts, floor, options.pins)
        problem.anchor, problem.anchor_mask = window.features, torch.as_tensor(trusted)
        problem = problem.to(device)
        trusted_t = torch.as_tensor(trusted, dtype=torch.float32, device=device)[None]
        base = window.features[None].to(device)
        observed = model.normalise(base)

        @torch.no_grad()
        def predict(x: torch.Tensor, step: int) -> torch.Tensor:
            return model(x, torch.full((1,), step, device=device), observed, trusted_t)

        def refine(x0: torch.Tensor, i: int, n: int, problem=problem, base=base) -> torch.Tensor:
            iterations = options.final_iterations if i + 1 == n else options.guidance_iterations
            guided = apply_guidance(model.from_residual(x0, base)[0], problem, options.guidance, iterations)
            return model.to_residual(guided[None], base)

        def window_progress(frac: float, msg: str, k: int = k) -> None:
            if progress is not None:
                progress((k + frac) / len(starts), f"refining window {k + 1}/{len(starts)}: {msg}")

        result = ddim_sample(predict, schedule, tuple(base.shape), options.steps, refine_x0=refine,
                             start=torch.zeros_like(base), strength=options.strength, generator=generator,
                             progress=window_progress, cancel=cancel, label="refining", device=device)
        rotmats, pelvis = window_world(window, model.from_residual(result, base)[0].cpu())
        w = torch.as_tensor(_blend_weights(e - s, options.overlap, s == 0, e == recon.num_frames),
                            dtype=torch.float32)[:, None, None]
        acc_rot[s:e] += matrix_to_rot6d(rotmats) * w[..., None]
        acc_pel[s:e] += pelvis * w
        acc_w[s:e] += w
    rotmats = rot6d_to_matrix(acc_rot / acc_w[..., None])
    return write_world(recon, 0, rotmats, acc_pel / acc_w, rest, everything)


def _refine_at_model_rate(recon: Reconstruction, trusted_mask: np.ndarray, rest: np.ndarray,
                          options: RefineOptions, progress: Optional[ProgressFn], cancel: Optional[CancelFn],
                          model: MotionDenoiser) -> Reconstruction:
    """Refine a sequence whose frame rate is not the model's: resampled to the model's rate (SLERP), refined
    there, and read back at its own frame times (a frame between two resampled ones is trusted only if both are)."""
    times = frame_times(0, recon.num_frames - 1, recon.fps, model.config.fps)
    low = resample(recon, times, model.config.fps)
    lo, hi, _ = neighbours(times, recon.num_frames)
    low_options = replace(options, contacts=contacts_at(times, options.contacts),
                          pins=contacts_at(times, options.pins))
    refined = _learned_refinement(low, trusted_mask[lo] & trusted_mask[hi], rest, low_options, progress, cancel,
                                  model)
    return read_back(recon, refined, 0, np.arange(recon.num_frames))


def trust_weights(trusted: np.ndarray, margin: int) -> np.ndarray:
    """``(T, 2)`` weights of the input against the learned refinement: 1 on trusted frames ``margin`` or more
    frames from any untrusted one, falling linearly to 0 on untrusted frames (a person with no untrusted frame
    keeps all of them)."""
    out = np.ones(trusted.shape)
    for person in range(trusted.shape[1]):
        if trusted[:, person].all():
            continue
        distance = distance_transform_edt(trusted[:, person])
        out[:, person] = np.clip(distance / (margin + 1), 0.0, 1.0)
    return out


def blend(refined: Reconstruction, original: Reconstruction, rest: np.ndarray, weights: np.ndarray) -> Reconstruction:
    """Per frame and person ``weights`` ``(T, 2)`` of ``original`` against ``refined`` (6D rotations and pelvis)."""
    rot_r, pel_r = world_tensors(refined, rest)
    rot_o, pel_o = world_tensors(original, rest)
    w = torch.as_tensor(weights, dtype=torch.float32)
    rot6d = matrix_to_rot6d(rot_r) * (1 - w[..., None, None]) + matrix_to_rot6d(rot_o) * w[..., None, None]
    pelvis = pel_r * (1 - w[..., None]) + pel_o * w[..., None]
    out = write_world(refined, 0, rot6d_to_matrix(rot6d), pelvis, rest, (weights > 0) & (weights < 1))
    people = []
    for i, (person, source) in enumerate(zip(out.people, original.people)):
        kept = weights[:, i] >= 1  # exactly the input there, not a round trip through 6D
        person = person.copy()
        for name in ("global_orient", "body_pose", "transl"):
            getattr(person, name)[kept] = getattr(source, name)[kept]
        people.append(person)
    return out.replace_people(*people)


def smooth_sequence(recon: Reconstruction, rest: np.ndarray, window: int = 9, order: int = 2) -> Reconstruction:
    """Savitzky-Golay on world 6D rotations and pelvis positions, then back to rotations (Gram-Schmidt)."""
    n = recon.num_frames
    window = min(window, n if n % 2 else n - 1)
    if window <= order:
        return recon.copy()
    rotmats, pelvis = world_tensors(recon, rest)
    rot6d = savgol_filter(matrix_to_rot6d(rotmats).numpy(), window, order, axis=0)
    pel = savgol_filter(pelvis.numpy(), window, order, axis=0)
    return write_world(recon, 0, rot6d_to_matrix(torch.as_tensor(rot6d, dtype=torch.float32)),
                       torch.as_tensor(pel, dtype=torch.float32), rest, np.ones((n, 2), bool))

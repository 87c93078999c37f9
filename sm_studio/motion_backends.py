"""What "Infill segment" and "Refine sequence" run, as job functions for :mod:`sm_studio.jobs`.

Everything that changes motion lives in ``inference.engine``; this module only picks the implementation and
names it honestly in the UI. The infiller is the learned one when its checkpoint is installed; otherwise SLERP
interpolation across the segment (``inference.engine.baselines``) stands in, labelled as such. "Refine sequence"
is the engine's default refinement (the learned refiner, then the Savitzky-Golay filter), or the filter alone,
labelled as such, when the refiner model is missing. Without the engine package at all the actions are
disabled, with the reason.

Backend functions receive the compute device the user chose (``"cpu"``/``"cuda"``) as ``device=``. The jobs never
fail for want of a GPU: when CUDA is not available they run on the CPU, and a CUDA out-of-memory error inside a job
reruns it on the CPU — both logged and shown in the job's progress text. The networks and their guidance run on the
chosen device; the body model stays on the CPU (the engine only reads rest joints from it).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import Callable, Optional, Sequence, TypeVar

import numpy as np
import torch

from inference.edit.contacts import Contact
from inference.edit.pins import Pin
from inference.motion import Reconstruction
from inference.segments import Segment

from .jobs import CancelFn, JobFn, ProgressFn

log = logging.getLogger(__name__)

# (recon, segment, text, progress, cancel, *, device, contacts, pins) -> Reconstruction; ``contacts`` None: the text's
InfillFn = Callable[..., Reconstruction]
RefineFn = Callable[..., Reconstruction]  # (recon, segments, progress, cancel, *, device, contacts, pins)
INFILL_LABELS = {"library": "motion-library infill", "network": "diffusion infiller"}  # by the engine's prior
LEARNED_REFINE = "temporal refiner + smoothing"  # learned+savgol (inference/engine/refine.py)
SMOOTHING_REFINE = "smoothing"  # the engine's default since the real-motion evaluation (refine.py)
T = TypeVar("T")


def with_cpu_fallback(run: Callable[[str], T], device: str, progress: ProgressFn) -> T:
    """``run(device)``, falling back to ``run("cpu")`` when CUDA is unavailable or runs out of memory."""
    if device.startswith("cuda") and not torch.cuda.is_available():
        log.warning("CUDA is not available on this machine: running on the CPU")
        progress(0.0, "CUDA unavailable: running on the CPU")
        device = "cpu"
    try:
        return run(device)
    except torch.cuda.OutOfMemoryError as exc:
        if device == "cpu":
            raise
        log.warning("out of GPU memory (%s): running the job again on the CPU", str(exc).splitlines()[0])
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        progress(0.0, "out of GPU memory: running again on the CPU")
        return run("cpu")


@dataclass(frozen=True)
class MotionBackend:
    """``None`` for an action that cannot run here; ``note`` says why something is missing or stood in for."""

    infill: Optional[InfillFn]
    refine: Optional[RefineFn]
    infill_label: str = INFILL_LABELS["library"]
    refine_label: str = LEARNED_REFINE
    note: str = ""

    def infill_job(self, recon: Reconstruction, segment: Segment, text: str, device: str = "cpu",
                   contacts: Optional[Sequence[Contact]] = None, pins: Sequence[Pin] = ()) -> JobFn:
        """``contacts``: exactly the list the infiller keeps (None: the text's); ``pins``: joints held."""
        if self.infill is None:
            raise ValueError(f"infilling is unavailable: {self.note}")
        infill = self.infill
        return lambda progress, cancel: with_cpu_fallback(
            lambda dev: infill(recon, segment, text, progress, cancel, device=dev, contacts=contacts, pins=pins),
            device, progress)

    def refine_job(self, recon: Reconstruction, segments: list[Segment], device: str = "cpu",
                   contacts: Optional[Sequence[Contact]] = None, pins: Sequence[Pin] = ()) -> JobFn:
        if self.refine is None:
            raise ValueError(f"refining is unavailable: {self.note}")
        refine, segments = self.refine, list(segments)
        return lambda progress, cancel: with_cpu_fallback(
            lambda dev: refine(recon, segments, progress, cancel, device=dev, contacts=contacts, pins=pins),
            device, progress)


def trusted_mask(recon: Reconstruction, segments: list[Segment], threshold: float = 0.5) -> np.ndarray:
    """``(T, 2)``: frames backed by evidence — reliable, and not inside a segment the user flagged for that person."""
    mask = np.stack([p.reliability >= threshold for p in recon.people], 1)
    for seg in segments:
        for i, pid in enumerate(("A", "B")):
            if seg.who in (pid, "both"):
                mask[seg.start:seg.stop, i] = False
    return mask


def find_backend() -> MotionBackend:
    try:
        engine = importlib.import_module("inference.engine")
        baselines = importlib.import_module("inference.engine.baselines")
        from inference.engine.checkpoint import paths, shipped_model_path
    except ImportError as exc:
        return MotionBackend(None, None, "", "", f"the engine (inference.engine) is not installed: {exc}")

    def installed(role: str) -> bool:  # weights and their description, as the loader needs them
        weights, meta, _ = paths(shipped_model_path(role))
        return weights.is_file() and meta.is_file()
    notes = []
    prior = engine.InfillOptions().prior  # the engine's default (inference/engine/infill.py)
    if prior == "library":
        from inference.engine.motion_library import SHIPPED as prior_file
        learned = prior_file.is_file()
    else:
        prior_file, learned = shipped_model_path("infiller"), installed("infiller")

    def infill(r: Reconstruction, s: Segment, t: str, p: ProgressFn, c: CancelFn, device: str = "cpu",
               contacts: Optional[Sequence[Contact]] = None, pins: Sequence[Pin] = ()) -> Reconstruction:
        from inference.body import load_body_model
        from inference.describe.guidance import text_contacts
        from inference.edit.hold import engine_contacts, engine_pins, hold, segment_frames

        body = load_body_model(device="cpu")
        guide = text_contacts(r, s, t, body) if contacts is None else engine_contacts(contacts, r, body)
        pins = [q for q in pins if q.start < s.stop and q.stop > s.start]
        if learned:  # the contacts and pins guide the sampling…
            options = engine.InfillOptions(contacts=guide, pins=engine_pins(pins), device=device)
            out = engine.infill_segment(r, s, t, options, progress=p, cancel=c, body=body)
        else:
            out = baselines.interpolate_segment(r, s)
        p(1.0, "holding pins and contacts")  # …and are met exactly on the frames it regenerated
        return hold(out, body, guide, pins, editable=segment_frames(r.num_frames, s))
    if learned:
        infill_label = INFILL_LABELS[prior]
    else:
        notes.append(f"no {INFILL_LABELS[prior]} ({prior_file} is missing)")
        infill_label = f"interpolation ({INFILL_LABELS[prior]} not installed)"
    refiner_installed = installed("refiner")
    if not refiner_installed:
        notes.append(f"no refiner model ({shipped_model_path('refiner')} is missing)")
    method = engine.RefineOptions().method  # the engine's default (inference/engine/refine.py)
    if method != "savgol" and not refiner_installed:
        method = "savgol"

    def refine(r: Reconstruction, segs: list[Segment], p: ProgressFn, c: CancelFn, device: str = "cpu",
               contacts: Optional[Sequence[Contact]] = None, pins: Sequence[Pin] = ()) -> Reconstruction:
        from inference.body import load_body_model
        from inference.describe.guidance import segments_contacts
        from inference.edit.hold import engine_contacts, engine_pins, hold

        body = load_body_model(device="cpu")  # keeps the segments' contacts (the texts' unless a list is given)
        guide = segments_contacts(r, segs, body) if contacts is None else engine_contacts(contacts, r, body)
        options = engine.RefineOptions(method=method, device=device, contacts=guide, pins=engine_pins(pins))
        out = engine.refine_sequence(r, trusted_mask(r, segs), options, progress=p, cancel=c, body=body)
        return hold(out, body, pins=pins)
    refine_label = LEARNED_REFINE if method != "savgol" else SMOOTHING_REFINE
    return MotionBackend(infill, refine, infill_label, refine_label, "; ".join(notes))


def describe_backend(vlm_dir: str = "") -> tuple[Optional[object], str]:
    """The description backend: ``inference.describe.default_describer(vlm_dir)`` when the package offers a
    choice of backends, else its offline 3D describer; the offline one, and why, when the vision-language model
    folder cannot be used; ``None`` and why when neither is installed."""
    try:
        describe = importlib.import_module("inference.describe")
        factory = getattr(describe, "default_describer", None)
        if factory is None:
            factory = importlib.import_module("inference.describe.offline").OfflineDescriber
    except (ImportError, AttributeError) as exc:
        return None, f"no description backend is installed ({exc})"
    try:
        return (factory(vlm_dir) if vlm_dir else factory()), ""
    except Exception as exc:
        problem = f"the description backend could not start ({type(exc).__name__}: {exc})"
    if vlm_dir:
        offline, _ = describe_backend()
        return offline, problem + "; using the offline describer"
    return None, problem

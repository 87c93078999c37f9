"""What "Infill segment" and "Refine sequence" run, as job functions for :mod:`sm_studio.jobs`.

Everything that changes motion lives in ``inference.engine``; this module only picks the implementation and
names it honestly in the UI. The learned models are used when their checkpoints are installed; otherwise the
engine's own simple methods stand in, labelled as such: SLERP interpolation across the segment
(``inference.engine.baselines``) for the infiller, the Savitzky-Golay smoothing filter (``refine_sequence(...,
method="savgol")``) for the refiner. Without the engine package at all the actions are disabled, with the reason.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from inference.motion import Reconstruction
from inference.segments import Segment

from .jobs import CancelFn, JobFn, ProgressFn

InfillFn = Callable[[Reconstruction, Segment, str, ProgressFn, CancelFn], Reconstruction]
RefineFn = Callable[[Reconstruction, list[Segment], ProgressFn, CancelFn], Reconstruction]
LEARNED_INFILL = "diffusion infiller"
LEARNED_REFINE = "temporal refiner"


@dataclass(frozen=True)
class MotionBackend:
    """``None`` for an action that cannot run here; ``note`` says why something is missing or stood in for."""

    infill: Optional[InfillFn]
    refine: Optional[RefineFn]
    infill_label: str = LEARNED_INFILL
    refine_label: str = LEARNED_REFINE
    note: str = ""

    def infill_job(self, recon: Reconstruction, segment: Segment, text: str) -> JobFn:
        if self.infill is None:
            raise ValueError(f"infilling is unavailable: {self.note}")
        infill = self.infill
        return lambda progress, cancel: infill(recon, segment, text, progress, cancel)

    def refine_job(self, recon: Reconstruction, segments: list[Segment]) -> JobFn:
        if self.refine is None:
            raise ValueError(f"refining is unavailable: {self.note}")
        refine = self.refine
        return lambda progress, cancel: refine(recon, list(segments), progress, cancel)


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
    if installed("infiller"):
        infill: InfillFn = lambda r, s, t, p, c: engine.infill_segment(r, s, t, progress=p, cancel=c)  # noqa: E731
        infill_label = LEARNED_INFILL
    else:
        notes.append(f"no infiller model ({shipped_model_path('infiller')} is missing)")

        def infill(r: Reconstruction, s: Segment, _t: str, p: ProgressFn, c: CancelFn) -> Reconstruction:
            out = baselines.interpolate_segment(r, s)
            p(1.0, "interpolated")
            return out
        infill_label = "interpolation (infiller model not installed)"
    if installed("refiner"):
        def refine(r: Reconstruction, segs: list[Segment], p: ProgressFn, c: CancelFn) -> Reconstruction:
            return engine.refine_sequence(r, trusted_mask(r, segs), progress=p, cancel=c)
        refine_label = LEARNED_REFINE
    else:
        notes.append(f"no refiner model ({shipped_model_path('refiner')} is missing)")

        def refine(r: Reconstruction, segs: list[Segment], p: ProgressFn, c: CancelFn) -> Reconstruction:
            return engine.refine_sequence(r, trusted_mask(r, segs), engine.RefineOptions(method="savgol"),
                                          progress=p, cancel=c)
        refine_label = "smoothing (refiner model not installed)"
    return MotionBackend(infill, refine, infill_label, refine_label, "; ".join(notes))


def describe_backend() -> tuple[Optional[object], str]:
    """The description backend: ``inference.describe.default_describer()`` when the package offers a choice of
    backends, else its offline 3D describer; ``None`` and why when neither is installed."""
    try:
        describe = importlib.import_module("inference.describe")
        factory = getattr(describe, "default_describer", None)
        if factory is None:
            factory = importlib.import_module("inference.describe.offline").OfflineDescriber
    except (ImportError, AttributeError) as exc:
        return None, f"no description backend is installed ({exc})"
    try:
        return factory(), ""
    except Exception as exc:
        return None, f"the description backend could not start ({type(exc).__name__}: {exc})"

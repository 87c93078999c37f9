"""The computations behind "Infill segment" and "Refine sequence", as job functions for :mod:`sm_studio.jobs`.

The real work is the diffusion engine in ``inference.engine``. When that is not installed, a stand-in keeps the
actions usable and the job machinery exercised: temporal smoothing of the rotations (in the continuous 6D
representation) and translations, repeated passes of a binomial filter with progress and cancel between passes.
The UI labels it "smoothing (engine not installed)" so nobody mistakes it for the infiller.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import torch

from inference.motion import PersonMotion, Reconstruction
from inference.rotations import axis_angle_to_rot6d, rot6d_to_axis_angle
from inference.segments import Segment

from .jobs import CancelFn, JobFn, ProgressFn

STANDIN_LABEL = "smoothing (engine not installed)"


class JobCancelled(Exception):
    """Raised inside a job when the user pressed Cancel."""


@dataclass(frozen=True)
class MotionBackend:
    """One implementation per action; ``*_label`` is shown in menus, progress and the candidate bar, and
    ``note`` says why the stand-in is used (empty when both actions run the engine)."""

    infill: Callable[[Reconstruction, Segment, str, ProgressFn, CancelFn], Reconstruction]
    refine: Callable[[Reconstruction, list[Segment], ProgressFn, CancelFn], Reconstruction]
    infill_label: str = "diffusion infiller"
    refine_label: str = "temporal refiner"
    note: str = ""

    def infill_job(self, recon: Reconstruction, segment: Segment, text: str) -> JobFn:
        return lambda progress, cancel: self.infill(recon, segment, text, progress, cancel)

    def refine_job(self, recon: Reconstruction, segments: list[Segment]) -> JobFn:
        return lambda progress, cancel: self.refine(recon, list(segments), progress, cancel)


def _engine_function(module: str, name: str, role: str) -> tuple[Optional[Callable], str]:
    """``inference.engine.<module>.<name>`` if it exists and its trained model ships; else ``None`` and why."""
    try:
        fn = getattr(importlib.import_module(module), name)
        from inference.engine.checkpoint import shipped_model_path
    except (ImportError, AttributeError) as exc:
        return None, f"{module}.{name} is not available ({exc})"
    path = shipped_model_path(role)
    if not path.exists():
        return None, f"the {role} model is not installed ({path} is missing)"
    return fn, ""


def find_backend(passes: int = 24) -> MotionBackend:
    """The engine's infiller and refiner where they are installed, the smoothing stand-in for what is not."""
    standin = standin_backend(passes)
    infill, why_infill = _engine_function("inference.engine.infill", "infill_segment", "infiller")
    refine, why_refine = _engine_function("inference.engine.refine", "refine_sequence", "refiner")
    return MotionBackend(
        (lambda r, s, t, p, c: infill(r, s, t, progress=p, cancel=c)) if infill else standin.infill,
        (lambda r, segs, p, c: refine(r, segments=segs, progress=p, cancel=c)) if refine else standin.refine,
        "diffusion infiller" if infill else STANDIN_LABEL,
        "temporal refiner" if refine else STANDIN_LABEL,
        "; ".join(w for w in (why_infill, why_refine) if w))


def standin_backend(passes: int = 24) -> MotionBackend:
    return MotionBackend(
        lambda r, s, _t, p, c: smooth_frames(r, s.start, s.stop, _who(s), passes, p, c),
        lambda r, _segs, p, c: smooth_frames(r, 0, r.num_frames, ("A", "B"), max(2, passes // 6), p, c),
        STANDIN_LABEL, STANDIN_LABEL, "the diffusion engine is not installed")


def _who(seg: Segment) -> tuple[str, ...]:
    return ("A", "B") if seg.who == "both" else (seg.who,)


def smooth_frames(recon: Reconstruction, start: int, stop: int, who: tuple[str, ...], passes: int,
                  progress: ProgressFn, cancel: CancelFn, margin: int = 2) -> Reconstruction:
    """Smooth frames ``[start, stop)`` of the chosen people; ``margin`` frames either side are read (so the
    result joins its neighbours) but never changed. Cancel is checked between passes."""
    lo, hi = max(0, start - margin), min(recon.num_frames, stop + margin)
    people = list(recon.people)
    work = [(i, pid) for i, pid in enumerate(("A", "B")) if pid in who]
    total = passes * len(work)
    done = 0
    for i, pid in work:
        person = recon.people[i]
        pose6 = axis_angle_to_rot6d(torch.as_tensor(person.pose_axis_angle()[lo:hi]))
        feats = torch.cat([pose6.reshape(hi - lo, -1), torch.as_tensor(person.transl[lo:hi])], 1)
        fixed = torch.zeros(hi - lo, dtype=torch.bool)
        fixed[: start - lo] = True
        fixed[stop - lo:] = True
        for _ in range(passes):
            if cancel():
                raise JobCancelled(f"{STANDIN_LABEL}: cancelled after {done} of {total} passes")
            padded = torch.cat([feats[:1], feats, feats[-1:]])
            smoothed = 0.25 * padded[:-2] + 0.5 * padded[1:-1] + 0.25 * padded[2:]
            feats = torch.where(fixed[:, None], feats, smoothed)
            done += 1
            progress(done / total, f"person {pid}: pass {done}/{total}")
        people[i] = _with_features(person, lo, feats)
    return recon.replace_people(*people)


def _with_features(person: PersonMotion, lo: int, feats: torch.Tensor) -> PersonMotion:
    n = feats.shape[0]
    aa = rot6d_to_axis_angle(feats[:, :-3].reshape(n, 22, 6)).numpy().astype(np.float32)
    out = person.copy()
    out.global_orient[lo:lo + n] = aa[:, 0]
    out.body_pose[lo:lo + n] = aa[:, 1:]
    out.transl[lo:lo + n] = feats[:, -3:].numpy()
    return out


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

"""Held-out evaluation of the engine against interpolation and smoothing, on generated sequences or on real
motion capture (``run_real_evaluation``: gaps of fixed lengths cut from real takes, ``real_cases.py``).

Each generated case is a clip (seeds disjoint from training) observed the way a monocular estimator sees it:
jittery estimates on visible frames, one person hidden for 0.3–2 s (reliability 0, a frozen wrong guess in the
estimate), 2D keypoints with pixel noise where visible and only a few on the hidden person. Every method fills
the same segment; metrics (``metrics.py``) compare the result with the ground truth.
"""

from __future__ import annotations

import csv
import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from ..motion import MotionError, Reconstruction
from ..skeleton import JOINT_INDEX
from ..segments import Segment
from . import metrics as M
from .bodies import pair_rest_joints
from .baselines import interpolate_segment
from .denoiser import MotionDenoiser
from .guidance import ContactConstraint, GuidanceWeights
from .infill import InfillOptions, infill_segment
from .refine import RefineOptions, refine_sequence
from .window_io import recon_joints

LogFn = Callable[[str], None]


@dataclass
class EvalCase:
    name: str
    truth: Reconstruction
    observed: Reconstruction
    segment: Segment
    text: str
    contacts: list[M.LabelledContact]
    constraints: Optional[list[ContactConstraint]] = None  # what a user/describer would state; None: the labels
    group: str = ""  # e.g. "B 1.0 s", for tables by kind of gap
    seed: int = 0


def _noisy_rotations(aa: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    flat = aa.reshape(-1, 3).astype(np.float64)
    noise = Rotation.from_rotvec(rng.normal(0, sigma, flat.shape))
    return (Rotation.from_rotvec(flat) * noise).as_rotvec().reshape(aa.shape).astype(np.float32)


def observe(truth: Reconstruction, segment: Segment, rng: np.random.Generator) -> Reconstruction:
    """``truth`` as a monocular estimator delivers it: 0.02 rad / 1 cm jitter on every frame; on the segment the
    hidden person(s) hold a frozen, perturbed guess with reliability 0; 2D keypoints of the truth (2 px noise)
    when there is a camera, of which only a quarter (6 px noise, confidence 0.5) on hidden frames."""
    n = truth.num_frames
    hidden = (0, 1) if segment.who == "both" else ("AB".index(segment.who),)
    joints = recon_joints(truth, pair_rest_joints(truth)) if truth.camera is not None else None
    people = []
    for i, p in enumerate(truth.people):
        q = p.copy()
        q.global_orient = _noisy_rotations(p.global_orient, 0.02, rng)
        q.body_pose = _noisy_rotations(p.body_pose, 0.02, rng)
        q.transl = p.transl + rng.normal(0, 0.01, p.transl.shape).astype(np.float32)
        kp = np.zeros((n, 22, 3), np.float32)
        if joints is not None:
            uv = truth.camera.project(joints[:, i].astype(np.float64))[..., :2]
            kp[..., :2] = uv + rng.normal(0, 2.0, uv.shape)
            kp[..., 2] = 0.9
        if i in hidden:
            frames = slice(segment.start, segment.stop)
            for name in ("global_orient", "body_pose", "transl"):
                getattr(q, name)[frames] = getattr(q, name)[max(0, segment.start - 1)]
            q.body_pose[frames] = _noisy_rotations(q.body_pose[frames], 0.1, rng)
            q.reliability[frames] = 0.0
            visible = rng.random((segment.length, 22)) < 0.25
            kp[frames, :, 2] = np.where(visible, 0.5, 0.0)
            kp[frames, :, :2] += rng.normal(0, 6.0, (segment.length, 22, 2))
        q.keypoints_2d = kp if joints is not None else None
        people.append(q)
    return truth.replace_people(*people)


def make_case(kind: str, seed: int, seconds: float = 5.0, fps: float = 30.0) -> EvalCase:
    """A generated clip with one person hidden for 0.3–2 s (context of 15+ frames on both sides), observed."""
    from ..generator import generate_clip

    clip = generate_clip(kind, seed=seed, fps=fps, seconds=seconds)
    truth = clip.reconstruction
    rng = np.random.default_rng(seed + 7919)
    n = truth.num_frames
    hidden = int(rng.integers(2))
    length = min(int(round(rng.uniform(0.3, 2.0) * fps)), n - 32)
    start = int(rng.integers(15, n - length - 15))
    segment = Segment(start, start + length, "AB"[hidden])
    observed = observe(truth, segment, rng)
    contacts = []
    for c in clip.contacts:
        person = "AB".index(c.person)
        contacts.append(M.LabelledContact(person, JOINT_INDEX[c.joint], JOINT_INDEX[c.part], c.start, c.stop))
    return EvalCase(f"{kind}-{seed}", truth, observed, segment, clip.label, contacts)


def contact_constraints(case: EvalCase, margin: float = 0.03) -> list[ContactConstraint]:
    """The case's stated constraints, else its labelled contacts as user constraints (A's joint, B's joint) at
    the labelled distance plus ``margin``."""
    if case.constraints is not None:
        return case.constraints
    rest = pair_rest_joints(case.truth)
    joints = recon_joints(case.truth, rest)
    out = []
    for c in case.contacts:
        ja, jb = (c.joint, c.part) if c.person == 0 else (c.part, c.joint)
        d = np.linalg.norm(joints[c.start:c.stop, 0, ja] - joints[c.start:c.stop, 1, jb], axis=-1)
        out.append(ContactConstraint(c.start, c.stop, ja, jb, float(np.median(d)) + margin))
    return out


Method = Callable[[EvalCase], Reconstruction]
FULL = "infiller (matched real motion + guidance)"  # the default infill (InfillOptions(prior="library"))
NETWORK = "network infiller (text + guidance)"
INTERP = "interpolation (SLERP + linear)"
REFINED = "infiller + learned refiner"
KEPT = "infiller + learned refiner (trusted frames kept) + Savitzky-Golay"
DEFAULT = "infiller + Savitzky-Golay"  # what the app and batch run (the engine's default options)


def without_network(model: MotionDenoiser) -> MotionDenoiser:
    """The same sampler with a network that predicts no correction (a fresh model's output layer is zero):
    interpolation plus geometric guidance alone, to tell the network's share of a gain from the guidance's."""
    blank = MotionDenoiser(model.config).eval()
    for name in ("feature_mean", "feature_std", "residual_std"):
        getattr(blank, name).copy_(getattr(model, name))
    return blank


def methods(infiller: MotionDenoiser, refiner: Optional[MotionDenoiser], steps: int = 20) -> dict[str, Method]:
    """The ablation table. The default infill (matched real motion + guidance) is computed once per case and
    shared by the rows that refine it (their runtime is the refinement's alone). Network rows use ``infiller``;
    without a text input its "no text" row is left out (it would repeat the guided one)."""
    base = InfillOptions(steps=steps)
    blank = without_network(infiller)
    filled: dict[str, Reconstruction] = {}

    def fill(case: EvalCase, network: MotionDenoiser = infiller, **changes) -> Reconstruction:
        opts = replace(base, contacts=contact_constraints(case), **changes)
        return infill_segment(case.observed, case.segment, case.text, opts, model=network)

    def full(case: EvalCase) -> Reconstruction:
        if case.name not in filled:
            filled[case.name] = fill(case)
        return filled[case.name]

    out: dict[str, Method] = {
        "initial estimate": lambda c: c.observed,
        INTERP: lambda c: interpolate_segment(c.observed, c.segment),
        "interpolation + guidance (no network)": lambda c: fill(c, network=blank, prior="network"),
        NETWORK: lambda c: fill(c, prior="network"),
        "network infiller, no text": lambda c: fill(c, prior="network", use_text=False),
        "network infiller, no guidance": lambda c: fill(c, prior="network", guidance=GuidanceWeights.none()),
        "infiller, no guidance": lambda c: fill(c, guidance=GuidanceWeights.none()),
        FULL: full,
        DEFAULT: lambda c: refine_sequence(full(c), None, RefineOptions(method="savgol")),
    }
    if infiller.config.text_dim == 0:
        del out["network infiller, no text"]
    if refiner is not None:
        for name, method, keep in ((REFINED, "learned", 0.0),
                                   (REFINED + " + Savitzky-Golay", "learned+savgol", 0.0),
                                   (KEPT, "learned+savgol", RefineOptions().keep_trusted)):
            out[name] = lambda c, method=method, keep=keep: refine_sequence(
                full(c), None, RefineOptions(method=method, contacts=contact_constraints(c), keep_trusted=keep),
                model=refiner)
    return out


def score(case: EvalCase, result: Reconstruction) -> dict[str, float]:
    rest = pair_rest_joints(case.truth)
    gt = recon_joints(case.truth, rest)
    pred = recon_joints(result, rest)
    n = case.truth.num_frames
    occluded = np.zeros((n, 2), bool)
    who = [0, 1] if case.segment.who == "both" else ["A", "B"].index(case.segment.who)
    occluded[case.segment.start:case.segment.stop, who] = True
    seg_frames = occluded.any(1)
    floor = float(np.percentile(gt[:, :, list(M.FOOT_JOINTS), 1].min(-1), 5))
    depth, share = M.interpenetration(pred)
    borders = M.border_frames(n, case.segment.start, case.segment.stop)
    return {
        "MPJPE occluded (mm)": M.mpjpe(pred, gt, occluded),
        "PA-MPJPE occluded (mm)": M.pa_mpjpe(pred, gt, occluded),
        "root error occluded (mm)": M.root_error(pred, gt, occluded),
        "accel error (mm/f²)": M.acceleration_error(pred, gt),
        "border jump (mm/f²)": M.acceleration_error(pred, gt, borders),
        "penetration depth (mm)": depth,
        "penetration frames (%)": share,
        "contact dist. error (mm)": M.contact_distance_error(pred, gt, case.contacts, seg_frames),
        "foot skating (mm/f)": M.foot_skating(pred, floor),
        "MPJPE visible (mm)": M.mpjpe(pred, gt, ~occluded),
        "root error visible (mm)": M.root_error(pred, gt, ~occluded),
        "stepping corr.": M.stepping_correlation(pred, gt, occluded),
    }


def evaluate(cases: list[EvalCase], method_table: dict[str, Method], log: LogFn = print
             ) -> tuple[list[dict], dict[str, dict[str, float]]]:
    """Per-case rows and per-method means (NaN-aware) including mean runtime."""
    rows: list[dict] = []
    truth_rows = [score(c, c.truth) for c in cases]
    for name, fn in method_table.items():
        for case in cases:
            t0 = time.perf_counter()
            result = fn(case)
            row = {"method": name, "case": case.name, "segment": f"{case.segment.who} "
                   f"{case.segment.start}-{case.segment.stop}", "group": case.group, "seed": case.seed,
                   **score(case, result),
                   "runtime (s)": time.perf_counter() - t0}
            rows.append(row)
        log(f"evaluated {name}")
    for case, row in zip(cases, truth_rows):
        rows.append({"method": "ground truth (reference)", "case": case.name, "segment": "", "group": case.group,
                     "seed": case.seed, **row, "runtime (s)": 0.0})
    return rows, summarise(rows)


LABELS = ("method", "case", "segment", "group", "seed")


def _means(rows: list[dict]) -> dict[str, float]:
    out = {}
    for key in rows[0]:
        if key not in LABELS:
            vals = np.array([r[key] for r in rows], float)
            out[key] = float(np.nanmean(vals)) if np.isfinite(vals).any() else math.nan
    return out


def summarise(rows: list[dict], by: str = "method") -> dict:
    """NaN-aware means of every metric per value of ``by`` (a label or a tuple of labels)."""
    keys = (by,) if isinstance(by, str) else tuple(by)
    groups: dict = {}
    for row in rows:
        groups.setdefault(row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys), []).append(row)
    return {name: _means(mine) for name, mine in groups.items()}


def seed_spread(rows: list[dict]) -> dict[str, dict[str, float]]:
    """Per method and metric, the standard deviation of the per-seed means (0 with one seed)."""
    by_seed = summarise(rows, ("method", "seed"))
    out: dict[str, dict[str, float]] = {}
    for (method, _), vals in by_seed.items():
        for key, v in vals.items():
            out.setdefault(method, {}).setdefault(key, []).append(v)
    return {m: {k: float(np.nanstd(v)) if np.isfinite(v).any() else math.nan for k, v in d.items()}
            for m, d in out.items()}


def write_report(rows: list[dict], summary: dict[str, dict[str, float]], out_dir: Path, description: str,
                 verdicts: list[str], tables: Sequence[str] = ()) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "infill_eval.csv"
    keys = list(rows[0].keys())
    with csv_path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for method, vals in summary.items():
            w.writerow({"method": method, "case": "MEAN", "segment": "", **{k: f"{v:.3f}" for k, v in vals.items()}})
        for r in rows:
            w.writerow({k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in r.items()})
    metric_keys = [k for k in keys if k not in LABELS]
    lines = [description, "", "| method | " + " | ".join(metric_keys) + " |",
             "|---|" + "---|" * len(metric_keys)]
    for method, vals in summary.items():
        lines.append(f"| {method} | " + " | ".join(_fmt(vals[k]) for k in metric_keys) + " |")
    lines += list(tables) + ["", "## What the numbers say", ""] + [f"- {v}" for v in verdicts]
    md_path = out_dir / "infill_eval.md"
    md_path.write_text("\n".join(lines) + "\n")
    return md_path, csv_path


def _fmt(v: float) -> str:
    return "–" if not np.isfinite(v) else (f"{v:.1f}" if abs(v) >= 1 else f"{v:.2f}")


LOWER_IS_BETTER = ("MPJPE occluded (mm)", "PA-MPJPE occluded (mm)", "root error occluded (mm)", "accel error (mm/f²)",
                   "border jump (mm/f²)", "penetration depth (mm)", "penetration frames (%)",
                   "contact dist. error (mm)", "foot skating (mm/f)")


def compare(summary: dict[str, dict[str, float]], method: str, baseline: str) -> list[str]:
    """Plain sentences: where ``method`` is better or worse than ``baseline``, per metric."""
    if method not in summary or baseline not in summary:
        return []
    better, worse, tied = [], [], []
    for key in LOWER_IS_BETTER:
        a, b = summary[method][key], summary[baseline][key]
        if not (np.isfinite(a) and np.isfinite(b)):
            continue
        # compared as printed: a difference the table cannot show is a tie, not a win
        shown_a, shown_b = float(_fmt(a)), float(_fmt(b))
        group = tied if shown_a == shown_b else better if shown_a < shown_b else worse
        group.append(f"{key} {_fmt(a)} vs {_fmt(b)}")
    out = []
    if better:
        out.append(f"**{method}** beats **{baseline}** on: " + "; ".join(better) + ".")
    if worse:
        out.append(f"**{method}** does NOT beat **{baseline}** on: " + "; ".join(worse) + ".")
    if tied:
        out.append(f"**{method}** ties **{baseline}** on: " + "; ".join(tied) + ".")
    return out




def table_verdicts(summary: dict[str, dict[str, float]]) -> list[str]:
    """Sentences for the comparisons that decide the defaults, and the refiners' effect on visible frames."""
    out = (compare(summary, DEFAULT, INTERP) + compare(summary, FULL, INTERP) + compare(summary, NETWORK, INTERP)
           + compare(summary, FULL, "infiller, no guidance") + compare(summary, DEFAULT, FULL)
           + compare(summary, REFINED + " + Savitzky-Golay", DEFAULT) + compare(summary, KEPT, DEFAULT))
    for name in (DEFAULT, REFINED + " + Savitzky-Golay", KEPT):
        if name in summary and FULL in summary:
            change = summary[name]["MPJPE visible (mm)"] - summary[FULL]["MPJPE visible (mm)"]
            out.append(f"**{name}** changes visible-frame MPJPE by {change:+.1f} mm against the infill alone.")
    return out


def run_evaluation(num_cases: int, seed: int, out_dir: Path, infiller_path: Optional[str] = None,
                   refiner_path: Optional[str] = None, steps: int = 20, seconds: float = 5.0,
                   log: LogFn = print, device: Optional[str] = None, fps: float = 30.0) -> tuple[Path, Path]:
    """What ``sm-studio eval`` does: make the cases, run every method, write ``infill_eval.md`` + ``.csv``."""
    from ..generator import INTERACTION_KINDS
    from .models import get_model, resolve_device

    dev = resolve_device(device)
    infiller = get_model("infiller", infiller_path, dev)
    refiner = get_model("refiner", refiner_path, dev)
    cases = [make_case(INTERACTION_KINDS[i % len(INTERACTION_KINDS)], seed + i, seconds, fps)
             for i in range(num_cases)]
    log(f"{len(cases)} held-out cases (seeds {seed}–{seed + num_cases - 1})")
    t0 = time.perf_counter()
    rows, summary = evaluate(cases, methods(infiller, refiner, steps), log)
    verdicts = table_verdicts(summary)
    description = "\n".join([
        "# Infiller evaluation (held-out generated sequences)",
        "",
        f"Generated by `sm-studio eval --cases {num_cases} --seed {seed} --seconds {seconds} --steps {steps}"
        f"{'' if fps == 30 else f' --fps {fps:g}'}` in {time.perf_counter() - t0:.0f} s on {dev.type.upper()}. "
        f"{len(cases)} sequences of {seconds:g} s at {fps:g} fps from "
        "`inference.generator` with seeds disjoint from training (training used seeds < 100000), cycling "
        "through its interaction kinds. Each is observed like a monocular estimate: 0.02 rad / 1 cm jitter on "
        "visible frames; one person hidden for 0.3–2 s (reliability 0, a frozen and perturbed guess in the "
        "estimate); 2D keypoints of the ground truth with 2 px noise, and on the hidden person only 25 % of the "
        "joints visible (6 px noise, confidence 0.5). Every method fills the same segment. The full infiller "
        "is given the labelled contacts as user contact constraints (at their labelled distance + 3 cm).",
        "",
        "Occluded = the hidden person's frames in the segment. Acceleration error, penetration and skating are "
        "over the whole sequence (both people). Penetration uses conservative sphere proxies (the ground-truth "
        "row shows what real contact scores). Lower is better everywhere. Per-case numbers: "
        "`infill_eval.csv`.",
        "",
        f"Models: infiller `{infiller_path or 'resources/models/infiller'}`, refiner "
        f"`{refiner_path or 'resources/models/refiner'}`.",
    ])
    return write_report(rows, summary, out_dir, description, verdicts)


GAP_METRICS = ("MPJPE occluded (mm)", "root error occluded (mm)", "stepping corr.")
SPREAD_METRICS = ("MPJPE occluded (mm)", "PA-MPJPE occluded (mm)", "root error occluded (mm)", "MPJPE visible (mm)",
                  "stepping corr.")


def markdown_table(header: Sequence[str], body: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"] + ["| " + " | ".join(r) + " |" for r in body]


def gap_tables(rows: list[dict], summary: dict[str, dict[str, float]], methods_shown: Sequence[str]) -> list[str]:
    """Markdown: the seeds' spread of the main metrics, and the main metrics per kind of gap."""
    spread = seed_spread(rows)
    out = ["", "## Spread across seeds (standard deviation of the per-seed means)", ""]
    out += markdown_table(["method"] + list(SPREAD_METRICS),
                          [[m] + [f"{_fmt(summary[m][k])} ± {_fmt(spread[m][k])}" for k in SPREAD_METRICS]
                           for m in summary])
    by_group = summarise([r for r in rows if r["group"]], ("method", "group"))
    groups = sorted({g for _, g in by_group}, key=lambda g: (float(g.split()[1]), g))
    for key in GAP_METRICS:
        out += ["", f"## {key} by hidden person(s) and gap length", ""]
        out += markdown_table(["method"] + groups,
                              [[m] + [_fmt(by_group.get((m, g), {}).get(key, math.nan)) for g in groups]
                               for m in methods_shown])
    return out


def run_real_evaluation(data: str, seeds: int, out_dir: Path, infiller_path: Optional[str] = None,
                        refiner_path: Optional[str] = None, steps: int = 20, log: LogFn = print,
                        device: Optional[str] = None, first_seed: int = 0) -> tuple[Path, Path]:
    """``sm-studio eval --data SPEC``: gaps of 0.5/1/2 s for A, B and both cut from every sequence of a real
    motion data spec (``real_cases.gap_cases``), ``seeds`` placements each; writes the tables."""
    from ..importers import dataset_sequences
    from .models import get_model, resolve_device
    from .real_cases import gap_cases

    dev = resolve_device(device)
    infiller = get_model("infiller", infiller_path, dev)
    refiner = get_model("refiner", refiner_path, dev)
    seed_list = list(range(first_seed, first_seed + seeds))
    cases = [c for name, recon, _ in dataset_sequences(data) for c in gap_cases(name, recon, seed_list)]
    if not cases:
        raise MotionError(f"data spec {data!r}: no sequence is long enough for a 2 s gap with context")
    log(f"{len(cases)} cases from {data} (seeds {seed_list[0]}–{seed_list[-1]})")
    t0 = time.perf_counter()
    table = methods(infiller, refiner, steps)
    rows, summary = evaluate(cases, table, log)
    verdicts = table_verdicts(summary)
    fps = sorted({c.truth.fps for c in cases})
    description = "\n".join([
        f"# Engine evaluation on real motion ({data})",
        "",
        f"Generated by `sm-studio eval --data {data} --seeds {seeds} --steps {steps}` in "
        f"{time.perf_counter() - t0:.0f} s on {dev.type.upper()}. {len(cases)} cases: every sequence of the spec, "
        f"gaps of 0.5, 1 and 2 s for A, for B and for both, each in an excerpt with 2 s of visible motion on "
        f"either side (sequences at {', '.join(f'{f:g}' for f in fps)} fps), {seeds} placements/noise draws "
        "(seeds). Observed like a monocular estimate: 0.02 rad / 1 cm jitter on every frame, the hidden "
        "person(s) frozen at the last visible frame with 0.1 rad pose noise and reliability 0 on the gap; no 2D "
        "keypoints (motion capture has no camera). Contacts: wrists within 15 cm in the truth; a hold seen at "
        "both borders of the gap is given to the engine as a constraint, holds inside the gap are scored.",
        "",
        "Occluded = the hidden person's frames in the gap; visible = all other entries. Stepping = correlation "
        "of the hidden person's left−right ankle offset with the truth (higher is better; NaN where the feet "
        "do not move). Lower is better elsewhere.",
        "",
        f"Models: infiller `{infiller_path or 'resources/models/infiller'}`, refiner "
        f"`{refiner_path or 'resources/models/refiner'}`.",
    ])
    shown = [m for m in summary if m != "initial estimate"]
    return write_report(rows, summary, out_dir, description, verdicts, gap_tables(rows, summary, shown))

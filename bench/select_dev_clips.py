"""How the *dev2* clips of ``bench_frontend_real.py`` were chosen: by the recording and camera alone, never by
how the front end does on them.

    nice .venv/bin/python bench/select_dev_clips.py

Every 4 s window (3 s apart, from 2 s) of the train and validation salsa takes (never take 15) that overlaps no
train or validation clip gets one camera: height from a fixed cycle 1.2 … 2.6 m over the windows in order,
seed from the take and start. Occlusion is scored on the true joints with the fit's occlusion capsules (a
person-frame is hidden when ≥ 3 joints lie behind the partner's capsules; the renderer's mesh then decides the
bench's truth), contact as a wrist of one person within 0.15 m of one of the other's joints. Each window falls
in at most one stratum; the group takes, per stratum, the first windows in the order unused takes (07, 10, 11)
first, then the others, one window per take where the stratum allows, till its count is met:

* ``A hidden`` / ``B hidden`` (2 each): that person hidden on 30–60 % of frames, the other on < 15 %;
* ``contact`` (2): both hidden on < 10 %, a wrist on the partner on ≥ 25 % of frames (salsa dancers hold hands
  at arm's length more often than they touch bodies: ≥ 50 % left no window);
* ``A partial`` / ``B partial`` (1 each): that person hidden on 12–30 %, the other on < 12 %.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_frontend_real import TRAIN_CLIPS, VALIDATION_CLIPS, ClipSpec, salsa_pair  # noqa: E402

recording = lru_cache(maxsize=1)(salsa_pair)

TAKES = (7, 10, 11, 1, 2, 3, 4, 5, 6, 9, 12)  # the unused takes first; 15 is the test take
HEIGHTS = (1.2, 1.5, 1.8, 2.1, 2.4, 2.6)
SECONDS, STEP = 4.0, 3.0
STRATA = {"A hidden": 2, "B hidden": 2, "contact": 2, "A partial": 1, "B partial": 1}


def stratum(hidden: np.ndarray, contact: float) -> "str | None":
    a, b = hidden
    if 0.30 <= a <= 0.60 and b < 0.15:
        return "A hidden"
    if 0.30 <= b <= 0.60 and a < 0.15:
        return "B hidden"
    if max(a, b) < 0.10 and contact >= 0.25:
        return "contact"
    if 0.12 <= a <= 0.30 and b < 0.12:
        return "A partial"
    if 0.12 <= b <= 0.30 and a < 0.12:
        return "B partial"
    return None


def overlaps(take: int, start: float) -> bool:
    return any(c.take == take and abs(c.start_s - start) < SECONDS for c in TRAIN_CLIPS + VALIDATION_CLIPS)


def window_scores(take: int, start: float, height: float, seed: int) -> tuple[np.ndarray, float]:
    """Share of frames each person is hidden (capsules on the true joints), share of frames with contact."""
    from inference.frontend.occlusion import hidden_joints
    from inference.generator.mocap_footage import mocap_clip

    clip = mocap_clip(recording(take), start, SECONDS, seed, height, shape_sigma=1.0)
    cam = clip.reconstruction.camera
    world = np.stack([clip.joints[p] for p in "AB"])  # (2, T, J, 3)
    cam_j = np.einsum("tij,ptnj->ptni", cam.R, world) + cam.t[None, :, None]
    hidden = (hidden_joints(cam_j, cam.K).sum(-1) >= 3).mean(1)
    wrists = [20, 21]
    d = np.linalg.norm(world[:, :, wrists, None] - world[::-1, :, None], axis=-1).min(axis=(2, 3))  # (2, T)
    return hidden, float((d.min(0) < 0.15).mean())


def main() -> int:
    chosen: dict[str, list[ClipSpec]] = {k: [] for k in STRATA}
    index = 0
    candidates: dict[str, list[ClipSpec]] = {k: [] for k in STRATA}
    for take in TAKES:
        duration = recording(take).duration_s
        for start in np.arange(2.0, duration - SECONDS - 0.5, STEP):
            if overlaps(take, float(start)):
                continue
            height = HEIGHTS[index % len(HEIGHTS)]
            index += 1
            spec = ClipSpec(take, float(start), SECONDS, height, 100 * take + int(start))
            hidden, contact = window_scores(take, float(start), height, spec.seed)
            kind = stratum(hidden, contact)
            print(f"{spec.name}: hidden A/B {hidden[0]:.0%}/{hidden[1]:.0%}, contact {contact:.0%} -> {kind}",
                  flush=True)
            if kind:
                candidates[kind].append(spec)
    for kind, count in STRATA.items():
        for spec in candidates[kind]:  # one window per take first, then any
            if len(chosen[kind]) < count and spec.take not in {c.take for c in chosen[kind]}:
                chosen[kind].append(spec)
        for spec in candidates[kind]:
            if len(chosen[kind]) < count and spec not in chosen[kind]:
                chosen[kind].append(spec)
    for kind, specs in chosen.items():
        print(kind, specs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Retargeting error of the BVH importer per skeleton family, on real capture files.

    .venv/bin/python scripts/measure_bvh_families.py DATA [--seconds 20] [--out table.json]

``DATA`` is a folder holding ``cmu/`` (cgspeed Daz rig) and/or ``locomotion/`` (CMU MotionBuilder ``cmu_02``,
cgspeed 3ds Max ``cmu_131``, 100STYLE ``100style``); every ``.bvh`` below it is imported on its own (the first
``--seconds`` of each, after a synthetic T-pose frame is dropped; Daz salsa files at their true 60 fps from the
manifest), and per family the figures of :mod:`inference.importers.bvh_report` are averaged (``worst`` columns:
the maximum), plus the floor check the figures cannot make: our body's *lowest mesh vertex* on frames where the
source's lower sole is on its floor (within 1 cm), which should be at y = 0. Results of the run in
``docs/importers.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference.body import load_body_model  # noqa: E402
from inference.importers.bvh import load_bvh_people  # noqa: E402
from inference.importers.bvh_body import body_rest_fn  # noqa: E402
from inference.importers.bvh_folder import takes  # noqa: E402

PLANTED = 0.01  # m: the source's lower sole this close to its floor counts as standing on it


def lowest_vertex(body, person) -> np.ndarray:
    """Lowest posed vertex height per frame ``(F,)``, 200 frames at a time."""
    out = []
    with torch.no_grad():
        for a in range(0, person.num_frames, 200):
            sl = slice(a, a + 200)
            posed = body.forward(torch.as_tensor(person.global_orient[sl]), torch.as_tensor(person.body_pose[sl]),
                                 torch.as_tensor(person.transl[sl]), torch.as_tensor(person.betas))
            out.append(posed.vertices[..., 1].min(-1).values.numpy())
    return np.concatenate(out)


def measure(data: Path, seconds: float) -> dict[str, dict[str, float]]:
    body = load_body_model()
    rest_fn = body_rest_fn(body)
    rows: dict[str, list[dict]] = defaultdict(list)
    lows: dict[str, list[np.ndarray]] = defaultdict(list)  # lowest vertex on planted frames, pooled per family
    for folder in sorted(p for p in data.rglob("*") if p.is_dir() and any(p.glob("*.bvh"))):
        root = folder.parent if (folder.parent / "manifest.json").is_file() else folder
        rates = {f: t.fps for t in takes(root, cmu=True) for f in t.files}
        for path in sorted(folder.glob("*.bvh")):
            rate = rates.get(path)
            got = load_bvh_people([path], fps=rate, rest_fn=rest_fn)
            keep = int(seconds * got.fps)
            person, sole = got.people[0].slice(0, keep), got.source_soles[0][:keep]
            planted = sole < PLANTED
            low = np.abs(lowest_vertex(body, person)[planted]) * 1000
            report = got.report[str(path)]
            lows[str(report["family"])].append(low)
            rows[str(report["family"])].append({**{k: v for k, v in report.items() if k != "family"},
                                                "frames": person.num_frames, "planted": float(planted.mean()),
                                                "floor_mm": float(low.mean()), "floor_p95_mm": float(
                                                    np.percentile(low, 95)), "file": str(path.relative_to(data))})
            r = rows[str(report["family"])][-1]
            print(f"{path.relative_to(data)}: {report['family']}, {person.num_frames} frames at {got.fps:g} fps"
                  f"{', T-pose frame dropped' if got.dropped_tpose else ''}; joints {r['joints_mm']:.0f} mm, feet "
                  f"{r['feet_mm']:.1f} mm, lowest vertex {r['floor_mm']:.1f} / {r['floor_p95_mm']:.0f} mm on "
                  f"{r['planted']:.0%} of frames", flush=True)
    table = {}
    for family, items in rows.items():
        worst = {k for k in items[0] if k.endswith("max_mm")}
        pooled = np.concatenate(lows[family])
        table[family] = {"files": len(items), "frames": int(sum(r["frames"] for r in items)),
                         **{k: float(max(r[k] for r in items) if k in worst else np.mean([r[k] for r in items]))
                            for k in items[0] if k not in ("file", "frames", "floor_mm", "floor_p95_mm")},
                         "floor_mm": float(pooled.mean()), "floor_p95_mm": float(np.percentile(pooled, 95))}
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    table = measure(args.data, args.seconds)
    print("\n| family | files | frames | limbs ° | re-chained mm | joints mm (mean / worst) | feet mm (mean / worst) "
          "| lowest vertex on planted frames, |mm| (mean / p95) |")
    print("|---|---|---|---|---|---|---|---|")
    for family, r in table.items():
        print(f"| {family} | {r['files']} | {r['frames']} | {r['limbs_deg']:.2f} | {r['rechained_mm']:.0f} | "
              f"{r['joints_mm']:.0f} / {r['joints_max_mm']:.0f} | {r['feet_mm']:.1f} / {r['feet_max_mm']:.0f} | "
              f"{r['floor_mm']:.1f} / {r['floor_p95_mm']:.0f} |")
    if args.out:
        args.out.write_text(json.dumps(table, indent=1))


if __name__ == "__main__":
    main()

"""Front-end figures: monocular fit accuracy and speed, BVH retargeting error, 2D keypoint speed.

* ``fit`` — every interaction kind of the generator (held-out seed), 2D keypoints projected from the truth with
  Gaussian noise and occlusion-dependent degradation (``inference.frontend.synthetic``), fitted with known
  intrinsics (and, at one noise level, with the default FOV guess). Baseline in the same run: the fit's own
  initialisation (depth from torso length, facing from left/right order, rest pose).
* ``bvh`` — motions written as CMU, Mixamo and MakeHuman BVH files on a skeleton of *other* proportions than
  our body (the partner's shape, A-pose rest for MakeHuman, CMU's two-joint spine), imported, and the distance
  between source and imported joints reported (re-chained with our bone lengths, and merely scaled), and the
  angle between limb bones.
* ``keypoints`` — MediaPipe BlazePose on a rendered two-person clip: frames per second on the CPU.

Usage: ``nice .venv/bin/python bench/bench_frontend.py fit|bvh|keypoints [--out results.json]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def bench_fit(args: argparse.Namespace) -> list[dict]:
    from inference.body import load_body_model
    from inference.frontend.evaluate import evaluate_clip
    from inference.frontend.fit import FitConfig
    from inference.generator import INTERACTION_KINDS

    body = load_body_model()
    rows = []
    mid = args.noise[1 if len(args.noise) > 1 else 0]
    variants = {"default": FitConfig(), "placement": FitConfig(steps_placement=60)}
    runs = [(k, n, True, "default") for n in args.noise for k in INTERACTION_KINDS]
    runs += [(k, mid, False, "default") for k in INTERACTION_KINDS]  # intrinsics guessed (55° FOV)
    runs += [(k, mid, True, "placement") for k in INTERACTION_KINDS]  # opt-in proximity stage
    for kind, noise, known, variant in runs:
        row = evaluate_clip(kind, args.seed, noise, known_intrinsics=known, seconds=args.seconds, body=body,
                            config=variants[variant])
        row["variant"] = variant
        rows.append(row)
        f, i = row["fit"], row["init"]
        print(f"{kind:20s} {variant:9s} noise {noise:4.1f}px K {'known' if known else 'guess'}  hidden "
              f"{row['hidden_share']:.2f}  MPJPE {f['mpjpe_mm']:6.1f} (init {i['mpjpe_mm']:6.1f})  PA "
              f"{f['pa_mpjpe_mm']:6.1f} (init {i['pa_mpjpe_mm']:6.1f})  root {f['root_mm']:6.1f} (init "
              f"{i['root_mm']:6.1f})  rel {f['relative_mm']:6.1f} (init {i['relative_mm']:6.1f})  "
              f"{row['fit_seconds']:5.1f}s {row['frames'] / row['fit_seconds']:5.1f} frames/s", flush=True)
    groups = sorted({(r["noise_px"], r["known_intrinsics"], r["variant"]) for r in rows})
    for noise, known, variant in groups:
        sel = [r for r in rows if (r["noise_px"], r["known_intrinsics"], r["variant"]) == (noise, known, variant)]
        mean = {m: float(np.mean([r["fit"][m] for r in sel])) for m in sel[0]["fit"]}
        base = {m: float(np.mean([r["init"][m] for r in sel])) for m in sel[0]["init"]}
        print(f"MEAN {variant} noise {noise}px K {'known' if known else 'guess'} ({len(sel)} clips): "
              + "  ".join(f"{m} {mean[m]:.1f} (init {base[m]:.1f}, ratio {mean[m] / base[m]:.2f})" for m in mean)
              + f"  {np.mean([r['frames'] / r['fit_seconds'] for r in sel]):.1f} frames/s", flush=True)
    return rows


def bench_bvh(args: argparse.Namespace) -> list[dict]:
    import torch
    from importer_files import write_family_bvh

    from inference.body import load_body_model
    from inference.generator import INTERACTION_KINDS, generate_clip
    from inference.importers.bvh import load_bvh

    body = load_body_model()
    ours = body.rest(torch.zeros(body.num_betas))[1].numpy().astype(np.float64)
    cases = {"cmu": dict(units=1 / 0.056444), "mixamo": dict(units=100.0, all_positions=True),
             "makehuman": dict(units=10.0, z_up=True, a_pose_deg=45.0)}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in INTERACTION_KINDS:
            recon = generate_clip(kind, args.seed, seconds=args.seconds).reconstruction
            for family, kw in cases.items():
                paths = []
                for k, person in enumerate(recon.people):
                    src_rest = body.rest(torch.as_tensor(person.betas))[1].numpy().astype(np.float64)
                    path = Path(tmp) / f"{kind}_{family}_{k}.bvh"
                    write_family_bvh(path, family, person, src_rest, **kw)
                    paths.append(path)
                report: dict = {}
                start = time.perf_counter()
                load_bvh(paths, rest_fn=lambda b: ours, report=report)
                elapsed = time.perf_counter() - start
                for path in paths:
                    rows.append({"kind": kind, "family": family, **report[str(path)], "seconds": elapsed})
    for family in cases:
        sel = [r for r in rows if r["family"] == family]
        mean = {k: np.mean([r[k] for r in sel]) for k in ("rechained_mm", "joints_mm", "limbs_deg", "seconds")}
        print(f"{family:10s} re-chained {mean['rechained_mm']:6.2f} mm   scaled {mean['joints_mm']:6.2f} mm   "
              f"limbs {mean['limbs_deg']:.3f}°   (max re-chained {np.max([r['rechained_mm'] for r in sel]):.2f})   "
              f"import {mean['seconds']:.2f}s per pair of {int(args.seconds * 30)} frames")
    return rows


def bench_keypoints(args: argparse.Namespace) -> list[dict]:
    """BlazePose + tracking + mapping on a video; baseline in the same run: decoding the frames alone."""
    import cv2

    from inference.frontend.pipeline import keypoints_from_video

    video = args.video or ROOT / "resources" / "demo" / "video.mp4"
    cap = cv2.VideoCapture(str(video))
    start, frames = time.perf_counter(), 0
    while frames < args.frames and cap.read()[0]:
        frames += 1
    cap.release()
    decode_fps = frames / (time.perf_counter() - start)
    start = time.perf_counter()
    vk = keypoints_from_video(video, max_frames=args.frames)
    total = time.perf_counter() - start
    row = {"video": str(video), "frames": frames, "width": vk.width, "height": vk.height,
           "decode_fps": decode_fps, "detect_fps": vk.timings["detect_fps"], "end_to_end_fps": frames / total,
           "found_share": vk.found.mean(1).tolist()}
    truth_path = video.parent / "truth.npz"
    if truth_path.is_file():  # the demo footage: compare with the renderer's exact 2D joints (visible ones)
        from inference.io.npz import load_reconstruction

        truth = load_reconstruction(truth_path)
        n = vk.keypoints.shape[1]
        for k, person in enumerate(truth.people):
            gt = person.keypoints_2d[:n]
            seen = vk.found[k][:, None] & (gt[..., 2] > 0.5)
            err = np.linalg.norm(vk.keypoints[k][..., :2] - gt[..., :2], axis=-1)[seen]
            row[f"median_px_error_{'AB'[k]}"] = float(np.median(err)) if err.size else None
            print(f"person {'AB'[k]}: median 2D error of visible joints {row[f'median_px_error_' + 'AB'[k]]:.1f} px "
                  f"({seen.sum()} joint-frames)")
        row.update(_demo_fit_errors(vk, truth))
    print(f"{video.name} {vk.width}x{vk.height}: decode only {decode_fps:.0f} frames/s; BlazePose (2 people) + "
          f"tracking {row['detect_fps']:.1f} frames/s ({decode_fps / row['detect_fps']:.0f}x slower than decoding); "
          f"with model load {row['end_to_end_fps']:.1f} frames/s; people found on "
          f"{100 * vk.found.mean(1)[0]:.0f}% / {100 * vk.found.mean(1)[1]:.0f}% of frames")
    return [row]


def _demo_fit_errors(vk, truth) -> dict:
    """The whole pipeline on detected keypoints vs. on the renderer's exact ones (known intrinsics both)."""
    from inference.body import load_body_model
    from inference.frontend.evaluate import scores
    from inference.frontend.pipeline import VideoKeypoints, reconstruct

    body = load_body_model()
    n = vk.keypoints.shape[1]
    ref = truth.slice(0, n)

    def camera_joints(recon):
        cam = recon.camera
        return [np.einsum("tij,tnj->tni", cam.R, body.pose_motion(p).joints.numpy()) + cam.t[:, None]
                for p in recon.people]

    exact = np.stack([p.keypoints_2d for p in ref.people]).astype(np.float32)
    out = {}
    for name, keypoints in (("detected", vk), ("exact", VideoKeypoints(exact, vk.width, vk.height, vk.fps,
                                                                     np.ones((2, n), bool)))):
        session = reconstruct(keypoints, K=truth.camera.K)
        out[f"fit_{name}"] = scores(camera_joints(session.current), camera_joints(ref))
        print(f"pipeline on {name} keypoints: " + "  ".join(f"{k} {v:.1f}" for k, v in out[f"fit_{name}"].items()))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("fit", "bvh", "keypoints"))
    parser.add_argument("--seed", type=int, default=1000, help="generator seed (held out from tests)")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--noise", type=float, nargs="+", default=[0.0, 3.0, 8.0])
    parser.add_argument("--video", type=Path, default=None, help="keypoints: a video (default: a rendered clip)")
    parser.add_argument("--frames", type=int, default=120, help="keypoints: frames to process")
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON")
    args = parser.parse_args()
    rows = {"fit": bench_fit, "bvh": bench_bvh, "keypoints": bench_keypoints}[args.what](args)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

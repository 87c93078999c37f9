"""``reconstruct`` memory against video length: is it bounded per frame, so an hour of footage fits?

Each length runs in a fresh process: a tiny synthetic video (96×64 MJPG, decoding is not what is measured) of N
frames, a stand-in detector that returns two people's 33 BlazePose-layout landmarks per frame (MediaPipe at ~20
frames/s would take 13 minutes for 16k frames; its per-frame memory is its own and constant), then the real
``keypoints_from_video`` (decode → detections → tracks → our 22 keypoints) and the real ``reconstruct`` (flags →
monocular fit with ``--steps``, default 2 — the fit's per-step memory does not grow with steps → Session), and
finally ``save_session``. Reported: peak RSS after each stage, and the growth per frame against the baseline length
measured in the same run.

    nice .venv/bin/python bench/bench_reconstruct_memory.py [--frames 1000 16000] [--steps 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _write_video(path: Path, frames: int) -> None:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (96, 64))
    frame = np.zeros((64, 96, 3), np.uint8)
    for i in range(frames):
        frame[:] = i % 251
        writer.write(frame)
    writer.release()


class StandInDetector:
    """Two people walking side by side: BlazePose-layout landmarks (33, 3) in pixels with confidences."""

    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        self.base = rng.uniform(-20, 20, (33, 2))

    def detect(self, rgb: np.ndarray, frame: int) -> list:
        from inference.frontend.keypoints import Detection

        people = []
        for k, x in enumerate((30.0, 66.0)):
            pts = self.base * 0.8 + [x + 3 * np.sin(frame / 15 + k), 32.0]
            people.append(Detection.from_landmarks(np.concatenate([pts, np.full((33, 1), 0.9)], 1)))
        return people

    def close(self) -> None:
        pass


def _measure(frames: int, steps: int, queue: "multiprocessing.Queue") -> None:
    from inference.frontend.fit import FitConfig
    from inference.frontend.pipeline import keypoints_from_video, reconstruct
    from inference.session import save_session

    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "clip.avi"
        _write_video(video, frames)
        start_mib = _peak_mib()
        t0 = time.perf_counter()
        vk = keypoints_from_video(video, detector=StandInDetector())  # type: ignore[arg-type]
        keypoints_mib = _peak_mib()
        session = reconstruct(vk, video, fit_config=FitConfig(steps_root=steps, steps_full=steps))
        fit_mib = _peak_mib()
        save_session(session, Path(tmp) / "out.smsession")
        queue.put({"frames": frames, "start_mib": start_mib, "keypoints_mib": keypoints_mib, "fit_mib": fit_mib,
                   "peak_mib": _peak_mib(), "seconds": time.perf_counter() - t0})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, nargs="+", default=[1000, 16000])
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    rows = []
    for frames in args.frames:
        queue = ctx.Queue()
        proc = ctx.Process(target=_measure, args=(frames, args.steps, queue))
        proc.start()
        row = queue.get()
        proc.join()
        rows.append(row)
        print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    base = rows[0]
    for row in rows[1:]:
        per_frame_kib = (row["peak_mib"] - base["peak_mib"]) * 1024 / (row["frames"] - base["frames"])
        print(f"{row['frames']} frames: peak {row['peak_mib']:.0f} MiB ({row['peak_mib'] / base['peak_mib']:.2f}× "
              f"the {base['frames']}-frame baseline), {per_frame_kib:.1f} KiB per extra frame; projected for an hour "
              f"at 30 fps: {base['peak_mib'] + per_frame_kib * (108000 - base['frames']) / 1024:.0f} MiB")


if __name__ == "__main__":
    main()

"""Long footage: does a 10-minute (and a 60-minute) 1080p video open in seconds and scrub with bounded memory?

The videos are real 1920×1080 H.264 (libx264 ultrafast through PyAV, GOP of 2 s as cameras and phones write):
each second has its own solid colour and every frame carries its index as a row of black/white blocks, so every
seek is checked for returning the exact frame it asked for. Encoding is the slow part on a small machine; the
60-minute file is only made with ``--minutes 10 60`` (the default measures 10 minutes against a 10-second baseline
made in the same run, and prints the scaling; with 60 minutes missing, say so when quoting figures).

Measured: encode time (set-up cost, not the app's), ``probe_video`` time (what "Open" waits for), ``VideoReader``
open, random seeks (what scrubbing the timeline does) and sequential reads, peak RSS and RSS growth during scrubbing
(the reader's frame cache is bounded in bytes: 512 MiB by default), each video measured in a fresh process.

    nice .venv/bin/python bench/bench_long_video.py [--minutes 10 [60]] [--seeks 60] [--keep DIR]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference.video import VideoReader, probe_video  # noqa: E402

WIDTH, HEIGHT, FPS, GOP = 1920, 1080, 30, 60
BITS, BLOCK = 20, 48  # frame index in 20 blocks of 48 px: robust to codec noise, enough for 60 min at 30 fps


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_video(path: Path, seconds: float) -> float:
    """Write the synthetic video; returns the encoding time in seconds."""
    frames = int(round(seconds * FPS))
    start = time.perf_counter()
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(GOP), "crf": "28"}
        yuv = np.empty((HEIGHT * 3 // 2, WIDTH), np.uint8)
        for n in range(frames):
            if n % FPS == 0:  # a new solid colour every second (Y, then the subsampled U/V planes)
                second = n // FPS
                yuv[:HEIGHT] = 60 + (second * 37) % 140
                yuv[HEIGHT:] = 128 + ((second * 53) % 60 - 30)
            for b in range(BITS):
                yuv[:BLOCK, b * BLOCK:(b + 1) * BLOCK] = 235 if n >> b & 1 else 16
            frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return time.perf_counter() - start


def frame_index(bgr: np.ndarray) -> int:
    gray = bgr.mean(axis=2)
    return sum(1 << b for b in range(BITS) if gray[8:BLOCK - 8, b * BLOCK + 8:(b + 1) * BLOCK - 8].mean() > 128)


def measure(path: Path, seeks: int, seed: int = 0) -> dict[str, float]:
    t0 = time.perf_counter()
    info = probe_video(path)
    probe_s = time.perf_counter() - t0
    rss_before = _rss_mib()
    t0 = time.perf_counter()
    reader = VideoReader(path)
    open_s = time.perf_counter() - t0
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, info.num_frames, seeks)
    wrong, times = 0, []
    with reader:
        for target in targets:
            t0 = time.perf_counter()
            image = reader.frame(int(target))
            times.append(time.perf_counter() - t0)
            wrong += frame_index(image) != int(target)
        t0 = time.perf_counter()
        sequential = 90
        first = int(targets[-1])
        for i in range(first, min(first + sequential, info.num_frames)):
            reader.frame(i)
        seq_ms = (time.perf_counter() - t0) * 1000 / sequential
    return {"frames": info.num_frames, "size_mb": path.stat().st_size / 1e6, "probe_s": probe_s, "open_s": open_s,
            "seek_median_ms": float(np.median(times)) * 1000, "seek_max_ms": max(times) * 1000,
            "sequential_ms": seq_ms, "wrong_frames": wrong, "rss_growth_mib": _rss_mib() - rss_before,
            "peak_rss_mib": _peak_rss_mib()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[10.0])
    parser.add_argument("--seeks", type=int, default=60)
    parser.add_argument("--keep", type=Path, default=None, help="write (and reuse) the videos here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="sm-long-video-"))
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for minutes in [10 / 60] + list(args.minutes):
        path = folder / f"synthetic-{minutes:g}min-1080p.mp4"
        encode_s = float("nan")
        if not path.is_file():
            encode_s = make_video(path, minutes * 60)
        with multiprocessing.get_context("spawn").Pool(1) as pool:  # a fresh process: its own peak RSS
            result = pool.apply(measure, (path, args.seeks))
        rows.append((minutes, encode_s, result))
        made = "reused" if encode_s != encode_s else \
            f"encoded in {encode_s:.0f} s ({result['frames'] / encode_s:.0f} fps)"
        print(f"{minutes:6.2f} min: {result['frames']} frames, {result['size_mb']:.1f} MB, {made} | probe "
              f"{result['probe_s']:.2f} s, open {result['open_s']:.2f} s | {args.seeks} random seeks: median "
              f"{result['seek_median_ms']:.0f} ms, "
              f"max {result['seek_max_ms']:.0f} ms, wrong frames {result['wrong_frames']} | sequential "
              f"{result['sequential_ms']:.1f} ms/frame | RSS growth while scrubbing {result['rss_growth_mib']:.0f} "
              f"MiB, peak RSS {result['peak_rss_mib']:.0f} MiB", flush=True)
    base = rows[0][2]
    for minutes, encode_s, result in rows[1:]:
        print(f"{minutes:g} min vs 10 s baseline ({minutes * 6:.0f}x the frames): probe x"
              f"{result['probe_s'] / base['probe_s']:.2f}, median seek x"
              f"{result['seek_median_ms'] / base['seek_median_ms']:.2f}, peak RSS x"
              f"{result['peak_rss_mib'] / base['peak_rss_mib']:.2f}"
              + (f"; encoding took {encode_s / minutes:.0f} s per minute of video" if encode_s == encode_s else ""))
    return 0 if all(r[2]["wrong_frames"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

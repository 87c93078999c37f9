"""App speed: seek latency and sustained playback with both meshes over a 1280×720 video, on the CPU — the GL
video view (video + meshes drawn in the window, bodies posed once in the background) against the painter view
with the offscreen pyrender overlay (the path before it), both measured in the same run.

Runs the real main window (under ``xvfb-run``: the GL view needs a window system; with ``QT_QPA_PLATFORM=offscreen``
only the painter view can be measured) on a video and motion written by this script, and prints per path:

* seek latency — from setting the playhead to a picture of that frame with the bodies on screen; median and p95;
* playback — distinct frames with both meshes painted per second while playing at 30 fps, and how far the shown
  frame lags the clock;
* the load average, since the machine's 2 cores are shared: absolute figures move with it, the ratio less so.

Usage: ``xvfb-run -a -s "-screen 0 1920x1080x24" nice .venv/bin/python bench/bench_app.py [--frames 240]
[--seeks 25] [--play-seconds 5] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from inference.body import load_body_model  # noqa: E402
from inference.motion import Camera, PersonMotion, Reconstruction  # noqa: E402
from inference.session import Session, save_session  # noqa: E402
from sm_studio.app_settings import AppSettings  # noqa: E402
from sm_studio.main_window import MainWindow  # noqa: E402

W, H, FPS = 1280, 720, 30.0


def make_inputs(folder: Path, frames: int) -> Path:
    t = np.arange(frames, dtype=np.float32) / FPS
    people = []
    for i, x in enumerate((-0.45, 0.45)):
        body = np.zeros((frames, 21, 3), np.float32)
        body[:, 15, 2] = -0.8 + 0.6 * np.sin(2 * np.pi * 0.5 * t + i)
        body[:, 16, 2] = 0.8 - 0.6 * np.sin(2 * np.pi * 0.5 * t + i)
        body[:, 0, 0] = -0.4 * np.sin(2 * np.pi * 0.5 * t)
        body[:, 3, 0] = 0.6 * np.clip(np.sin(2 * np.pi * 0.5 * t), 0, None)
        orient = np.zeros((frames, 3), np.float32)
        orient[:, 1] = np.pi / 2 if i == 0 else -np.pi / 2
        transl = np.stack([np.full(frames, x), np.full(frames, 0.9), 0.1 * np.sin(t)], 1).astype(np.float32)
        people.append(PersonMotion(orient, body, transl, np.zeros(10, np.float32)))
    cam = Camera.from_fov(W, H, 55.0, frames, R=np.diag([1.0, -1.0, -1.0]), t=np.array([0.0, 0.9, 3.5]))
    recon = Reconstruction(tuple(people), FPS, cam)
    video = folder / "bench.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (W, H))
    rng = np.random.default_rng(0)
    backdrop = cv2.GaussianBlur(rng.integers(0, 255, (H, W, 3), dtype=np.uint8), (0, 0), 25)
    for n in range(frames):
        img = np.roll(backdrop, n * 4, axis=1)
        cv2.putText(img, f"{n}", (40, 80), cv2.FONT_HERSHEY_SIMPLEX, 2, (255, 255, 255), 3)
        writer.write(img)
    writer.release()
    session = folder / "bench.smsession"
    save_session(Session(recon, video_path=str(video)), session)
    return session


def pump(app: QApplication, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)


def wait_for(app: QApplication, cond, timeout: float = 60.0) -> float:
    start = time.perf_counter()
    while not cond():
        app.processEvents()
        time.sleep(0.0005)
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the app did not show the frame in time")
    return time.perf_counter() - start


def seek_latencies(app: QApplication, win: MainWindow, targets: list[int], overlay: bool) -> list[float]:
    win.overlay_check.setChecked(overlay)
    pump(app, 0.3)
    out = []
    for target in targets:
        win.doc.set_frame(target)
        view = win.video_view
        out.append(wait_for(app, lambda: view.painted == (target, overlay)))  # on screen, not just handed over
        pump(app, 0.05)  # let the full body / late results land, as a user pausing between seeks would
    return out


def playback(app: QApplication, win: MainWindow, seconds: float) -> tuple[float, float]:
    """(distinct frames with the bodies painted per second, mean lag of the shown frame behind the clock)."""
    win.doc.set_frame(0)
    wait_for(app, lambda: win.video_view.composited and win.video_view.frame_index == 0)
    pump(app, 0.5)  # let late results of earlier requests drain
    view = win.video_view
    painted = view.frames_painted
    lags: list[float] = []
    last = -1
    start = time.perf_counter()
    win.playback.toggle()
    while time.perf_counter() - start < seconds and win.playback.playing:
        app.processEvents()
        if view.composited and view.frame_index != last:
            last = view.frame_index
            lags.append((time.perf_counter() - start) * FPS - view.frame_index)
        time.sleep(0.001)
    elapsed = time.perf_counter() - start
    win.playback.pause()
    return (view.frames_painted - painted) / elapsed, float(np.mean(lags)) if lags else float("nan")


def open_window(app: QApplication, folder: Path, session: Path, view_kind: str) -> MainWindow:
    """The real main window on ``session`` with the ``view_kind`` video view ("painter": the path before the GL
    view; "gl"), warmed up (GL contexts made, body loaded, the sequence posed)."""
    os.environ["SM_STUDIO_VIDEO_VIEW"] = view_kind
    settings = AppSettings(QSettings(str(folder / f"settings-{view_kind}.ini"), QSettings.IniFormat))
    win = MainWindow(settings, recovery_path=folder / f"recovery-{view_kind}.smsession")
    win.confirm_close = False
    win.resize(1600, 1000)
    win.show()
    win.files.open_paths([session])
    wait_for(app, lambda: win.doc.reconstruction is not None and win.video is not None and not win.job_bar.busy)
    win.doc.set_frame(1)
    wait_for(app, lambda: win.video_view.composited and win.video_view.frame_index == 1)
    pump(app, 2.0)  # the GL path poses the sequence in the background after loading
    return win


def seeks(app: QApplication, win: MainWindow, frames: int, count: int) -> tuple[list[float], list[float]]:
    """(video-only seek latencies, video + meshes seek latencies) over the same random targets for both paths."""
    win.raise_()
    rng = np.random.default_rng(1)
    targets = [int(x) for x in rng.integers(0, frames, count)]
    raw = seek_latencies(app, win, targets, overlay=False)
    return raw, seek_latencies(app, win, [(t + 7) % frames for t in targets], overlay=True)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--seeks", type=int, default=25)
    ap.add_argument("--play-seconds", type=float, default=5.0, help="per round")
    ap.add_argument("--rounds", type=int, default=3, help="playback rounds per path, the paths alternating")
    args = ap.parse_args()
    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        session = make_inputs(folder, args.frames)
        # both windows stay alive to the end (see GLVideoView.release); measurements alternate between them so
        # that the load others put on the shared machine weighs on both paths alike
        wins = {kind: open_window(app, folder, session, kind) for kind in ("painter", "gl")}
        loads = {kind: [] for kind in wins}
        seek = {kind: seeks(app, win, args.frames, args.seeks) for kind, win in wins.items()}
        plays: dict[str, list[tuple[float, float]]] = {kind: [] for kind in wins}
        for _ in range(args.rounds):
            for kind, win in wins.items():
                win.raise_()
                loads[kind].append(os.getloadavg()[0])
                plays[kind].append(playback(app, win, args.play_seconds))
        views = {kind: type(win.video_view).__name__ for kind, win in wins.items()}
        for win in wins.values():
            win.shutdown()
            win.close()
    print(f"machine: {os.cpu_count()} CPUs, Qt platform {app.platformName()}, video {W}x{H} @ {FPS:g} fps, "
          f"{args.frames} frames, both meshes ({load_body_model().num_vertices} vertices each); "
          f"{args.rounds} playback rounds of {args.play_seconds:g} s per path, alternating")
    fps = {kind: statistics.median(p[0] for p in plays[kind]) for kind in wins}
    for kind, name in (("painter", "before: painter view + pyrender overlay"), ("gl", "now: GL view")):
        raw, composited = seek[kind]
        print(f"{name} ({views[kind]}), load average {statistics.mean(loads[kind]):.1f}")
        print(f"  seek, video only     : median {1000 * statistics.median(raw):6.1f} ms   "
              f"p95 {1000 * pct(raw, 95):6.1f} ms")
        print(f"  seek, video + meshes : median {1000 * statistics.median(composited):6.1f} ms   "
              f"p95 {1000 * pct(composited, 95):6.1f} ms")
        rounds = ", ".join(f"{f:.1f}" for f, _ in plays[kind])
        print(f"  playback with meshes : {fps[kind]:5.1f} distinct frames/s painted (median of {rounds}), "
              f"shown frame lags the clock by {statistics.median(p[1] for p in plays[kind]):4.1f} frames")
    if views["gl"] != "GLVideoView":
        print("note: no OpenGL window could be made here (run under xvfb-run): both rows are the painter view")
    print(f"ratio now/before: playback {fps['gl'] / max(fps['painter'], 1e-9):4.2f}x frames/s, "
          f"seek p95 {pct(seek['gl'][1], 95) / pct(seek['painter'][1], 95):4.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

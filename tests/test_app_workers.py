"""Worker machinery: latest-only threads drop superseded requests, playback follows the clock, jobs report."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QSettings

from sm_studio.app_settings import AppSettings
from sm_studio.document import Document
from sm_studio.jobs import Job
from sm_studio.latest_worker import LatestOnlyWorker
from sm_studio.motion_backends import SMOOTHING_REFINE, find_backend, trusted_mask
from sm_studio.playback import Playback

from app_support import make_reconstruction, make_segments, tiny_engine_backend

pytestmark = pytest.mark.gui


class SlowSquare(LatestOnlyWorker):
    """Takes 50 ms per request and records which requests it actually handled, and on which thread."""

    def __init__(self) -> None:
        super().__init__("slow-square")
        self.handled: list[int] = []
        self.threads: set[int] = set()

    def handle(self, request: int) -> int:
        self.threads.add(threading.get_ident())
        time.sleep(0.05)
        self.handled.append(request)
        return request * request


def test_latest_only_worker_drops_superseded_requests(qtbot) -> None:
    worker = SlowSquare()
    results: list[tuple[int, int]] = []
    worker.resultReady.connect(lambda req, res: results.append((req, res)))
    try:
        for n in range(20):
            worker.submit(n)
        qtbot.waitUntil(lambda: bool(results) and results[-1][0] == 19, timeout=5000)
        assert results[-1] == (19, 361)
        assert len(worker.handled) < 5  # the 18 requests superseded while it worked were never computed
        assert threading.get_ident() not in worker.threads
    finally:
        worker.stop()


def test_worker_reports_failures_and_keeps_going(qtbot) -> None:
    class Fragile(LatestOnlyWorker):
        def handle(self, request: int) -> int:
            if request < 0:
                raise ValueError("negative")
            return request

    worker = Fragile("fragile")
    try:
        with qtbot.waitSignal(worker.failed) as failure:
            worker.submit(-1)
        assert "negative" in failure.args[1]
        with qtbot.waitSignal(worker.resultReady) as ok:
            worker.submit(3)
        assert ok.args == [3, 3]
    finally:
        worker.stop()


def test_playback_follows_the_clock_and_drops_frames(qtbot) -> None:
    doc = Document()
    doc.load(make_reconstruction(300, fps=30.0))
    playback = Playback(doc)
    shown: list[int] = [doc.frame]
    doc.frameChanged.connect(shown.append)
    start = time.perf_counter()
    playback.toggle()
    busy_until = time.perf_counter() + 0.3
    while time.perf_counter() < busy_until:  # the GUI thread stalls for 300 ms (a slow paint, say)
        pass
    qtbot.wait(400)
    playback.pause()
    elapsed = time.perf_counter() - start
    expected = elapsed * 30
    assert abs(doc.frame - expected) < 6, (doc.frame, expected)  # in time with the clock, not behind
    assert max(b - a for a, b in zip(shown, shown[1:])) >= 5  # the stall was skipped, not replayed


def test_playback_stops_at_the_end(qtbot) -> None:
    doc = Document()
    doc.load(make_reconstruction(15, fps=30.0))
    playback = Playback(doc)
    playback.toggle()
    qtbot.waitUntil(lambda: not playback.playing, timeout=3000)
    assert doc.frame == 14
    playback.shuttle(-1)
    qtbot.waitUntil(lambda: not playback.playing, timeout=3000)
    assert doc.frame == 0


def test_job_runs_the_engine_and_reports_progress(qtbot) -> None:
    recon = make_reconstruction(60)
    seg = make_segments()[0]
    backend = tiny_engine_backend(steps=6)
    job = Job("infill", backend.infill_job(recon, seg, ""))
    fractions: list[float] = []
    job.progress.connect(lambda f, _m: fractions.append(f))
    with qtbot.waitSignal(job.finished, timeout=30000) as done:
        job.start()
    out = done.args[0]
    assert fractions[-1] == pytest.approx(1.0) and len(fractions) >= 6  # at least one report per sampling step
    assert fractions == sorted(fractions)
    assert out.num_frames == 60 and not out.people[1].equals(recon.people[1]) and out.people[0].equals(recon.people[0])


def test_job_failure_is_reported_not_raised(qtbot) -> None:
    def broken(_p, _c):
        raise OSError("disk on fire")
    job = Job("broken", broken)
    with qtbot.waitSignal(job.failed, timeout=5000) as failure:
        job.start()
    assert "disk on fire" in failure.args[0] and "Traceback" in failure.args[1]


def test_default_refinement_is_used_and_named() -> None:
    backend = find_backend()
    # smoothing since the real-motion evaluation (the learned refiner raised occluded error: docs/eval/README.md)
    assert backend.refine_label == SMOOTHING_REFINE
    recon = make_reconstruction(60)
    out = backend.refine_job(recon, make_segments())(lambda f, m: None, lambda: False)
    assert out.num_frames == 60 and not out.equals(recon)


def test_trusted_mask_excludes_flagged_frames() -> None:
    recon = make_reconstruction(60)
    mask = trusted_mask(recon, make_segments())
    assert mask.shape == (60, 2)
    assert not mask[20:36, 1].any() and mask[20:36, 0].all()  # B is flagged (and unreliable) there, A is not
    assert not mask[45:52, 0].any() and mask[45:52, 1].all()


def test_settings_round_trip(tmp_path) -> None:
    s = AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    for i in range(12):
        s.add_recent(tmp_path / f"f{i}.npz")
    s.add_recent(tmp_path / "f3.npz")
    files = s.recent_files()
    assert len(files) == 10 and files[0].endswith("f3.npz") and files.count(files[0]) == 1
    s.set_device("cuda")
    s.set_body_model_dir("/models/smplx")
    again = AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    assert again.device() == "cuda" and again.body_model_dir() == "/models/smplx"
    with pytest.raises(ValueError):
        s.set_device("tpu")

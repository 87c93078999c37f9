"""Batches of tiny rendered clips on a local Ray instance limited to 2 CPUs.

A corrupt clip is recorded and never stops the batch; the other clips' outputs load with the project's readers;
a rerun skips finished clips and retries failed ones; a worker killed mid-clip is retried and leaves nothing
half-written; with no retries left the death is recorded as the clip's failure.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray")

import batch_support  # noqa: E402
from inference.batch import DONE, FAILED, BatchOptions, ClipOptions, read_inputs, read_record, run_batch  # noqa: E402
from inference.batch.runner import _start_ray  # noqa: E402
from inference.io.npz import load_reconstruction  # noqa: E402
from inference.session import load_session  # noqa: E402
from sm_studio.cli import main  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("videos")
    batch_support.make_clips(folder)
    return folder


@pytest.fixture(scope="module")
def local_ray():
    """One local instance for the module (starting Ray costs seconds); ``run_batch`` joins it."""
    assert _start_ray(BatchOptions(num_cpus=2))
    assert ray.cluster_resources()["CPU"] == 2
    ray.cloudpickle.register_pickle_by_value(batch_support)  # the workers cannot import the tests folder
    yield
    ray.shutdown()


def _no_leftovers(out: Path) -> None:
    hidden = [p.name for p in (out / "clips").iterdir() if p.name.startswith(".")]
    assert hidden == [], f"half-written folders left behind: {hidden}"


def test_batch_from_videos_records_the_corrupt_clip_and_resumes(videos, local_ray, tmp_path, capsys):
    out = tmp_path / "batch"
    args = ["batch", str(videos), "-o", str(out), "--fit-steps", "30", "--infill-steps", "3", "--max-frames", "24"]
    assert main(args) == 1  # at least the corrupt clip failed
    captured = capsys.readouterr()
    assert "failed broken.mp4 at reconstruct: VideoError" in captured.out
    assert "clips" in captured.err and "ETA" in captured.err  # the progress line
    rows = {r["clip"]: r for r in csv.DictReader((out / "summary.csv").open())}
    good = [f"{kind}.mp4" for kind, _ in batch_support.CLIP_KINDS]
    assert set(rows) == {"broken.mp4", *good}
    assert rows["broken.mp4"]["status"] == FAILED and "broken.mp4" in rows["broken.mp4"]["error"]
    assert sorted(p.name for p in (out / "clips" / "broken.mp4").iterdir()) == ["error.txt", "status.json"]
    done = [clip for clip in good if rows[clip]["status"] == DONE]
    for clip in set(good) - set(done):  # a rendered clip may lose a person in detection: a named, recorded failure
        assert rows[clip]["failed_stage"] == "reconstruct" and "fewer than two people" in rows[clip]["error"]
    assert len(done) >= 2, {c: rows[c]["error"] for c in good}
    for clip in done:
        row = rows[clip]
        assert int(row["frames"]) == 24
        assert all(float(row[f"{s}_s"]) >= 0 for s in ("reconstruct", "flag", "describe", "infill", "refine"))
        session = load_session(out / row["session"])
        assert session.current.num_frames == 24 and len(session.segments) == int(row["segments"])
        assert Path(session.video_path).name == clip
        assert all(s.latest is not None and s.latest.text for s in session.segments)  # described
        assert not session.current.equals(session.original)  # infilled and refined
        motion = load_reconstruction(out / "clips" / clip / "motion.npz")
        assert motion.equals(session.current)  # the NPZ export is the corrected motion
        # the figures are recorded for each stage's output; whether the refiner lowers jitter is the engine's
        # tests' business (it does not always on fitted video: see inference/engine/refine.py)
        assert all(np.isfinite(float(row[k])) for k in ("jitter_before", "jitter_refine_input", "jitter_after"))
        record = read_record(out / "clips" / clip)
        assert set(record.substages) == {"reconstruct.keypoints", "reconstruct.fit"} and record.cpu_seconds > 0
    workers = {read_record(out / "clips" / c).worker for c in rows}
    assert len(workers) <= 2  # 4 clips on 2 CPUs: workers are reused, and with them their loaded models
    markdown = (out / "summary.md").read_text()
    assert "| broken.mp4 | failed |" in markdown and f"{len(done)} done, {4 - len(done)} failed" in markdown
    _no_leftovers(out)

    before = {c: read_record(out / "clips" / c) for c in rows}
    assert main(args) == 1
    captured = capsys.readouterr()
    assert f"{len(done)} skipped as already done" in captured.out
    after = {c: read_record(out / "clips" / c) for c in rows}
    for clip in done:
        assert after[clip] == before[clip]  # untouched
    assert after["broken.mp4"].attempt == 2 and after["broken.mp4"].status == FAILED  # retried, and failed again
    assert sorted(json.loads((out / "batch.json").read_text())["ran"]) == sorted(set(rows) - set(done))


def _manifest(videos: Path, tmp_path: Path) -> Path:
    """Clips given as existing (noisy) reconstructions: no detection or fit, so the batch is quick."""
    lines = [json.dumps({"id": f"clip{i}", "video": str(videos / f"{kind}.mp4"),
                         "reconstruction": str(videos / f"{kind}_footage" / "initial.npz"),
                         "options": {"formats": ["npz", "session"]}})
             for i, (kind, _) in enumerate(batch_support.CLIP_KINDS)]
    manifest = tmp_path / "clips.jsonl"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


STAGES = ("reconstruct", "flag", "describe", "refine", "export")


def test_killed_worker_is_retried_and_nothing_is_half_written(videos, local_ray, tmp_path):
    specs = read_inputs(_manifest(videos, tmp_path), ClipOptions())
    out = tmp_path / "batch"
    result = run_batch(specs, out, BatchOptions(stages=STAGES, retries=2), clip_fn=batch_support.crash_once)
    assert (out / "crash-marker").exists()  # a worker really died
    assert result.failed == [] and sorted(result.ran) == ["clip0", "clip1", "clip2"]
    for clip in ("clip0", "clip1", "clip2"):
        record = read_record(out / "clips" / clip)
        assert record is not None and record.status == DONE and list(record.stages) != []
        assert sorted(p.name for p in (out / "clips" / clip).iterdir()) == ["motion.npz", "session.smsession",
                                                                            "status.json"]
        session = load_session(out / "clips" / clip / "session.smsession")
        assert session.segments  # flagged from the given reconstruction's 2D keypoints
    _no_leftovers(out)

    first = {c: read_record(out / "clips" / c).finished_at for c in result.ran}
    again = run_batch(specs, out, BatchOptions(stages=STAGES, force=True))
    assert sorted(again.ran) == ["clip0", "clip1", "clip2"] and again.failed == []
    assert all(read_record(out / "clips" / c).finished_at > first[c] for c in first)  # redone with --force


def test_a_worker_that_dies_on_every_try_is_recorded(videos, local_ray, tmp_path):
    specs = read_inputs(_manifest(videos, tmp_path), ClipOptions())[:2]
    out = tmp_path / "batch"
    result = run_batch(specs, out, BatchOptions(stages=STAGES, retries=0), clip_fn=batch_support.crash_once)
    assert len(result.failed) == 1 and len(result.records) == 2
    record = result.records[result.failed[0]]
    assert record.failed_stage == "worker" and "worker died on all 1 tries" in record.error
    assert read_record(out / "clips" / record.clip) == record
    _no_leftovers(out)


def test_resume_matches_clips_by_full_name_content_and_options(local_ray, tmp_path):
    """``walk.avi`` added beside a finished ``walk.mp4`` is processed, the ``.mp4`` is not redone; a changed
    option or a replaced video reprocesses exactly the clips it affects, and says why."""
    videos, out = tmp_path / "videos", tmp_path / "batch"
    videos.mkdir()
    (videos / "walk.mp4").write_bytes(b"mp4 content")

    def run(formats=("npz", "session")):
        specs = read_inputs(videos, ClipOptions(formats=formats))
        log = out / "runs.log"
        before = log.read_text().splitlines() if log.exists() else []
        result = run_batch(specs, out, BatchOptions(stages=STAGES), clip_fn=batch_support.record_run)
        return result, sorted(log.read_text().splitlines()[len(before):])

    result, runs = run()
    assert runs == ["walk.mp4 npz,session"] and result.ran == ["walk.mp4"]
    (videos / "walk.avi").write_bytes(b"avi content")
    result, runs = run()
    assert runs == ["walk.avi npz,session"]  # exactly once each, across the two runs
    assert result.skipped == ["walk.mp4"] and set(result.records) == {"walk.avi", "walk.mp4"}
    assert all(r.status == DONE and r.video.endswith(c) for c, r in result.records.items())
    result, runs = run(formats=("npz", "glb"))
    assert runs == ["walk.avi npz,glb", "walk.mp4 npz,glb"]
    assert result.reprocessed == {c: "options changed: formats" for c in ("walk.avi", "walk.mp4")}
    (videos / "walk.mp4").write_bytes(b"another take")
    result, runs = run(formats=("npz", "glb"))
    assert runs == ["walk.mp4 npz,glb"] and result.reprocessed == {"walk.mp4": "video content changed"}
    result, runs = run(formats=("npz", "glb"))
    assert runs == [] and sorted(result.skipped) == ["walk.avi", "walk.mp4"] and result.reprocessed == {}
    summary = json.loads((out / "batch.json").read_text())
    assert summary["ran"] == [] and summary["failed"] == []

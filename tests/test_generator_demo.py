"""The embedded demo: shipped, small, consistent, loadable by the app's readers, and up to date with the code."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from inference import demo

from inference.demo import DEMO_FPS, DEMO_KIND, DEMO_SECONDS, DEMO_SEED, DEMO_SIZE, demo_paths, ensure_demo
from inference.generator import generate_clip
from inference.generator.footage import load_segments
from inference.io.npz import load_reconstruction

STALE = "the shipped demo is stale (generator or body model changed): run scripts/make_demo.py"


def test_demo_is_shipped_and_small():
    files = demo_paths()
    assert all(p.is_file() for p in files.all())
    assert sum(p.stat().st_size for p in files.all()) < 3_000_000
    assert ensure_demo() == files


def test_demo_files_agree_with_each_other():
    files = demo_paths()
    truth, initial = load_reconstruction(files.truth), load_reconstruction(files.initial)
    assert truth.num_frames == initial.num_frames == round(DEMO_FPS * DEMO_SECONDS)
    assert (truth.camera.width, truth.camera.height) == DEMO_SIZE
    cap = cv2.VideoCapture(str(files.video))
    assert (cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == DEMO_SIZE
    frames = 0
    while cap.read()[0]:
        frames += 1
    assert frames == truth.num_frames
    segments = load_segments(files.segments)
    assert any(s.kind.value == "occluded" for s in segments)  # the hug hides someone: something to review
    for s in segments:
        assert s.stop <= truth.num_frames
        for pid in ("A", "B") if s.who == "both" else (s.who,):
            assert initial.person(pid).reliability[s.start:s.stop].max() < 0.5
    assert initial.meta["frontend"]["keypoints"] == "mediapipe-blazepose-full"  # made by the front end
    info = json.loads(files.clip.read_text())
    assert info["kind"] == DEMO_KIND and "hug" in info["label"] and info["contacts"]


def test_shipped_truth_matches_the_generator():
    """Regenerate the demo's motion (no rendering): the shipped ground truth must be what the code makes now."""
    clip = generate_clip(DEMO_KIND, DEMO_SEED, DEMO_FPS, DEMO_SECONDS, *DEMO_SIZE)
    truth = load_reconstruction(demo_paths().truth)
    for mine, shipped in zip(clip.reconstruction.people, truth.people):
        np.testing.assert_allclose(mine.body_pose, shipped.body_pose, atol=1e-4, err_msg=STALE)
        np.testing.assert_allclose(mine.transl, shipped.transl, atol=1e-4, err_msg=STALE)
    np.testing.assert_allclose(clip.reconstruction.camera.R, truth.camera.R, atol=1e-9, err_msg=STALE)


def test_ensure_demo_copies_into_a_directory(tmp_path):
    files = ensure_demo(tmp_path / "demo")
    assert all(p.is_file() and p.parent == tmp_path / "demo" for p in files.all())
    assert files.video.read_bytes() == demo_paths().video.read_bytes()


@pytest.mark.slow
def test_missing_demo_is_regenerated_into_the_cache(tmp_path, monkeypatch):
    """A stripped install (no shipped files) still gets the same demo, rendered once into the user's cache."""
    shipped_truth = load_reconstruction(demo_paths().truth)
    monkeypatch.setattr(demo, "DEMO_DIR", tmp_path / "not-shipped")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    files = ensure_demo()
    assert files.video.parent == tmp_path / "cache" / "sm-studio" / "demo"
    assert all(p.is_file() for p in files.all())
    regenerated = load_reconstruction(files.truth)
    for mine, shipped in zip(regenerated.people, shipped_truth.people):
        np.testing.assert_allclose(mine.body_pose, shipped.body_pose, atol=1e-4)
    stamp = files.video.stat().st_mtime_ns
    assert ensure_demo() == files and files.video.stat().st_mtime_ns == stamp  # not rendered twice


@pytest.mark.slow
def test_shipped_initial_is_what_reconstruct_makes(tmp_path):
    """The demo's initial reconstruction and segments are the front end's output on the shipped video (BlazePose,
    tracking, re-detection, flags, fit), not a doctored copy of the truth: running it again gives the same."""
    pytest.importorskip("mediapipe")
    from inference.demo import reconstruct_demo

    files = demo_paths()
    truth, shipped = load_reconstruction(files.truth), load_reconstruction(files.initial)
    session = reconstruct_demo(files.video, truth.camera.K)
    for mine, theirs in zip(session.current.people, shipped.people):
        np.testing.assert_allclose(mine.keypoints_2d, theirs.keypoints_2d, atol=0.5)
        np.testing.assert_allclose(mine.transl, theirs.transl, atol=0.02)
    assert [(s.who, s.kind, s.start, s.stop) for s in session.segments] == \
        [(s.who, s.kind, s.start, s.stop) for s in load_segments(files.segments)]

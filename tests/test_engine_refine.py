"""Whole-sequence refinement: learned (windowed diffusion) and the Savitzky-Golay baseline."""

from __future__ import annotations

import numpy as np
import pytest

from engine_support import generated, single_thread, tiny_model  # noqa: F401 (fixture)
from inference.engine import Cancelled, RefineOptions, refine_sequence
from inference.engine.bodies import pair_rest_joints
from inference.engine.metrics import acceleration_error
from inference.engine.refine import window_starts
from inference.engine.window_io import recon_joints
from inference.motion import MotionError

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def truth():
    return generated("dance_hold", 4, seconds=4.0)


@pytest.fixture(scope="module")
def jittery(truth):
    rng = np.random.default_rng(0)
    people = []
    for p in truth.people:
        q = p.copy()
        q.body_pose = p.body_pose + rng.normal(0, 0.04, p.body_pose.shape).astype(np.float32)
        q.transl = p.transl + rng.normal(0, 0.015, p.transl.shape).astype(np.float32)
        people.append(q)
    return truth.replace_people(*people)


def test_windows_cover_the_sequence_with_overlap():
    assert window_starts(50, 64, 16) == [0]
    starts = window_starts(300, 64, 16)
    assert starts[0] == 0 and starts[-1] == 300 - 64
    assert all(b - a <= 48 for a, b in zip(starts, starts[1:]))


def test_savgol_removes_jitter(truth, jittery):
    rest = pair_rest_joints(truth)
    gt = recon_joints(truth, rest)
    out = refine_sequence(jittery, None, RefineOptions(method="savgol"))
    assert out.num_frames == truth.num_frames
    assert acceleration_error(recon_joints(out, rest), gt) < 0.5 * acceleration_error(recon_joints(jittery, rest), gt)


def test_learned_refiner_runs_windowed_and_reports_progress(jittery):
    model = tiny_model("refiner", text_dim=0)
    seen = []
    opts = RefineOptions(method="learned", window=48, overlap=12, steps=2, final_iterations=1,
                         keep_trusted=0.0)  # every frame is trusted: the default would keep them all
    out = refine_sequence(jittery, None, opts, progress=lambda f, m: seen.append(f), model=model)
    assert out.num_frames == jittery.num_frames
    assert all(np.all(np.isfinite(p.body_pose)) for p in out.people)
    assert not np.allclose(out.people[0].body_pose, jittery.people[0].body_pose)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    assert out.people[0].betas is not None and np.array_equal(out.people[0].betas, jittery.people[0].betas)


def test_learned_then_smoothed_is_smoother_than_learned_alone(truth, jittery):
    model = tiny_model("refiner", text_dim=0)
    rest = pair_rest_joints(truth)
    gt = recon_joints(truth, rest)
    opts = RefineOptions(method="learned", window=48, overlap=12, steps=2, final_iterations=1, keep_trusted=0.0)
    learned = refine_sequence(jittery, None, opts, model=model)
    both = refine_sequence(jittery, None, RefineOptions(**{**opts.__dict__, "method": "learned+savgol"}), model=model)
    assert acceleration_error(recon_joints(both, rest), gt) < acceleration_error(recon_joints(learned, rest), gt)


def test_refiner_cancel_and_bad_inputs(jittery):
    model = tiny_model("refiner", text_dim=0)
    with pytest.raises(Cancelled):
        refine_sequence(jittery, None, RefineOptions(method="learned", steps=2), cancel=lambda: True, model=model)
    with pytest.raises(Cancelled):
        refine_sequence(jittery, None, RefineOptions(), cancel=lambda: True)
    with pytest.raises(MotionError, match="trusted_mask"):
        refine_sequence(jittery, np.ones((3, 2), bool), RefineOptions(), model=model)
    with pytest.raises(MotionError, match="method"):
        refine_sequence(jittery, None, RefineOptions(method="magic"))


def _turned_round(global_orient: np.ndarray) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    return (Rotation.from_rotvec([0, np.pi, 0]) * Rotation.from_rotvec(global_orient)).as_rotvec().astype(np.float32)


def test_short_facing_flips_are_found_and_fast_turns_are_not() -> None:
    from inference.engine.flips import find_flips

    frames = 60
    yaw = np.zeros((frames, 3), np.float32)
    yaw[:, 1] = np.linspace(0, np.radians(600) * frames / 30, frames) % (2 * np.pi)  # a real 600°/s spin
    assert find_flips(yaw, 30.0) == []
    still = np.zeros((frames, 3), np.float32)
    flipped = still.copy()
    flipped[20:23] = _turned_round(still[20:23])
    assert find_flips(flipped, 30.0) == [(20, 23)]
    turned_for_good = still.copy()
    turned_for_good[20:] = _turned_round(still[20:])
    assert find_flips(turned_for_good, 30.0) == []  # no return within 0.3 s: not ours to undo


def test_refining_repairs_a_fitted_body_turning_round(truth) -> None:
    b = truth.people[1].copy()
    b.global_orient[40:43] = _turned_round(b.global_orient[40:43])
    flipped = truth.replace_people(truth.people[0], b)
    rest = pair_rest_joints(truth)
    gt = recon_joints(truth, rest)
    out = refine_sequence(flipped, None, RefineOptions(method="savgol"))
    err = np.linalg.norm(recon_joints(out, rest) - gt, axis=-1)[30:53, 1].mean()
    assert err < 0.01  # the flip is gone, not smeared over the filter's window (42 mm without the repair)
    assert acceleration_error(recon_joints(out, rest), gt) < 1.0  # 5.1 without


def test_the_learned_refiner_can_leave_trusted_frames_as_they_were(jittery):
    model = tiny_model("refiner", text_dim=0)
    trusted = np.ones((jittery.num_frames, 2), bool)
    trusted[40:60, 1] = False
    opts = RefineOptions(method="learned", window=48, overlap=12, steps=2, final_iterations=1,
                         keep_trusted=6 / jittery.fps)
    out = refine_sequence(jittery, trusted, opts, model=model)
    far = np.ones(jittery.num_frames, bool)
    far[34:66] = False  # within 6 frames of B's untrusted span
    assert np.array_equal(out.people[0].body_pose, jittery.people[0].body_pose)  # A has no untrusted frame
    assert np.array_equal(out.people[1].body_pose[far], jittery.people[1].body_pose[far])
    changed = np.abs(out.people[1].body_pose - jittery.people[1].body_pose).max((1, 2))
    assert changed[40:60].min() > 0 and 0 < changed[36] < changed[45]  # refined inside, blended on the way in

"""The motion library prior: gaps filled with the captured motion whose visible surroundings match."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine_support import single_thread  # noqa: F401 (fixture)
from inference.engine import GuidanceWeights, InfillOptions, infill_segment
from inference.engine.bodies import pair_rest_joints
from inference.engine.dataset import clip_from_reconstruction, solo_clip
from inference.engine.motion_library import build_library, load_library, save_library
from inference.engine.pair_frame import PairFrame, rot_y
from inference.engine.window_io import read_window, recon_joints
from inference.generator import generate_clip
from inference.motion import MotionError
from inference.resample import resample
from inference.segments import Segment

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def takes():
    return [generate_clip(kind, seed, seconds=4.0).reconstruction
            for kind, seed in (("walk_together", 1), ("dance_hold", 2), ("push", 3))]


@pytest.fixture(scope="module")
def library_path(takes, tmp_path_factory):
    clips = [clip_from_reconstruction(r, "", f"t{i}") for i, r in enumerate(takes)]
    return save_library(build_library(clips), tmp_path_factory.mktemp("lib") / "library", "three generated takes")


def test_a_gap_in_a_take_of_the_library_is_filled_with_that_take(takes, library_path):
    library = load_library(library_path)
    assert library.num_frames == sum(t.num_frames for t in takes) and library.fps == 30.0
    recon = takes[1]
    rest = pair_rest_joints(recon)
    keep = np.ones((60, 2), bool)
    window = read_window(recon, 30, 90, keep, rest)
    for hidden in ([0], [0, 1]):  # A, then both (each person matched on their own surroundings)
        keep[20:45, hidden] = False
        filled = library.fill(window.features, keep, window.rest_joints, k=1)
        assert np.array_equal(filled[keep].numpy(), window.features[keep].numpy())  # kept entries untouched
        assert (filled - window.features).abs().max() < 0.02  # float16 storage: the same motion, found again


def test_matching_finds_the_turn_and_shift_that_lay_a_window_on_the_query(library_path):
    """The closed-form alignment (turn about the vertical + shift on the ground, least squares over the visible
    entries) recovers a known one exactly, whatever pose the window starts in, and scores the true window 0."""
    library = load_library(library_path)
    start, frames = 70, np.arange(0, 40, 3)
    yaw, shift = 0.9, np.array([0.4, 0.0, -1.3])
    frame = PairFrame(rot_y(torch.tensor(yaw, dtype=torch.float64)), torch.as_tensor(shift))
    world = torch.as_tensor(library._joints[start + frames], dtype=torch.float64)  # (F, 2, J, 3)
    query = ((world - frame.origin) @ frame.rotation.T).numpy()  # p_pair = R (p - origin)
    weights = np.ones((len(frames), 2))
    weights[4:9, 1] = 0.0  # B hidden for a while: those entries must not count
    query[4:9, 1] += 5.0
    dist, got_yaw, origin = library._aligned_distances(np.array([start, start + 30]), frames, [0, 1], query, weights)
    assert dist[0] < 1e-8 < dist[1]
    assert abs(got_yaw[0] - yaw) < 1e-6 and np.allclose(origin[0], shift, atol=1e-6)


def test_motion_the_library_does_not_know_is_interpolated(takes, library_path):
    """B floating a metre up around the gap: no captured window is near it, so the gap is interpolated rather
    than filled with the nearest (far) match; the same gap on the ground is matched."""
    from inference.engine.base_motion import interpolation_base
    from inference.engine.motion_library import match_trust

    assert match_trust(0.1) == 1.0 and match_trust(0.25) == pytest.approx(0.5) and match_trust(0.5) == 0.0
    library = load_library(library_path)
    recon = takes[2].copy()
    rest = pair_rest_joints(recon)
    keep = np.ones((60, 2), bool)
    keep[20:45, 1] = False
    grounded = read_window(recon, 30, 90, keep, rest).features
    recon.people[1].transl[:, 1] += 1.0
    window = read_window(recon, 30, 90, keep, rest)
    glide = interpolation_base(window.features[None], keep[None])[0]
    assert torch.allclose(library.fill(window.features, keep, window.rest_joints, k=1), glide)
    matched = library.fill(grounded, keep, window.rest_joints, k=1)
    grounded_glide = interpolation_base(grounded[None], keep[None])[0]
    assert (matched - grounded).abs().max() < 0.02 and (matched - grounded_glide).abs().max() > 0.05


def test_library_prior_changes_only_the_segment_and_steps_like_the_truth(takes, library_path):
    recon = takes[0]
    segment = Segment(40, 70, "B")
    options = InfillOptions(prior="library", library_path=str(library_path), library_k=1,
                            guidance=GuidanceWeights.none())
    out = infill_segment(recon, segment, "", options)
    rest = pair_rest_joints(recon)
    err = np.linalg.norm(recon_joints(out, rest) - recon_joints(recon, rest), axis=-1).mean(-1)  # (T, 2)
    assert err[:40].max() == 0 and err[70:].max() == 0 and err[:, 0].max() == 0
    assert err[40:70, 1].mean() < 0.02  # the walk is in the library: matched, not glided over
    at60 = resample(recon, np.arange(0, recon.num_frames - 1, 0.5), 60.0)
    out60 = infill_segment(at60, Segment(80, 140, "B"), "", options)  # another rate: resampled around the gap
    assert np.linalg.norm(recon_joints(out60, rest) - recon_joints(at60, rest), axis=-1)[80:140, 1].mean() < 0.03


def test_one_persons_takes_are_matched_to_one_person_alone(takes, tmp_path):
    """A solo take (its person in both slots) is a candidate only for a person matched alone: hidden with the
    partner seen, A is filled half from it (the pair set cannot use it) and half from the pairs; hidden with B
    too, A is found in it exactly, while B, whose motion the library lacks, is not."""
    push = takes[2]
    pairs = [clip_from_reconstruction(r, "", f"t{i}") for i, r in enumerate(takes[:2])]
    library = load_library(save_library(build_library(pairs, [solo_clip(push.people[0], push.fps, "push A")]),
                                        tmp_path / "library"))
    assert library.solo.tolist() == [False, False, True] and library.names[2] == "push A"
    starts_pairs = np.concatenate([s for s, _ in library._candidates(60, alone=False)])
    assert (library.take[starts_pairs] < 2).all()
    rest = pair_rest_joints(push)
    keep = np.ones((60, 2), bool)
    window = read_window(push, 30, 90, keep, rest)
    keep[20:45, 0] = False
    a_error = (library.fill(window.features, keep, window.rest_joints, k=1) - window.features)[20:45, 0].abs()
    keep[20:45, 1] = False
    both = library.fill(window.features, keep, window.rest_joints, k=1) - window.features
    assert both[20:45, 0].abs().max() < 0.02 < a_error.max()  # float16 storage: found again, alone
    assert both[20:45, 1].abs().max() > 0.05


def test_library_errors_are_one_sentence(library_path, tmp_path):
    with pytest.raises(MotionError, match="not found"):
        load_library(tmp_path / "missing.npz")
    with np.load(library_path) as f:
        fields = dict(f)
    np.savez(tmp_path / "bad.npz", **{**fields, "solo": np.zeros(5, bool)})  # three takes, five flags
    with pytest.raises(MotionError, match="bad.npz: field 'solo'"):
        load_library(tmp_path / "bad.npz")
    with pytest.raises(MotionError, match="prior"):
        infill_segment(generate_clip("hug", 1, seconds=2.0).reconstruction, Segment(10, 20, "A"), "",
                       InfillOptions(prior="magic"))

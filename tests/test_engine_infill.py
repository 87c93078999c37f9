"""Infilling one segment: shapes, kept frames bit-exact, cancel, progress, guidance."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine_support import generated, single_thread, tiny_model  # noqa: F401 (fixture)
from inference.engine import Cancelled, GuidanceWeights, InfillOptions, infill_segment
from inference.engine.bodies import pair_rest_joints
from inference.engine.guidance import GuidanceProblem, apply_guidance, guidance_terms, penetration_depth
from inference.engine.window_io import read_window, recon_joints
from inference.motion import MotionError
from inference.segments import Segment


pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def recon():
    return generated("hug", 3, seconds=3.0)


@pytest.fixture(scope="module")
def model():
    return tiny_model()


# the diffusion infiller (the default prior is the motion library since the real-motion evaluation; its own
# tests are in test_engine_library.py)
FAST = dict(steps=4, guidance_iterations=1, final_iterations=2, text_encoder=None, prior="network")


def test_infill_changes_only_the_segment_of_the_chosen_person(recon, model):
    seg = Segment(30, 50, "A")
    out = infill_segment(recon, seg, "", InfillOptions(**FAST), model=model)
    a0, a1 = recon.people[0], out.people[0]
    assert out.num_frames == recon.num_frames and a1.body_pose.shape == a0.body_pose.shape
    outside = np.r_[0:30, 50:recon.num_frames]
    for name in ("global_orient", "body_pose", "transl"):
        assert np.array_equal(getattr(a1, name)[outside], getattr(a0, name)[outside])  # bit-exact
        assert not np.allclose(getattr(a1, name)[30:50], getattr(a0, name)[30:50])
    assert out.people[1].equals(recon.people[1])
    assert np.all(np.isfinite(a1.body_pose))


def test_inpainting_keeps_trusted_frames_exactly_for_both(recon, model):
    seg = Segment(10, 25, "both")
    out = infill_segment(recon, seg, "", InfillOptions(**FAST), model=model)
    for p, q in zip(recon.people, out.people):
        assert np.array_equal(p.transl[:10], q.transl[:10]) and np.array_equal(p.transl[25:], q.transl[25:])
        assert np.array_equal(p.body_pose[25:], q.body_pose[25:])


def test_long_segment_is_filled_in_chunks(recon, model):
    opts = InfillOptions(**{**FAST, "max_window": 40, "context": 8})
    calls = []
    out = infill_segment(recon, Segment(5, 80, "B"), "", opts, progress=lambda f, m: calls.append(f), model=model)
    assert not np.allclose(out.people[1].transl[70:80], recon.people[1].transl[70:80])
    assert calls == sorted(calls) and calls[-1] == pytest.approx(1.0)


def test_cancel_raises_and_leaves_input_untouched(recon, model):
    before = recon.copy()
    seen = []

    def cancel():
        seen.append(1)
        return len(seen) > 2

    with pytest.raises(Cancelled):
        infill_segment(recon, Segment(30, 50, "A"), "", InfillOptions(**FAST), cancel=cancel, model=model)
    assert recon.equals(before)


def test_segment_outside_the_sequence_is_refused(recon, model):
    with pytest.raises(MotionError, match="ends after"):
        infill_segment(recon, Segment(80, recon.num_frames + 5, "A"), "", InfillOptions(**FAST), model=model)


def test_same_seed_same_result(recon, model):
    a = infill_segment(recon, Segment(30, 45, "A"), "", InfillOptions(**FAST, seed=4), model=model)
    b = infill_segment(recon, Segment(30, 45, "A"), "", InfillOptions(**FAST, seed=4), model=model)
    assert a.equals(b)


def _overlapping_pair(recon):
    """The two people pushed into each other: B's pelvis moved to 15 cm in front of A's."""
    b = recon.people[1].copy()
    a = recon.people[0]
    b.transl = a.transl + np.array([0.0, 0.0, 0.15], np.float32)
    b.global_orient = a.global_orient.copy()
    b.body_pose = a.body_pose.copy()
    return recon.replace_people(a, b)


def test_guidance_step_reduces_interpenetration(recon):
    close = _overlapping_pair(recon)
    rest = pair_rest_joints(close)
    trusted = np.ones((20, 2), bool)
    window = read_window(close, 20, 40, trusted, rest)
    free = np.zeros((20, 2), bool)
    free[:, 1] = True
    problem = GuidanceProblem(window.rest_joints, window.frame, torch.as_tensor(free))
    weights = GuidanceWeights(penetration=1.0, reprojection=0, contact=0, ground=0, skating=0, continuity=0)
    before = guidance_terms(window.features, problem, weights)["penetration"].item()
    guided = apply_guidance(window.features, problem, weights, iterations=10)
    after = guidance_terms(guided, problem, weights)["penetration"].item()
    assert after < 0.5 * before
    assert torch.equal(guided[:, 0], window.features[:, 0])  # person A is not free: untouched


def test_guided_infill_interpenetrates_less_than_unguided(recon, model):
    close = _overlapping_pair(recon)
    seg = Segment(30, 50, "B")
    rest = pair_rest_joints(close)
    pen_only = GuidanceWeights(penetration=1.0, reprojection=0, contact=0, ground=0, skating=0, continuity=0)

    def depth(out):
        j = torch.as_tensor(recon_joints(out, rest)[30:50])
        return penetration_depth(j[:, 0], j[:, 1]).amax((-1, -2)).mean().item()

    plain = infill_segment(close, seg, "", InfillOptions(**FAST, guidance=GuidanceWeights.none()), model=model)
    guided = infill_segment(close, seg, "", InfillOptions(**{**FAST, "final_iterations": 10}, guidance=pen_only),
                            model=model)
    assert depth(guided) < depth(plain)


def test_sampling_thread_setting_is_restored(recon, model):
    torch.set_num_threads(2)
    infill_segment(recon, Segment(30, 40, "A"), "", InfillOptions(**FAST, threads=1), model=model)
    assert torch.get_num_threads() == 2


def test_a_network_that_adds_nothing_reproduces_interpolation(recon):
    """The diffusion runs on the residual to interpolation: with a zero residual and no guidance the result is
    the interpolation baseline (pelvis exactly; rotations up to 6D-linear vs SLERP)."""
    from inference.engine.baselines import interpolate_segment

    blank = tiny_model()  # output layer initialised to zero
    seg = Segment(30, 50, "A")
    out = infill_segment(recon, seg, "", InfillOptions(**FAST, guidance=GuidanceWeights.none()), model=blank)
    ref = interpolate_segment(recon, seg)
    assert np.allclose(out.people[0].transl, ref.people[0].transl, atol=1e-5)
    assert np.abs(out.people[0].body_pose - ref.people[0].body_pose).max() < 0.05


def test_chunks_never_take_the_estimate_they_replace_as_context(recon):
    """A long gap is filled in chunks; the frames after a chunk still hold the estimate being replaced (here B
    thrown 2 m sideways). With a network that adds nothing each chunk holds or interpolates between what is known,
    so B stays near the borders' placement; taking the next chunk's frames as kept context pulled the first chunk
    toward the wrong estimate (≈ 2 m)."""
    bad = recon.copy()
    seg = Segment(8, 82, "B")
    bad.people[1].transl[seg.start:seg.stop, 0] += 2.0
    opts = InfillOptions(**{**FAST, "max_window": 40, "context": 8}, guidance=GuidanceWeights.none())
    out = infill_segment(bad, seg, "", opts, model=tiny_model())
    borders = recon.people[1].transl[[seg.start - 1, seg.stop], 0]
    filled = out.people[1].transl[seg.start:seg.stop, 0]
    assert filled.min() > borders.min() - 0.05 and filled.max() < borders.max() + 0.05


def test_a_60_fps_sequence_is_infilled_at_the_models_rate() -> None:
    recon = generate_clip_at(60.0)
    seg = Segment(100, 160, "B")  # 1 s
    net = tiny_model()
    lengths: list[int] = []
    net.register_forward_hook(lambda module, args, out: lengths.append(args[0].shape[1]))
    out = infill_segment(recon, seg, "", InfillOptions(**FAST), model=net)
    # 30 model frames of segment + 16 of context on each side, not 60 + 32 source frames
    assert lengths and max(lengths) <= 30 + 2 * 16 + 2
    a, b = recon.people[1], out.people[1]
    outside = np.r_[0:seg.start, seg.stop:recon.num_frames]
    np.testing.assert_array_equal(b.body_pose[outside], a.body_pose[outside])
    np.testing.assert_array_equal(out.people[0].transl, recon.people[0].transl)
    assert np.abs(b.transl[seg.start:seg.stop] - a.transl[seg.start:seg.stop]).max() > 1e-4
    assert out.fps == recon.fps and out.num_frames == recon.num_frames


def test_a_60_fps_sequence_is_refined_at_the_models_rate() -> None:
    from inference.engine import RefineOptions, refine_sequence

    recon = generate_clip_at(60.0, seconds=2.0)
    net = tiny_model("refiner", 0)
    lengths: list[int] = []
    net.register_forward_hook(lambda module, args, out: lengths.append(args[0].shape[1]))
    options = RefineOptions(method="learned", steps=2, window=32, overlap=8, guidance=GuidanceWeights.none(),
                            keep_trusted=0.0)  # every frame is trusted here: let the refiner move them all
    out = refine_sequence(recon, None, options, model=net)
    assert lengths and max(lengths) <= 32 and out.num_frames == recon.num_frames
    # a network that adds nothing leaves the 60 → 30 → 60 fps round trip alone, read back on the sequence's own
    # clock: frames on the 30 fps grid come back exactly, the others as the SLERP between their neighbours
    from inference.resample import resample

    rest = pair_rest_joints(recon)
    frames = np.arange(recon.num_frames)
    round_trip = resample(resample(recon, frames[::2], 30.0), np.minimum(frames / 2, (recon.num_frames - 1) // 2))
    np.testing.assert_allclose(recon_joints(out, rest), recon_joints(round_trip, rest), atol=1e-4)
    np.testing.assert_allclose(recon_joints(out, rest)[::2], recon_joints(recon, rest)[::2], atol=1e-4)


def generate_clip_at(fps: float, seconds: float = 4.0):
    from inference.generator import generate_clip

    return generate_clip("hug", 3, fps=fps, seconds=seconds).reconstruction

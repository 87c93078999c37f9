"""The engine's evaluation on real two-person motion: gaps cut from a CMU salsa pair (read from ../shared/data
when present), hand holds read from the truth, and the stepping check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine_support import single_thread  # noqa: F401 (fixture)
from inference.engine import interpolate_segment
from inference.engine.bodies import pair_rest_joints
from inference.engine.metrics import stepping_correlation
from inference.engine.real_cases import gap_cases
from inference.engine.window_io import recon_joints
from inference.importers import import_motion

CMU = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "cmu"
pytestmark = [pytest.mark.usefixtures("single_thread"),
              pytest.mark.skipif(not (CMU / "manifest.json").is_file(), reason="../shared/data not present")]


@pytest.fixture(scope="module")
def salsa():
    return import_motion([CMU / "60" / "60_12.bvh", CMU / "61" / "61_12.bvh"], fps=60.0, frames=(0, 1200))


def test_gap_cases_hide_the_chosen_people_for_the_chosen_time(salsa):
    cases = gap_cases("60_12", salsa, seeds=[0])
    assert [c.group for c in cases] == [f"{w} {g:g} s" for g in (0.5, 1.0, 2.0) for w in ("A", "B", "both")]
    for case in cases:
        seg, gap = case.segment, float(case.group.split()[1])
        assert seg.length == round(gap * 60) and seg.start == 120 and case.truth.num_frames == seg.stop + 120
        hidden = [0, 1] if seg.who == "both" else ["AB".index(seg.who)]
        for i, person in enumerate(case.observed.people):
            inside = person.reliability[seg.start:seg.stop]
            assert np.all(inside == 0) if i in hidden else np.all(inside == 1)
    assert any(c.contacts for c in cases)  # salsa partners hold hands somewhere in these excerpts
    again = gap_cases("60_12", salsa, seeds=[0])
    assert [c.name for c in again] == [c.name for c in cases]  # reproducible placement


def test_stepping_check_tells_stepping_from_gliding(salsa):
    cases = [c for c in gap_cases("60_12", salsa, seeds=[0, 1, 2], gaps=(1.0,), who=("A", "B"))]
    truth_scores, glide_scores = [], []
    for case in cases:
        rest = pair_rest_joints(case.truth)
        gt = recon_joints(case.truth, rest)
        mask = np.zeros((case.truth.num_frames, 2), bool)
        mask[case.segment.start:case.segment.stop, "AB".index(case.segment.who)] = True
        truth_scores.append(stepping_correlation(gt, gt, mask))
        glide = recon_joints(interpolate_segment(case.observed, case.segment), rest)
        glide_scores.append(stepping_correlation(glide, gt, mask))
    assert np.isfinite(truth_scores).sum() >= 4  # salsa feet move in most 1 s gaps
    assert np.nanmin(truth_scores) == pytest.approx(1.0)
    assert np.nanmean(glide_scores) < 0.5  # interpolation glides across the steps

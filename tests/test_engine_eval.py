"""The evaluation runs end to end on two short held-out sequences and writes its table."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from engine_support import save_tiny, single_thread  # noqa: F401 (fixture)
from inference.engine import metrics as M
from inference.engine.evaluation import make_case

pytestmark = pytest.mark.usefixtures("single_thread")


def test_eval_verb_writes_markdown_and_csv(tmp_path):
    from sm_studio.cli import main

    inf = save_tiny(tmp_path / "inf", "infiller", text_dim=0)  # no text encoder to load: the test stays quick
    ref = save_tiny(tmp_path / "ref", "refiner", text_dim=0)
    out = tmp_path / "eval"
    assert main(["eval", "--cases", "2", "--seconds", "3", "--steps", "2", "--out", str(out),
                 "--infiller", str(inf), "--refiner", str(ref)]) == 0
    md = (out / "infill_eval.md").read_text()
    for method in ("interpolation (SLERP + linear)", "interpolation + guidance (no network)",
                   "network infiller (text + guidance)", "network infiller, no guidance", "infiller, no guidance",
                   "infiller (matched real motion + guidance)", "infiller + Savitzky-Golay",
                   "infiller + learned refiner", "infiller + learned refiner + Savitzky-Golay",
                   "infiller + learned refiner (trusted frames kept) + Savitzky-Golay"):
        assert f"| {method} |" in md
    assert "| network infiller, no text |" not in md  # no text input: the row would repeat the guided one
    rows = list(csv.DictReader((out / "infill_eval.csv").open()))
    means = {r["method"]: r for r in rows if r["case"] == "MEAN"}
    assert float(means["ground truth (reference)"]["MPJPE occluded (mm)"]) == 0.0
    assert float(means["initial estimate"]["MPJPE occluded (mm)"]) > 10.0
    assert len([r for r in rows if r["case"] != "MEAN"]) == 2 * len(means)


def test_case_hides_one_person_and_metrics_see_it():
    case = make_case("hug", 123, seconds=3.0)
    seg = case.segment
    hidden = "AB".index(seg.who)
    assert 9 <= seg.length <= 60 and seg.start >= 15 and seg.stop <= case.truth.num_frames - 15
    rel = case.observed.people[hidden].reliability
    assert np.all(rel[seg.start:seg.stop] == 0) and rel[:seg.start].min() == 1
    assert case.observed.people[hidden].keypoints_2d[seg.start:seg.stop, :, 2].mean() < 0.3


def test_metric_definitions_on_known_values():
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(10, 2, 22, 3))
    mask = np.ones((10, 2), bool)
    shifted = gt + np.array([0.1, 0, 0])
    assert M.mpjpe(shifted, gt, mask) == pytest.approx(0.0, abs=1e-9)  # pelvis-aligned
    assert M.root_error(shifted, gt, mask) == pytest.approx(100.0)
    rot = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1.0]])
    assert M.pa_mpjpe(2 * gt @ rot.T + 1, gt, mask) == pytest.approx(0.0, abs=1e-6)
    assert M.acceleration_error(shifted, gt) == pytest.approx(0.0, abs=1e-9)
    apart = np.zeros((3, 2, 22, 3))
    apart[:, 1, :, 0] = 5.0
    assert M.interpenetration(apart) == (0.0, 0.0)
    assert M.interpenetration(np.zeros((3, 2, 22, 3)))[1] == 100.0

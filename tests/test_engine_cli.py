"""``sm-studio infill`` and ``sm-studio refine`` on real NPZ files."""

from __future__ import annotations

import numpy as np
import pytest

from engine_support import generated, save_tiny, single_thread  # noqa: F401 (fixture)
from inference.io.npz import load_reconstruction, save_reconstruction
from sm_studio.cli import main

pytestmark = pytest.mark.usefixtures("single_thread")


def test_infill_and_refine_verbs_round_trip_npz(tmp_path):
    recon = generated("high_five", 5, seconds=2.0)
    src = tmp_path / "in.npz"
    save_reconstruction(recon, src)
    model = save_tiny(tmp_path / "inf", "infiller", text_dim=0)
    out = tmp_path / "filled.npz"
    assert main(["infill", str(src), "--start", "20", "--stop", "35", "--who", "B", "--out", str(out),
                 "--steps", "2", "--model", str(model)]) == 0
    filled = load_reconstruction(out)
    assert np.array_equal(filled.people[0].body_pose, recon.people[0].body_pose)
    assert not np.allclose(filled.people[1].body_pose[20:35], recon.people[1].body_pose[20:35])
    smooth = tmp_path / "smooth.npz"
    assert main(["refine", str(out), "--method", "savgol", "--out", str(smooth)]) == 0
    assert load_reconstruction(smooth).num_frames == recon.num_frames


def test_infill_verb_reports_a_bad_segment(tmp_path, capsys):
    recon = generated("high_five", 5, seconds=2.0)
    src = tmp_path / "in.npz"
    save_reconstruction(recon, src)
    model = save_tiny(tmp_path / "inf", "infiller", text_dim=0)
    assert main(["infill", str(src), "--start", "50", "--stop", "500", "--out", str(tmp_path / "x.npz"),
                 "--model", str(model)]) == 1
    assert "ends after the last frame" in capsys.readouterr().err

"""The reconstruct console: native runtime noise filtered at the descriptor, an honest progress bar, --help."""

from __future__ import annotations

import io
import os

from inference.frontend.fit import FitConfig
from inference.frontend.native_log import quiet_native_stderr
from sm_studio.commands.reconstruct import ProgressBar


def test_native_noise_is_dropped_and_real_errors_kept(capfd):
    with quiet_native_stderr():
        os.write(2, b"WARNING: [model_load.cc:402] Sparsity tensors may not yet be fully supported.\n" * 3)
        os.write(2, b"INFO: [environment.cc:36] Creating LiteRT environment with options\n")
        os.write(2, b"E0000 calculator_graph.cc:12] graph failed: input stream closed\n")
    err = capfd.readouterr().err
    assert "Sparsity" not in err and "LiteRT" not in err
    assert "graph failed: input stream closed" in err


def test_progress_bar_opens_without_a_rate_spike():
    out = io.StringIO()
    bar = ProgressBar(out)
    bar("keypoints", 1, 10)  # work done before the bar's clock started: no rate yet
    first = out.getvalue()
    assert "/s" not in first and "1/10" in first
    bar.start -= 2.0  # two seconds later, 9 more frames
    bar("keypoints", 10, 10)
    assert "4.5/s" in out.getvalue().split("\r")[-1]


def test_help_states_the_steps_the_bar_counts(capsys):
    from sm_studio.cli import main

    try:
        main(["reconstruct", "--help"])
    except SystemExit:
        pass
    text = " ".join(capsys.readouterr().out.split())
    cfg = FitConfig()
    assert f"default {cfg.steps_full}" in text and f"{cfg.total_steps} in all" in text

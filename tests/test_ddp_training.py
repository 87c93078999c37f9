"""Training with DDP: two CPU processes (gloo) launched by torchrun follow a single process's run.

The global batch is split across ranks and the loss is scaled so DDP's gradient average is the whole batch's
gradient (``inference/engine/distributed.py``); with dropout off the two runs differ only by float summation
order. Tolerance: per-step loss within 1e-5 relative, every weight within 1e-5 (seen: 2e-7 and 8e-8). The DDP
run is stopped half-way and resumed, so its checkpoints are also shown to be the single-process format.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from inference.engine.checkpoint import load_training_state
from inference.engine.denoiser import DenoiserConfig, MotionDenoiser

pytestmark = pytest.mark.slow

CONFIG = {"model": {"width": 32, "layers": 1, "heads": 2, "window": 32, "diffusion_steps": 50, "dropout": 0.0,
                    "text_dim": 0, "text_encoder": ""},
          "train": {"steps": 6, "batch_size": 8, "log_every": 1, "save_every": 100, "warmup": 2,
                    "stat_samples": 64}}
ROOT = Path(__file__).resolve().parents[1]


def _train(tmp_path: Path, out: str, steps: int, launcher: list[str], resume: bool = False) -> str:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG))
    cmd = [*launcher, "-m", "sm_studio", "train", "infiller", "--data", "generated:3", "--config", str(config),
           "--out", str(tmp_path / out), "--steps", str(steps), "--device", "cpu"] + (["--resume"] if resume else [])
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_two_process_ddp_matches_one_process(tmp_path):
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2"]
    _train(tmp_path, "single", 6, [sys.executable])
    first = _train(tmp_path, "ddp", 3, torchrun)
    assert [line.split()[1] for line in first.splitlines() if line.startswith("step ")] == ["1/3", "2/3", "3/3"]
    half = json.loads((tmp_path / "ddp.json").read_text())["info"]
    assert half["steps"] == 3 and half["world_size"] == 2 and half["backend"] == "gloo"
    _train(tmp_path, "ddp", 6, torchrun, resume=True)

    single, ddp = load_training_state(tmp_path / "single"), load_training_state(tmp_path / "ddp")
    steps, loss_single = zip(*single["history"])
    assert list(steps) == [1, 2, 3, 4, 5, 6] and [s for s, _ in ddp["history"]] == list(steps)
    np.testing.assert_allclose([loss for _, loss in ddp["history"]], loss_single, rtol=1e-5)
    w_single, w_ddp = load_file(tmp_path / "single.safetensors"), load_file(tmp_path / "ddp.safetensors")
    assert w_single.keys() == w_ddp.keys()
    for name in w_single:
        np.testing.assert_allclose(w_ddp[name].numpy(), w_single[name].numpy(), atol=1e-5, err_msg=name)
    # the weights moved far more than the runs differ: agreement is not two untouched initialisations
    torch.manual_seed(0)  # what train() seeds before building the model
    fresh = MotionDenoiser(DenoiserConfig(**{**CONFIG["model"], "role": "infiller"}))
    init, params = fresh.state_dict(), [n for n, _ in fresh.named_parameters()]
    moved = max(float((w_single[n] - init[n]).abs().max()) for n in params)
    differ = max(float((w_single[n] - w_ddp[n]).abs().max()) for n in params)
    assert moved > 1e-3 and differ < moved / 100

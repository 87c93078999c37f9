"""The engine on CUDA: same results as on the CPU (same seed, same noise), and a clear error without a GPU.

The CUDA tests run where torch sees a GPU (the lent GPU machine; see docs/gpu.md); CI has none and skips them.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine_support import clips, generated, single_thread, text_table, tiny_model  # noqa: F401 (fixture)
from inference.engine import InfillOptions, RefineOptions, infill_segment, refine_sequence
from inference.engine.bodies import pair_rest_joints
from inference.engine.denoiser import DenoiserConfig
from inference.engine.models import resolve_device
from inference.engine.training import TrainConfig, train
from inference.engine.window_io import recon_joints
from inference.motion import MotionError
from inference.segments import Segment

pytestmark = pytest.mark.usefixtures("single_thread")
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")


def test_default_device_follows_cuda_availability() -> None:
    assert resolve_device(None).type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu").type == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_asking_for_cuda_without_a_gpu_says_so() -> None:
    with pytest.raises(MotionError, match="no CUDA GPU"):
        resolve_device("cuda")
    with pytest.raises(MotionError, match="no CUDA GPU"):
        infill_segment(generated("hug", 3, 2.0), Segment(20, 40, "B"), "", InfillOptions(device="cuda"))


def _joints_mm(a, b) -> float:
    rest = pair_rest_joints(a)
    return float(np.abs(recon_joints(a, rest) - recon_joints(b, rest)).max() * 1000)


@cuda
def test_infill_on_cuda_matches_the_cpu() -> None:
    recon, seg = generated("hug", 3, 3.0), Segment(30, 60, "B")
    opts = dict(steps=6, guidance_iterations=1, final_iterations=3, prior="network")
    on_cpu = infill_segment(recon, seg, "", InfillOptions(**opts), model=tiny_model())
    on_gpu = infill_segment(recon, seg, "", InfillOptions(**opts), model=tiny_model().cuda())
    assert _joints_mm(on_cpu, on_gpu) < 5.0
    assert _joints_mm(on_gpu, recon) > 1.0  # it did fill the segment
    np.testing.assert_array_equal(on_gpu.people[0].body_pose, recon.people[0].body_pose)  # A untouched


@cuda
def test_refine_on_cuda_matches_the_cpu() -> None:
    recon = generated("dance_hold", 4, 3.0)
    opts = dict(method="learned", steps=3)
    on_cpu = refine_sequence(recon, None, RefineOptions(**opts), model=tiny_model("refiner", 0))
    on_gpu = refine_sequence(recon, None, RefineOptions(**opts), model=tiny_model("refiner", 0).cuda())
    assert _joints_mm(on_cpu, on_gpu) < 5.0


@cuda
def test_training_on_cuda_with_worker_processes(tmp_path) -> None:
    data = clips(3)
    config = DenoiserConfig(width=32, layers=1, heads=2, window=32, diffusion_steps=50)
    run = TrainConfig(steps=6, batch_size=8, log_every=3, save_every=6, warmup=2, stat_samples=16, workers=2)
    info = train(config, run, data, tmp_path / "m", log=lambda m: None, device="cuda",
                 text_embeddings=text_table(c.text for c in data))
    assert info["device"].startswith("cuda") and info["steps"] == 6 and np.isfinite(info["final_loss"])

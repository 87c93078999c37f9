"""Training: the loss goes down, checkpoints save and resume exactly, the CLI verb trains."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from engine_support import clips, single_thread, text_table  # noqa: F401 (fixture)
from inference.engine.checkpoint import CheckpointError, load_model, load_training_state
from inference.engine.denoiser import DenoiserConfig, MotionDenoiser
from inference.engine.diffusion import NoiseSchedule
from inference.engine.training import TrainConfig, feature_statistics, train, training_loss
from inference.engine.windows import LIMBS, WindowSampler, occlusion_mask, simulate_occlusion

pytestmark = pytest.mark.usefixtures("single_thread")

TINY = DenoiserConfig(width=32, layers=1, heads=2, window=32, diffusion_steps=50)


@pytest.fixture(scope="module")
def data():
    return clips(3)


def test_loss_decreases_on_a_fixed_batch(data):
    sampler = WindowSampler(data, "infiller", 32, text_table(c.text for c in data), seed=1)
    torch.manual_seed(0)
    model = MotionDenoiser(TINY)
    mean, std, residual_std = feature_statistics(sampler, 64)
    model.feature_mean.copy_(mean)
    model.feature_std.copy_(std)
    model.residual_std.copy_(residual_std)
    batch = sampler.sample(8)
    schedule = NoiseSchedule(TINY.diffusion_steps)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        loss, _ = training_loss(model, batch, schedule, TrainConfig(), torch.Generator().manual_seed(5))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-3:]) < 0.75 * np.mean(losses[:3])


def test_occlusion_masks_hide_someone_for_a_realistic_time():
    rng = np.random.default_rng(0)
    for _ in range(50):
        mask = occlusion_mask(rng, 64, 30.0)
        assert mask.shape == (64, 2) and (~mask).any()
        longest = max(max((len(r) for r in np.split(col, np.flatnonzero(np.diff(col.astype(int))) + 1)
                           if not r[0]), default=0) for col in mask.T)
        assert 2 <= longest <= 66


def test_occlusions_include_both_people_and_single_wrong_limbs():
    rng = np.random.default_rng(1)
    events = [simulate_occlusion(rng, 96, 30.0) for _ in range(200)]
    both = sum(bool((~e.trusted).all(1).any()) for e in events)
    assert 40 <= both <= 120  # about a third hide both people on the same frames
    limbs = [limb for e in events for limb in e.limbs]
    assert len(limbs) > 100 and {joints for *_, joints in limbs} == set(LIMBS)
    assert all(2 <= stop - start <= 21 for _, start, stop, _ in limbs)


def test_a_wrong_limb_is_wrong_only_there_and_flagged_for_the_refiner(data):
    from inference.engine.pair_frame import decode

    batch = WindowSampler(data, "refiner", 32, None, seed=3).sample(32)
    rot_err = (decode(batch.observed)[0] - decode(batch.target)[0]).flatten(-2).norm(dim=-1)  # (B, T, 2, 22)
    bad = rot_err > 0.3  # far beyond the white jitter
    limb_joints = sorted({j for limb in LIMBS for j in limb})
    trusted = batch.trusted > 0
    assert not bad[trusted].any()  # wrong limbs are flagged: trusted entries are only jittered
    limb_only = bad[..., limb_joints].any(-1) & ~bad[..., [j for j in range(22) if j not in limb_joints]].any(-1)
    assert limb_only[~trusted].any()  # some flagged entries are wrong in one limb and nowhere else


def test_sampler_corrupts_observations_but_not_targets(data):
    sampler = WindowSampler(data, "refiner", 32, None, seed=2)
    batch = sampler.sample(4)
    assert batch.target.shape == (4, 32, 2, 135) and batch.trusted.shape == (4, 32, 2)
    diff = (batch.observed - batch.target).abs()
    assert diff.max() > 1e-3  # noisy estimate
    assert batch.text is None


def test_checkpoint_resume_matches_an_uninterrupted_run(tmp_path, data):
    table = text_table(c.text for c in data)
    cfg = TrainConfig(steps=4, batch_size=4, log_every=2, save_every=2, warmup=2, stat_samples=16)
    train(TINY, cfg, data, tmp_path / "straight", log=lambda m: None, text_embeddings=table)
    train(TINY, TrainConfig(**{**cfg.to_json(), "steps": 2}), data, tmp_path / "resumed", log=lambda m: None,
          text_embeddings=table)
    assert load_training_state(tmp_path / "resumed")["step"] == 2
    info = train(TINY, cfg, data, tmp_path / "resumed", resume=True, log=lambda m: None, text_embeddings=table)
    assert info["steps"] == 4
    a = load_file(str(tmp_path / "straight.safetensors"))
    b = load_file(str(tmp_path / "resumed.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        assert torch.allclose(a[k], b[k], atol=1e-6), k
    model, meta = load_model(tmp_path / "resumed")
    assert model.config == TINY and meta["steps"] == 4


def test_malformed_checkpoint_names_the_file(tmp_path, data):
    (tmp_path / "bad.json").write_text(json.dumps({"config": {"width": "wide", "nonsense": 1}}))
    (tmp_path / "bad.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(CheckpointError, match="bad.json"):
        load_model(tmp_path / "bad")
    with pytest.raises(CheckpointError, match="not found"):
        load_model(tmp_path / "missing")


def test_train_verb_writes_a_resumable_checkpoint(tmp_path, capsys):
    from sm_studio.cli import main

    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"model": {"width": 32, "layers": 1, "heads": 2, "window": 32},
                               "train": {"batch_size": 2, "log_every": 1, "save_every": 1, "stat_samples": 8}}))
    out = tmp_path / "ref"
    assert main(["train", "refiner", "--data", "generated:2:7", "--out", str(out), "--config", str(cfg),
                 "--steps", "2"]) == 0
    assert main(["train", "refiner", "--data", "generated:2:7", "--out", str(out), "--config", str(cfg),
                 "--steps", "3", "--resume"]) == 0
    text = capsys.readouterr().out
    assert "step 3/3" in text and "after 3 steps" in text
    assert load_model(out)[0].config.role == "refiner"


def test_worker_processes_make_distinct_batches_and_train(tmp_path, data):
    from inference.engine.training import BatchStream

    stream = BatchStream(data, "infiller", 32, None, 4, seed=5)
    loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=2)
    batches = [b for _, b in zip(range(4), loader)]
    assert all(b.target.shape == (4, 32, 2, 135) for b in batches)
    assert not torch.equal(batches[0].observed, batches[1].observed)  # the two workers are seeded apart
    cfg = TrainConfig(steps=3, batch_size=4, log_every=1, save_every=3, warmup=1, stat_samples=16, workers=2)
    info = train(TINY, cfg, data, tmp_path / "w", log=lambda m: None, text_embeddings=text_table(c.text for c in data))
    assert info["steps"] == 3 and np.isfinite(info["final_loss"])


def test_generating_in_processes_gives_the_same_clips():
    from inference.engine.dataset import generated_clips

    serial, parallel = generated_clips(5, seed=11, seconds=2.0), generated_clips(5, seed=11, seconds=2.0, workers=2)
    assert [c.name for c in serial] == [c.name for c in parallel]
    for a, b in zip(serial, parallel):
        np.testing.assert_allclose(a.rot6d, b.rot6d, atol=1e-6)
        np.testing.assert_allclose(a.pelvis, b.pelvis, atol=1e-6)


def test_a_time_budget_stops_the_run_and_anneals_the_learning_rate(tmp_path, data):
    from inference.engine.training import _lr_factor

    cfg = TrainConfig(steps=100_000, batch_size=2, log_every=1, save_every=1000, warmup=1, stat_samples=8,
                      max_wall_s=1.5)
    assert _lr_factor(50, cfg, wall_s=0.0) > 0.99 and _lr_factor(50, cfg, wall_s=1.5) == pytest.approx(0.1)
    info = train(TINY, cfg, data, tmp_path / "t", log=lambda m: None, text_embeddings=text_table(c.text for c in data))
    assert 0 < info["steps"] < 100_000 and info["wall_time_s"] < 10
    assert load_model(tmp_path / "t")[1]["steps"] == info["steps"]


def test_a_model_stored_in_half_precision_loads_as_float32_and_predicts_alike(tmp_path):
    from engine_support import tiny_model
    from inference.engine.checkpoint import save_model

    model = tiny_model("refiner", 0, seed=4)
    torch.nn.init.normal_(model.output.weight, std=0.05)  # a model that predicts something
    save_model(model, tmp_path / "half", weights_dtype=torch.float16)
    save_model(model, tmp_path / "full")
    assert (tmp_path / "half.safetensors").stat().st_size < 0.6 * (tmp_path / "full.safetensors").stat().st_size
    stored = load_file(str(tmp_path / "half.safetensors"))
    assert stored["output.weight"].dtype == torch.float16 and stored["feature_mean"].dtype == torch.float32
    loaded = load_model(tmp_path / "half")[0]
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    x, observed, trusted = torch.randn(1, 8, 2, 135), torch.randn(1, 8, 2, 135), torch.ones(1, 8, 2)
    with torch.no_grad():
        a, b = model(x, torch.tensor([10]), observed, trusted), loaded(x, torch.tensor([10]), observed, trusted)
    assert torch.allclose(a, b, atol=2e-3) and not torch.allclose(a, torch.zeros_like(a))


def test_a_misspelt_setting_in_a_config_file_is_refused_by_name(tmp_path):
    from inference.engine.training import train_from_spec
    from inference.motion import MotionError

    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"model": {"wdith": 64}, "train": {}}))
    with pytest.raises(MotionError, match=r"cfg.json.*model config: unknown fields \['wdith'\]"):
        train_from_spec("infiller", "generated:2", tmp_path / "m", cfg)
    cfg.write_text(json.dumps({"train": {"batch": 8}}))
    with pytest.raises(MotionError, match=r"training config: unknown fields \['batch'\]"):
        train_from_spec("infiller", "generated:2", tmp_path / "m", cfg)

"""Training loop shared by the infiller and the refiner: resumable, logged, on CUDA when there is one.

The loss is the diffusion ``x_0`` objective on the normalised residual to the base motion plus two terms in
metres that the features alone under-weight: joint positions (forward kinematics on each person's own rest
skeleton) and joint velocities (jitter and seams are velocity errors). For the infiller, trusted entries weigh
``trusted_weight`` (they are given at sampling time anyway); the refiner is scored on every frame.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterator, Optional

import numpy as np
import torch
from torch import Tensor

from ..body.kinematics import forward_kinematics
from .checkpoint import load_model, load_training_state, save_model, save_training_state
from .dataset import MotionClip
from .distributed import Parallel, context
from .denoiser import DenoiserConfig, MotionDenoiser
from .diffusion import NoiseSchedule
from .json_config import JsonConfig
from .pair_frame import decode
from .windows import Batch, WindowSampler

LogFn = Callable[[str], None]


@dataclass
class TrainConfig(JsonConfig):
    LABEL: ClassVar[str] = "training config"
    steps: int = 2000
    batch_size: int = 32
    lr: float = 4e-4
    warmup: int = 100
    log_every: int = 25
    save_every: int = 100
    seed: int = 0
    trusted_weight: float = 0.1
    joint_weight: float = 1.0
    velocity_weight: float = 1.0
    stat_samples: int = 1024  # windows used for the normalisation statistics
    workers: int = 0  # processes making training windows (0: in the training loop; see BatchStream)
    max_wall_s: Optional[float] = None  # stop (and save) after this much training time; the schedule follows it


def batch_joints(features: Tensor, rest_joints: Tensor) -> Tensor:
    """Features ``(B, T, 2, F)`` → joints ``(B, T, 2, 22, 3)`` with per-sample rest skeletons ``(B, 2, 22, 3)``."""
    rotmats, pelvis = decode(features)
    b, t = features.shape[:2]
    rest = rest_joints[:, None].expand(b, t, 2, 22, 3).reshape(-1, 22, 3)
    transl = (pelvis - rest_joints[:, None, :, 0]).reshape(-1, 3)
    joints, _ = forward_kinematics(rotmats.reshape(-1, 22, 3, 3), rest, transl)
    return joints.reshape(b, t, 2, 22, 3)


def training_loss(model: MotionDenoiser, batch: Batch, schedule: NoiseSchedule, config: TrainConfig,
                  generator: Optional[torch.Generator] = None,
                  parallel: Optional[Parallel] = None) -> tuple[Tensor, dict[str, float]]:
    x0 = model.to_residual(batch.target, batch.base)
    observed = model.normalise(batch.base)
    steps = torch.randint(0, schedule.steps, (x0.shape[0],), generator=generator).to(x0.device)
    noise = torch.randn(x0.shape, generator=generator).to(x0.device)
    if model.config.role == "infiller":
        weight = batch.trusted * config.trusted_weight + (1 - batch.trusted)
    else:
        weight = torch.ones_like(batch.trusted)
    norm = weight.sum().clamp_min(1.0)
    if parallel is not None and parallel.distributed:  # DDP: score this rank's rows of the whole batch
        batch = parallel.shard_batch(batch)
        x0, observed, steps, noise, weight = parallel.rows(x0, observed, steps, noise, weight)
        norm = norm / parallel.world_size  # so that DDP's gradient average is the whole batch's gradient
    x_t = schedule.q_sample(x0, steps, noise)
    pred = model(x_t, steps, observed, batch.trusted, batch.text, batch.text_keep)
    feature = (((pred - x0) ** 2).mean(-1) * weight).sum() / norm
    joints_pred = batch_joints(model.from_residual(pred, batch.base), batch.rest_joints)
    joints_true = batch_joints(batch.target, batch.rest_joints)
    joint = ((((joints_pred - joints_true) ** 2).sum(-1).mean(-1) * weight).sum() / norm) / 0.01
    vel_err = (joints_pred[:, 1:] - joints_pred[:, :-1]) - (joints_true[:, 1:] - joints_true[:, :-1])
    velocity = (((vel_err ** 2).sum(-1).mean(-1) * weight[:, 1:]).sum() / norm) / 1e-3
    loss = feature + config.joint_weight * joint + config.velocity_weight * velocity
    return loss, {"loss": loss.item(), "feature": feature.item(), "joint": joint.item(), "velocity": velocity.item()}


def feature_statistics(sampler: WindowSampler, samples: int = 1024) -> tuple[Tensor, Tensor, Tensor]:
    """Mean and standard deviation of the base features, and standard deviation of the residual to the base,
    over random training windows (floored so near-constant dimensions are not blown up)."""
    batch = sampler.sample(samples)
    base = batch.base.reshape(-1, batch.base.shape[-1])
    residual = (batch.target - batch.base).reshape(-1, base.shape[-1])
    return base.mean(0), base.std(0).clamp_min(0.05), residual.std(0).clamp_min(0.01)


class BatchStream(torch.utils.data.IterableDataset):
    """Endless training batches made in ``DataLoader`` worker processes, each with its own sampler.

    On a GPU the network step takes milliseconds and making a batch of windows on the CPU (occlusion masks,
    corruption, pair frames, interpolation) takes far longer, so without workers the GPU waits. Each worker's
    sampler is seeded from the run's seed, the worker's number and the step the run (re)starts from, so a
    resumed run sees new windows; unlike ``workers=0`` the batch sequence then depends on the worker count and is
    not bit-identical across an interruption.
    """

    def __init__(self, clips: list[MotionClip], role: str, window: int,
                 text_embeddings: Optional[dict[str, np.ndarray]], batch_size: int, seed: int) -> None:
        self.args = (clips, role, window, text_embeddings)
        self.batch_size, self.seed = batch_size, seed

    def __iter__(self):
        worker = torch.utils.data.get_worker_info()
        torch.set_num_threads(1)  # one process per core already
        sampler = WindowSampler(*self.args, seed=self.seed + 1_000_003 * (worker.id + 1 if worker else 0))
        while True:
            yield sampler.sample(self.batch_size)


def _batches(sampler: WindowSampler, config: TrainConfig, start_step: int) -> Iterator[Batch]:
    """The training batches: from ``sampler`` in this process, or from ``config.workers`` worker processes."""
    if config.workers <= 0:
        while True:
            yield sampler.sample(config.batch_size)
    stream = BatchStream(sampler.clips, sampler.role, sampler.window, sampler.text_embeddings, config.batch_size,
                         config.seed + 7919 * start_step)
    loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=config.workers, prefetch_factor=4)
    yield from loader


def _to(batch: Batch, device: torch.device) -> Batch:
    moved = {f.name: (getattr(batch, f.name).to(device) if getattr(batch, f.name) is not None else None)
             for f in fields(batch)}
    return Batch(**moved)


def _lr_factor(step: int, config: TrainConfig, wall_s: float = 0.0) -> float:
    """Linear warm-up, then cosine decay to 10 % over the run: over its steps or, with a time budget, over
    whichever of steps and time runs out first (so a run stopped by the clock has still annealed)."""
    if step < config.warmup:
        return (step + 1) / config.warmup
    progress = min(1.0, (step - config.warmup) / max(1, config.steps - config.warmup))
    if config.max_wall_s:
        progress = max(progress, min(1.0, wall_s / config.max_wall_s))
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))


def train(model_config: DenoiserConfig, config: TrainConfig, clips: list[MotionClip], out: "str | Path",
          resume: bool = False, log: LogFn = print, device: Optional[str] = None,
          text_embeddings: Optional[dict[str, np.ndarray]] = None, data_description: str = "") -> dict[str, Any]:
    """Train (or continue training) the model saved at ``out`` (a path stem) up to ``config.steps`` steps.

    Saves weights + training state every ``save_every`` steps and at the end, so an interrupted run continues
    with ``resume=True``. Returns the info dict written beside the weights. Under ``torchrun`` it trains with DDP
    (see ``distributed.py``): same global batch and checkpoints, written by rank 0 only.
    """
    parallel = context(device)
    dev, log = parallel.device, parallel.main_only(log)
    torch.manual_seed(config.seed)
    sampler = WindowSampler(clips, model_config.role, model_config.window,
                            text_embeddings if model_config.text_dim > 0 else None, config.seed)
    state = load_training_state(out) if resume else None
    if state is not None:
        model, info = load_model(out, dev)
        if model.config != model_config:
            log(f"resuming: using the saved architecture {model.config} (the given one differs)")
        model.train()
        step, history, wall = int(state["step"]), list(state["history"]), float(state["wall_s"])
        sampler.rng.bit_generator.state = _numpy_state(state["numpy_rng"])
        sampler.generator.set_state(state["torch_rng"])
        if "torch_global_rng" in state:
            torch.set_rng_state(state["torch_global_rng"])
    else:
        model = MotionDenoiser(model_config)
        mean, std, residual_std = feature_statistics(sampler, config.stat_samples)
        model.feature_mean.copy_(mean)
        model.feature_std.copy_(std)
        model.residual_std.copy_(residual_std)
        model.to(dev).train()
        step, history, wall = 0, [], 0.0
    net = parallel.wrap(model)
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.01)
    if state is not None:
        optimiser.load_state_dict(state["optimiser"])
    schedule = NoiseSchedule(model.config.diffusion_steps)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"training {model.config.role}: {n_params / 1e6:.2f}M parameters on {dev}, {len(sampler.clips)} clips, "
        f"steps {step}→{config.steps}")

    def save() -> dict[str, Any]:
        info = {"role": model.config.role, "steps": step, "wall_time_s": round(wall, 1), "device": str(dev),
                "parameters": n_params, "train_config": config.to_json(), "data": data_description,
                "final_loss": history[-1][1] if history else None, "torch": torch.__version__, **parallel.info()}
        if not parallel.is_main:
            return info
        save_model(model, out, info)
        save_training_state(out, {"step": step, "history": history, "wall_s": wall,
                                  "optimiser": optimiser.state_dict(),
                                  "numpy_rng": _flatten_numpy_state(sampler.rng.bit_generator.state),
                                  "torch_rng": sampler.generator.get_state(),
                                  "torch_global_rng": torch.get_rng_state()})
        return info

    running: list[float] = []
    tick = time.perf_counter()
    batches = _batches(sampler, config, step)
    while step < config.steps:
        elapsed = wall + time.perf_counter() - tick
        if config.max_wall_s:  # every DDP rank must stop at the same step: they agree on the (mean) clock
            elapsed = parallel.mean({"elapsed": elapsed})["elapsed"]
        if config.max_wall_s and elapsed >= config.max_wall_s:
            log(f"stopping at step {step}: the time budget of {config.max_wall_s:.0f} s is used")
            break
        for group in optimiser.param_groups:
            group["lr"] = config.lr * _lr_factor(step, config, elapsed)
        batch = _to(next(batches), dev)
        loss, parts = training_loss(net, batch, schedule, config, sampler.generator, parallel)
        parts = parallel.mean(parts)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        step += 1
        running.append(parts["loss"])
        if step % config.log_every == 0 or step == config.steps:
            now = time.perf_counter()
            wall += now - tick
            tick = now
            mean_loss = float(np.mean(running))
            history.append((step, mean_loss))
            running.clear()
            log(f"step {step}/{config.steps} loss {mean_loss:.4f} (feature {parts['feature']:.3f}, "
                f"joint {parts['joint']:.3f}, velocity {parts['velocity']:.3f}) {wall:.0f}s")
        if step % config.save_every == 0:
            save()
    wall += time.perf_counter() - tick
    if running:  # stopped by the time budget between two log steps
        history.append((step, float(np.mean(running))))
        log(f"step {step}: loss {history[-1][1]:.4f} {wall:.0f}s")
    info = save()
    parallel.close()
    return info


def _flatten_numpy_state(state: dict) -> dict:
    """numpy's PCG64 state as plain ints/strings (``weights_only`` loading accepts those)."""
    return {"bit_generator": state["bit_generator"], "state": int(state["state"]["state"]),
            "inc": int(state["state"]["inc"]), "has_uint32": int(state["has_uint32"]),
            "uinteger": int(state["uinteger"])}


def _numpy_state(flat: dict) -> dict:
    return {"bit_generator": flat["bit_generator"], "state": {"state": flat["state"], "inc": flat["inc"]},
            "has_uint32": flat["has_uint32"], "uinteger": flat["uinteger"]}


def default_model_config(role: str) -> DenoiserConfig:
    """The shipped sizes: small enough to train on a laptop CPU in minutes (see resources/models/MODEL_CARD.md)."""
    if role == "infiller":
        return DenoiserConfig(role="infiller", width=128, layers=4, heads=4, window=64)
    if role == "refiner":
        return DenoiserConfig(role="refiner", width=96, layers=3, heads=4, window=64, text_dim=0, text_encoder="")
    raise ValueError(f"unknown model role {role!r}: expected 'infiller' or 'refiner'")


def train_from_spec(role: str, data: str, out: "str | Path", config_file: Optional["str | Path"] = None,
                    steps: Optional[int] = None, resume: bool = False, log: LogFn = print,
                    device: Optional[str] = None, workers: Optional[int] = None,
                    max_wall_s: Optional[float] = None) -> dict[str, Any]:
    """What ``sm-studio train`` does: load the data spec, embed its texts, train. ``config_file`` is JSON with
    optional ``"model"`` (DenoiserConfig fields) and ``"train"`` (TrainConfig fields) objects."""
    import json

    model_config, train_config = default_model_config(role), TrainConfig()
    if config_file is not None:
        try:
            raw = json.loads(Path(config_file).read_text())
            model_config = DenoiserConfig.from_json({**model_config.to_json(), **raw.get("model", {}), "role": role})
            train_config = TrainConfig.from_json({**train_config.to_json(), **raw.get("train", {})})
        except (OSError, json.JSONDecodeError, ValueError, TypeError) as exc:
            from ..motion import MotionError

            raise MotionError(f"{config_file}: bad training config ({exc})") from None
    if steps is not None:
        train_config.steps = steps
    if workers is not None:
        train_config.workers = workers
    if max_wall_s is not None:
        train_config.max_wall_s = max_wall_s
    log(f"loading data {data!r}")
    from .dataset import load_clips

    clips = load_clips(data, fps=model_config.fps, workers=train_config.workers)
    log(f"{len(clips)} clips")
    embeddings = None
    if model_config.text_dim > 0:
        from ..text_encoder import load_text_encoder

        texts = sorted({c.text for c in clips} | {""})
        encoder = load_text_encoder(model_config.text_encoder)
        embeddings = dict(zip(texts, encoder.encode(texts)))
        log(f"embedded {len(texts)} distinct texts with {encoder.name}")
    return train(model_config, train_config, clips, out, resume=resume, log=log, device=device,
                 text_embeddings=embeddings, data_description=data)

"""Diffusion schedule and DDIM sampling with an ``x_0`` hook (inpainting and geometric guidance act there).

DDIM (Song et al., 2021) with eta = 0 lets a model trained on ``N`` steps sample in a few, which is what makes a
2 s segment take seconds on a laptop CPU. After every network call the predicted clean motion passes through a
caller-supplied ``refine_x0`` function: it puts the trusted frames back (inpainting) and takes a few gradient
steps on the geometric terms (reconstruction guidance on ``x_0``, which needs no gradient through the network
and so costs little). The next noisy sample is then re-derived from the corrected ``x_0``.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

import torch
from torch import Tensor

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]


class Cancelled(Exception):
    """Raised between sampling steps when the caller's ``cancel()`` returned True; nothing was changed."""


class NoiseSchedule:
    """Cosine schedule (Nichol & Dhariwal, 2021) over ``steps`` discrete steps."""

    def __init__(self, steps: int) -> None:
        self.steps = steps
        s = 0.008
        t = torch.arange(steps + 1, dtype=torch.float64) / steps
        f = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2
        betas = (1 - f[1:] / f[:-1]).clamp(max=0.999)
        self.alpha_bar = torch.cumprod(1 - betas, 0).float()  # (steps,)

    def q_sample(self, x0: Tensor, step: Tensor, noise: Tensor) -> Tensor:
        """Noisy sample at ``step`` (``(B,)`` ints) for clean ``x0`` ``(B, ...)``."""
        ab = self.alpha_bar.to(x0.device)[step].reshape((-1,) + (1,) * (x0.dim() - 1))
        return ab.sqrt() * x0 + (1 - ab).sqrt() * noise

    def timesteps(self, num_steps: int, strength: float = 1.0) -> list[int]:
        """Descending steps from ``strength`` of the way up the schedule down to 0 (``num_steps`` of them)."""
        top = max(0, min(self.steps - 1, round(strength * (self.steps - 1))))
        seq = torch.linspace(top, 0, max(1, num_steps)).round().long().tolist()
        return sorted(set(seq), reverse=True)


@contextmanager
def torch_threads(count: Optional[int]) -> Iterator[None]:
    """Run the block with ``count`` torch threads (``None``: leave the setting alone), then restore it.

    The engine's networks are small and its guidance is many tiny autograd ops, so thread hand-offs dominate:
    on a busy 2-core machine one thread infilled a 2 s segment in 0.8 s against 8 s with two
    (``bench/bench_engine.py``). The setting is process-wide, so it also applies to torch work on other threads
    for the duration.
    """
    if count is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def check_cancel(cancel: Optional[CancelFn]) -> None:
    if cancel is not None and cancel():
        raise Cancelled("cancelled by the user")


def ddim_sample(
    predict_x0: Callable[[Tensor, int], Tensor],
    schedule: NoiseSchedule,
    shape: tuple[int, ...],
    num_steps: int,
    *,
    refine_x0: Optional[Callable[[Tensor, int, int], Tensor]] = None,
    start: Optional[Tensor] = None,
    strength: float = 1.0,
    generator: Optional[torch.Generator] = None,
    progress: Optional[ProgressFn] = None,
    cancel: Optional[CancelFn] = None,
    label: str = "sampling",
    device: "str | torch.device" = "cpu",
) -> Tensor:
    """Sample clean (normalised) features of ``shape``.

    ``start`` (clean features) with ``strength`` < 1 starts from that motion noised to a middle step (SDEdit),
    which is how the refiner keeps the input's content and only cleans it. ``refine_x0(x0, i, n)`` is called
    after every prediction (``i`` of ``n``). ``cancel`` is checked before each network call. The sample lives on
    ``device`` (where ``start``, the model and the guidance tensors must be).
    """
    steps = schedule.timesteps(num_steps, strength if start is not None else 1.0)
    # drawn on the CPU from the caller's generator, so a seed gives the same noise on every device
    noise = torch.randn(shape, generator=generator).to(device)
    if start is None:
        x = noise
    else:
        x = schedule.q_sample(start, torch.full((shape[0],), steps[0], dtype=torch.long, device=device), noise)
    x0 = x
    for i, step in enumerate(steps):
        check_cancel(cancel)
        x0 = predict_x0(x, step)
        if refine_x0 is not None:
            x0 = refine_x0(x0, i, len(steps))
        if progress is not None:
            progress((i + 1) / len(steps), f"{label}: step {i + 1}/{len(steps)}")
        if i + 1 == len(steps):
            break
        ab = float(schedule.alpha_bar[step])
        ab_next = float(schedule.alpha_bar[steps[i + 1]])
        eps = (x - math.sqrt(ab) * x0) / max(math.sqrt(1 - ab), 1e-6)
        x = math.sqrt(ab_next) * x0 + math.sqrt(1 - ab_next) * eps
    return x0

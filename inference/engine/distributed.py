"""Multi-GPU / multi-machine training with PyTorch DDP, launched by ``torchrun``; one process is the default.

``torchrun --nproc-per-node=N -m sm_studio train refiner --data … --out …`` starts N copies of the ordinary
``sm-studio train``; each finds its rank in the environment torchrun sets (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``MASTER_ADDR``/``MASTER_PORT``) and :func:`context` joins the process group (NCCL on CUDA,
gloo on CPU). Why torchrun rather than Lightning or Accelerate: the training loop already exists, is small and
owns its checkpoints and resume state; torchrun ships with torch (no new dependency, no second trainer to keep
in step with it), handles rendezvous, multi-node launch and worker restarts, and needs only the few hooks here.

Equivalence with one process, by construction: ``config.batch_size`` stays the *global* batch. Every rank draws
the whole batch and its diffusion noise from identically seeded generators (sampling is cheap next to the
network), keeps its own contiguous rows (:meth:`Parallel.rows`), and divides the loss by the whole batch's
weight over the world size, so DDP's gradient average equals the single-process gradient of the whole batch.
With ``dropout=0`` a 2-process run therefore follows the 1-process run to float round-off (tested); with dropout
the per-rank masks differ, so runs agree in distribution only. Only rank 0 logs and writes checkpoints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any, Callable, Optional

import torch
from torch import Tensor, nn

LogFn = Callable[[str], None]


class _Wrapped(nn.parallel.DistributedDataParallel):
    """DDP that still answers the denoiser's own methods (``to_residual``, ``config``…) that the loss calls."""

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.module, name)


@dataclass
class Parallel:
    """Where this process sits among the training processes (``world_size == 1``: plain single process)."""

    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")
    backend: str = ""

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def main_only(self, log: LogFn) -> LogFn:
        """``log`` on rank 0, silence elsewhere (N copies of every line help no one)."""
        return log if self.is_main else (lambda message: None)

    def wrap(self, model: nn.Module) -> nn.Module:
        """The module the loss should call: DDP-wrapped when distributed (which also copies rank 0's weights and
        buffers to every rank), else ``model`` itself. Ranks above 0 then reseed dropout so masks differ."""
        if not self.distributed:
            return model
        ids = [self.device.index] if self.device.type == "cuda" else None
        wrapped = _Wrapped(model, device_ids=ids)
        torch.manual_seed(torch.initial_seed() + self.rank)
        return wrapped

    def rows(self, *tensors: Optional[Tensor]) -> tuple[Optional[Tensor], ...]:
        """This rank's contiguous share of the leading (batch) dimension of each tensor (None passes)."""
        return tuple(None if t is None else torch.tensor_split(t, self.world_size)[self.rank] for t in tensors)

    def shard_batch(self, batch: Any) -> Any:
        """The same rows of every field of a ``windows.Batch``."""
        names = [f.name for f in fields(batch)]
        return type(batch)(**dict(zip(names, self.rows(*(getattr(batch, n) for n in names)))))

    def mean(self, values: dict[str, float]) -> dict[str, float]:
        """Average logged figures over ranks (each rank's shard loss is scaled so the mean is the batch's)."""
        if not self.distributed:
            return values
        import torch.distributed as dist

        keys = sorted(values)
        t = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return dict(zip(keys, (t / self.world_size).tolist()))

    def info(self) -> dict[str, Any]:
        """What the checkpoint records about the run's parallelism (nothing for a single process)."""
        return {"world_size": self.world_size, "backend": self.backend} if self.distributed else {}

    def close(self) -> None:
        if self.distributed:
            import torch.distributed as dist

            dist.barrier()
            dist.destroy_process_group()


def context(device: Optional[str] = None) -> Parallel:
    """The process's place in a ``torchrun`` launch (joining the process group), or a single process.

    ``device``: ``"cpu"`` or ``"cuda"`` (default: CUDA when available). Distributed CUDA runs put each process
    on GPU ``LOCAL_RANK`` and use NCCL; CPU runs use gloo."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    want_cuda = torch.cuda.is_available() if device is None else device.startswith("cuda")
    if world <= 1:
        return Parallel(device=torch.device(device or ("cuda" if want_cuda else "cpu")))
    import torch.distributed as dist

    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if want_cuda:
        dev = torch.device("cuda", local)
        torch.cuda.set_device(dev)
    else:
        dev = torch.device("cpu")
    backend = "nccl" if want_cuda else "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend)
    return Parallel(rank, world, dev, backend)

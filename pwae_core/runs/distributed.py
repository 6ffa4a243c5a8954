"""Devices and multi-process data-parallel training (PyTorch DDP) for ``runs.train``.

Under ``torchrun --nproc_per_node N`` (which sets RANK, WORLD_SIZE, LOCAL_RANK) every process
draws the same global minibatch of B indices from the shared seed and keeps its own slice
of B / N rows (a distributed sampler over the global batch); DDP averages the gradients, so
for losses that are means over the batch one step equals a single-process step on the
whole global batch. Backends: gloo on CPU, nccl on CUDA. Rank 0 alone shows progress and
writes files (atomically, ``checkpoint.write``).

Losses that couple the samples of a batch (the energy distance of the PWAE's latent terms)
are computed on each process's slice, so for them N processes are a close but not an exact
match of one process with the same global batch.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch import nn

DEVICES = ("cpu", "cuda", "mps")


@dataclass(frozen=True)
class Context:
    """Where this process runs: its rank among ``world`` processes and its device."""
    rank: int = 0
    world: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def main(self) -> bool:
        return self.rank == 0


def device(name: str | None, local_rank: int = 0) -> torch.device:
    """"cpu", "cuda" (this process's GPU under torchrun) or "mps" -> torch.device; a clear
    ``ValueError`` for unknown names and devices this machine does not have."""
    name = name or "cpu"
    if name not in DEVICES:
        raise ValueError(f"unknown device {name!r}; choose from {DEVICES}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: this machine has no CUDA GPU that PyTorch can use "
                         f"(torch {torch.__version__}); use --device cpu")
    if name == "mps" and not torch.backends.mps.is_available():
        raise ValueError("--device mps: Apple's Metal backend is not available here; "
                         "use --device cpu")
    return torch.device("cuda", local_rank % torch.cuda.device_count()) if name == "cuda" \
        else torch.device(name)


def start(device_name: str | None = None) -> Context:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1), else run alone."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Context(device=device(device_name))
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    dev = device(device_name, local)
    if dev.type == "mps":
        raise ValueError("multi-process training needs --device cpu or cuda (no mps backend)")
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    return Context(rank, world, dev)


def stop(ctx: Context) -> None:
    """Leave the process group (after a barrier, so no process exits while others write)."""
    if ctx.world > 1 and torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def shard(batch: torch.Tensor, ctx: Context) -> torch.Tensor:
    """This process's rows of a global batch (B, ...) -> (B / world, ...)."""
    if ctx.world == 1:
        return batch
    if batch.shape[0] % ctx.world:
        raise ValueError(f"batch_size {batch.shape[0]} must be a multiple of the number of "
                         f"processes ({ctx.world})")
    k = batch.shape[0] // ctx.world
    return batch[ctx.rank * k:(ctx.rank + 1) * k]


class _Loss(nn.Module):
    """``model.loss(*tensors, *extra)`` as the forward of a module, so that DDP can wrap it
    (the non-tensor arguments are bound here, not passed through DDP's input scatter)."""

    def __init__(self, model: nn.Module, extra: tuple):
        super().__init__()
        self.model, self.extra = model, extra

    def forward(self, *tensors):
        return self.model.loss(*tensors, *self.extra)


def loss_fn(model: nn.Module, ctx: Context, *extra):
    """``(tensors...) -> model.loss(tensors..., *extra)``: directly when alone, through DDP
    (gradients averaged over the processes in backward) under torchrun."""
    if ctx.world == 1:
        return lambda *tensors: model.loss(*tensors, *extra)
    ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(_Loss(model, extra), device_ids=ids)


def gather(obj, ctx: Context) -> list:
    """Every process's ``obj`` (picklable), in rank order."""
    if ctx.world == 1:
        return [obj]
    out = [None] * ctx.world
    torch.distributed.all_gather_object(out, obj)
    return out

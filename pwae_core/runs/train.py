"""Training the image models: ``fit(config) -> FitResult`` on MNIST, with periodic atomic
checkpoints and exact resume (weights, Adam state, step, RNG states and loss history), on
any device, alone or as N processes under torchrun (``runs.distributed``).

No argparse here: ``__main__.py`` turns flags into a ``TrainConfig``.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch.nn import functional as Fn

from .. import checkpoint, data, domains, models
from . import distributed
from ..config import TrainConfig
from .loop import FitResult, Resume, optimise


def shift_augment(x: torch.Tensor, generator=None, max_shift: int = 2) -> torch.Tensor:
    """Random integer translation by up to ``max_shift`` px per image: (B, 1, H, W) -> same."""
    B, _, H, W = x.shape
    s = max_shift
    xp = Fn.pad(x, (s, s, s, s))                                  # (B, 1, H + 2s, W + 2s)
    off = torch.randint(0, 2 * s + 1, (2, B), generator=generator)
    rows = off[0][:, None] + torch.arange(H)                      # (B, H)
    cols = off[1][:, None] + torch.arange(W)                      # (B, W)
    b = torch.arange(B)[:, None, None]
    return xp[b, 0, rows[:, :, None], cols[:, None, :]][:, None]  # (B, 1, H, W)


def stroke_augment(x: torch.Tensor, share: float, generator=None) -> torch.Tensor:
    """Thicken the strokes (``domains.thicken``, 3x3 grey dilation) of a random ``share`` of
    the images: (B, 1, H, W) -> same. A classifier trained so reads both stroke widths."""
    pick = torch.rand(x.shape[0], generator=generator) < share               # (B,)
    return torch.where(pick[:, None, None, None], domains.thicken(x), x)


def state_path(out: Path) -> Path:
    """Where the resumable training state of a run writing ``out`` lives."""
    out = Path(out)
    return out.with_name(out.stem + ".state.safetensors")


def write_state(path, model, opt, cfg, step, gens, result: FitResult, world: int) -> None:
    """gens: the shared generator's state, then each process's noise generator state."""
    tensors = {f"model.{k}": v.cpu() for k, v in model.state_dict().items()}
    sd = opt.state_dict()
    for i, st in sd["state"].items():
        for k, v in st.items():
            tensors[f"optim.{i}.{k}"] = torch.as_tensor(v).cpu()
    tensors["rng.torch"] = torch.get_rng_state()
    tensors["rng.gen"] = gens[0]
    for r, state in enumerate(gens[1:]):
        tensors[f"rng.noise.{r}"] = state
    meta = {"kind": "train-state", "train_config": cfg.to_dict(), "step": step,
            "param_groups": sd["param_groups"], "history": result.history,
            "seconds": result.seconds, "world": world}
    checkpoint.write(path, tensors, meta)


RESUMABLE_CHANGES = ("steps", "checkpoint_every", "threads")   # may differ on resume


def read_state(path, model, gen, noise, cfg: TrainConfig, ctx) -> Resume:
    tensors, meta = checkpoint.read(path)
    saved, now = type(cfg).from_dict(meta["train_config"]).to_dict(), cfg.to_dict()
    changed = sorted(k for k in now if k not in RESUMABLE_CHANGES and saved.get(k) != now[k])
    if changed:
        raise ValueError(f"{path} was written with other settings ({', '.join(changed)}); "
                         "resume with the same flags, or delete the file to start over")
    if meta.get("world", 1) != ctx.world:
        raise ValueError(f"{path} was written by {meta.get('world', 1)} process(es), this run "
                         f"has {ctx.world}; resume with the same torchrun --nproc_per_node")
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    state: dict = {}
    for k, v in tensors.items():
        if k.startswith("optim."):
            _, i, name = k.split(".", 2)
            state.setdefault(int(i), {})[name] = v
    opt = torch.optim.Adam(model.parameters())
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    torch.set_rng_state(tensors["rng.torch"])
    gen.set_state(tensors["rng.gen"])
    if noise is not gen:
        noise.set_state(tensors[f"rng.noise.{ctx.rank}"])
    return Resume(meta["step"], opt, meta["history"], meta.get("seconds", 0.0))


def checkpointer(sp, model, cfg, gens, ctx, on_step=None):
    """``after(step, opt, result)`` for ``optimise``: every cfg.checkpoint_every steps and at
    cfg.steps, rank 0 writes the training state to ``sp`` (None: never) with every process's
    noise generator; then ``on_step(step)``. gens: (shared generator, noise generator)."""
    gen, noise = gens

    def after(step: int, opt, result: FitResult) -> None:
        if sp is not None and (step % cfg.checkpoint_every == 0 or step == cfg.steps):
            states = distributed.gather(noise.get_state() if noise is not gen else None, ctx)
            if ctx.main:
                saved = [gen.get_state()] + ([] if noise is gen else states)
                write_state(sp, model, opt, cfg, step, saved, result, ctx.world)
        if on_step is not None:
            on_step(step)
    return after


def fit(cfg: TrainConfig, out=None, resume: bool = False, progress: bool = True,
        on_step=None, device: str | None = None) -> FitResult:
    """Train ``models.build(cfg.model)`` on MNIST train for cfg.steps minibatches.

    out : path of the final model file; the training state goes beside it
    (``<stem>.state.safetensors``) every cfg.checkpoint_every steps. With resume=True and
    a state file present, training continues exactly where it stopped. ``on_step(step)``
    runs after each step's checkpoint (tests use it to interrupt a run). ``device``: "cpu"
    (default), "cuda" or "mps". Under torchrun each process trains on its share of every
    global batch of cfg.batch_size (``runs.distributed``); rank 0 writes the files (and its
    model is moved to the CPU to be saved). Returns the FitResult; the model carries the config and history in ``model.info``.
    """
    ctx = distributed.start(device)
    try:
        return _fit(cfg, out, resume, progress and ctx.main, on_step, ctx)
    finally:
        distributed.stop(ctx)


def generators(seed: int, ctx):
    """The shared generator (batch indices, augmentation: the same on every process, on the
    CPU) and the one the model's noise is drawn from: the shared one when a single process
    runs on the CPU (as before multi-process training), else one per process on its device."""
    gen = torch.Generator().manual_seed(seed)
    if ctx.world == 1 and ctx.device.type == "cpu":
        return gen, gen
    return gen, torch.Generator(device=ctx.device).manual_seed(seed * 1000 + ctx.rank + 1)


def _fit(cfg: TrainConfig, out, resume: bool, progress: bool, on_step, ctx) -> FitResult:
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    gen, noise = generators(cfg.seed, ctx)
    images, labels = data.mnist("train", root=cfg.mnist_dir or None)
    model = models.build(cfg.model).to(ctx.device)
    sp = state_path(out) if out else None
    start = (read_state(sp, model, gen, noise, cfg, ctx)
             if resume and sp is not None and sp.exists() else None)
    loss = distributed.loss_fn(model, ctx, cfg, noise)

    def loss_at(step: int) -> dict:
        idx = torch.randint(0, len(images), (cfg.batch_size,), generator=gen)
        xb, lb = shift_augment(images[idx], gen), labels[idx]     # the global batch, (B, 1, H, W)
        if cfg.thicken > 0:
            xb = stroke_augment(xb, cfg.thicken, gen)
        xb, lb = distributed.shard(xb, ctx), distributed.shard(lb, ctx)   # (B / world, ...)
        return loss(xb.to(ctx.device), lb.to(ctx.device))

    after = checkpointer(sp, model, cfg, (gen, noise), ctx, on_step)
    result = optimise(model, loss_at, cfg.steps, cfg.lr, cfg.lr_schedule, resume=start,
                      on_step=after, progress=progress, desc=f"train {cfg.model.kind} {cfg.task}")
    model.info = models.ModelInfo(cfg, {"history": result.history,
                                        "train_seconds": round(result.seconds, 1)})
    if out is not None and ctx.main:
        models.save(model.cpu(), out)
    return result

"""Training: ``fit(config) -> model`` with a progress bar, periodic atomic checkpoints and
exact resume (weights, Adam state, step, RNG states and loss history are all saved).

No argparse here: ``__main__.py`` turns flags into a ``TrainConfig``.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import torch
from torch.nn import functional as Fn
from tqdm.auto import tqdm

from . import checkpoint, data
from .config import TrainConfig
from .model import build


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


def lr_at(cfg: TrainConfig, step: int) -> float:
    """Linear warm-up over 200 steps, then cosine decay to 5% of cfg.lr."""
    warm = min(1.0, (step + 1) / 200)
    cos = 0.5 * (1 + math.cos(math.pi * min(step / max(cfg.steps, 1), 1.0)))
    return cfg.lr * warm * (0.05 + 0.95 * cos)


def apply_noise_range(model, cfg: TrainConfig):
    """Give a denoising model's operator the config's sigma range (training draws from it,
    inference accepts only it); other models pass through."""
    if getattr(getattr(model, "op", None), "name", "") == "denoise":
        model.op.sigma_min, model.op.sigma_max = cfg.sigma_min, cfg.sigma_max
    return model


def train_step(model, opt, cfg, images, labels, gen, step: int) -> dict:
    """One Adam step on a random augmented minibatch; returns the loss terms."""
    idx = torch.randint(0, len(images), (cfg.batch_size,), generator=gen)
    x = shift_augment(images[idx], gen)
    for g in opt.param_groups:
        g["lr"] = lr_at(cfg, step)
    terms = model.loss(x, labels[idx], cfg, gen)
    opt.zero_grad(set_to_none=True)
    terms["total"].backward()
    opt.step()
    return terms


def _train_state(model, opt, cfg, step, gen, history, seconds) -> tuple[dict, dict]:
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    sd = opt.state_dict()
    for i, st in sd["state"].items():
        for k, v in st.items():
            tensors[f"optim.{i}.{k}"] = torch.as_tensor(v)
    tensors["rng.torch"] = torch.get_rng_state()
    tensors["rng.gen"] = gen.get_state()
    meta = {"kind": "train-state", "train_config": cfg.to_dict(), "step": step,
            "param_groups": sd["param_groups"], "history": history, "seconds": seconds}
    return tensors, meta


def _restore(path, model, opt, gen):
    tensors, meta = checkpoint.read(path)
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    state: dict = {}
    for k, v in tensors.items():
        if k.startswith("optim."):
            _, i, name = k.split(".", 2)
            state.setdefault(int(i), {})[name] = v
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    torch.set_rng_state(tensors["rng.torch"])
    gen.set_state(tensors["rng.gen"])
    return meta["step"], meta["history"], meta.get("seconds", 0.0)


def state_path(out: Path) -> Path:
    """Where the resumable training state of a run writing ``out`` lives."""
    return out.with_name(out.stem + ".state.safetensors")


def fit(cfg: TrainConfig, out=None, resume: bool = False, progress: bool = True):
    """Train ``build(cfg.model)`` on MNIST train for cfg.steps minibatches.

    out : path of the final model file; the training state goes beside it
    (``<stem>.state.safetensors``) every cfg.checkpoint_every steps. With resume=True and
    a state file present, training continues exactly where it stopped.
    Returns the trained model in eval mode with ``.metrics`` (loss history, wall time).
    """
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    gen = torch.Generator().manual_seed(cfg.seed)
    images, labels = data.mnist("train", root=cfg.mnist_dir or None)
    model = apply_noise_range(build(cfg.model), cfg)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    step, history, before = 0, [], 0.0
    sp = state_path(Path(out)) if out else None
    if resume and sp is not None and sp.exists():
        step, history, before = _restore(sp, model, opt, gen)
    model.train()
    t0, bar = time.time(), tqdm(total=cfg.steps, initial=step, disable=not progress,
                                desc=f"train {cfg.model.kind} {cfg.task}")
    while step < cfg.steps:
        terms = train_step(model, opt, cfg, images, labels, gen, step)
        step += 1
        if not torch.isfinite(terms["total"]):
            raise FloatingPointError(f"loss became {terms['total'].item()} at step {step}")
        if step % 50 == 0 or step == cfg.steps:
            history.append({"step": step, **{k: round(v.item(), 5) for k, v in terms.items()}})
            bar.set_postfix({k: f"{v.item():.3g}" for k, v in terms.items()})
        if sp is not None and (step % cfg.checkpoint_every == 0 or step == cfg.steps):
            seconds = before + time.time() - t0
            checkpoint.write(sp, *_train_state(model, opt, cfg, step, gen, history, seconds))
        bar.update(1)
    bar.close()
    model.eval()
    model.metrics = {"history": history, "train_seconds": round(before + time.time() - t0, 1)}
    model.train_config = cfg
    if out is not None:
        checkpoint.save(model, out)
    return model

"""The one training loop: Adam steps on a model's loss, a learning-rate schedule chosen by
name, a progress bar, a loss history, and a result object.

    result = optimise(model, loss_at, steps=1000, lr=1e-3, schedule="cosine")
    result.model, result.history, result.seconds

``loss_at(step) -> dict`` returns the loss terms of one step (``"total"`` is minimised); the
caller draws its own minibatches there. Every run of the package (image models, couplings,
vector cVAEs) goes through ``optimise``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
from tqdm.auto import tqdm


def _constant(step: int, total: int) -> float:
    return 1.0


def _cosine(step: int, total: int) -> float:
    """0.5 (1 + cos(pi t / T)): from 1 down to 0."""
    return 0.5 * (1 + math.cos(math.pi * step / total))


def _warmup_cosine(step: int, total: int, warmup: int = 200, floor: float = 0.05) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay to ``floor``."""
    warm = min(1.0, (step + 1) / warmup)
    cos = 0.5 * (1 + math.cos(math.pi * min(step / max(total, 1), 1.0)))
    return warm * (floor + (1 - floor) * cos)


SCHEDULES = {"constant": _constant, "cosine": _cosine, "warmup-cosine": _warmup_cosine}


def schedule(name: str) -> Callable[[int, int], float]:
    """The learning-rate factor f(step, total) of a schedule name; ``ValueError`` if unknown."""
    if name not in SCHEDULES:
        raise ValueError(f"unknown lr_schedule {name!r}; choose one of {sorted(SCHEDULES)}")
    return SCHEDULES[name]


@dataclass
class FitResult:
    """A trained model (eval mode), its loss history ({"step", terms...} rows), wall time and
    the final held-out checks where the run makes them (``fit_coupling``: MG, ED, ED_map, ...)."""
    model: torch.nn.Module
    history: list = field(default_factory=list)
    seconds: float = 0.0
    checks: dict = field(default_factory=dict)


@dataclass
class Resume:
    """Where a run continues: its step, optimiser, history and the seconds already spent."""
    step: int = 0
    optimiser: torch.optim.Optimizer | None = None
    history: list = field(default_factory=list)
    seconds: float = 0.0


def optimise(model, loss_at, steps: int, lr: float, lr_schedule: str = "constant", *,
             resume: Resume | None = None, log_every: int = 50, on_step=None,
             monitor=None, progress: bool = True, desc: str | None = None) -> FitResult:
    """Adam on ``loss_at(step)["total"]`` for ``steps`` steps in all.

    The learning rate at step t is lr * schedule(t, steps). A row of the history is logged
    every ``log_every`` steps and at the last, with the floats of ``monitor(step) -> dict`` (held-out
    checks, shown on the progress bar too); ``on_step(step, optimiser, result)`` runs after every
    step (checkpoints). A non-finite loss stops the run with ``FloatingPointError``.
    """
    factor = schedule(lr_schedule)
    r = resume or Resume()
    opt = r.optimiser or torch.optim.Adam(model.parameters(), lr=lr)
    result = FitResult(model, list(r.history), r.seconds)
    step, t0 = r.step, time.perf_counter()
    bar = tqdm(total=steps, initial=step, disable=not progress, leave=False,
               desc=desc or type(model).__name__)
    model.train()
    while step < steps:
        for group in opt.param_groups:
            group["lr"] = lr * factor(step, steps)
        terms = loss_at(step)
        opt.zero_grad(set_to_none=True)
        terms["total"].backward()
        opt.step()
        step += 1
        total = float(terms["total"].detach())
        if not math.isfinite(total):
            raise FloatingPointError(f"loss became {total} at step {step}; lower lr or the lambdas")
        if step % log_every == 0 or step == steps:
            row = {k: float(v.detach()) for k, v in terms.items()}
            checks = monitor(step) if monitor is not None else {}
            result.history.append({"step": step, **row, **checks})
            bar.set_postfix(loss=f"{total:.4g}", **{k: f"{v:.3g}" for k, v in checks.items()})
        result.seconds = r.seconds + time.perf_counter() - t0
        if on_step is not None:
            on_step(step, opt, result)
        bar.update(1)
    bar.close()
    model.eval()
    return result

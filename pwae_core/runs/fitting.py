"""Training on sample sets: ``fit_coupling`` (unpaired x, y) and ``fit_cvae`` (pairs).

Both run epochs over shuffled minibatches through ``loop.optimise`` with a seeded generator
(same seed, same model) and return the trained model in eval mode; ``fit_coupling_run`` and
``fit_cvae_run`` return the whole ``FitResult`` (model, loss history per epoch, seconds).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import replace

import torch

from .. import checks, costs
from ..config import CouplingConfig, VectorCVAEConfig
from ..models import CouplingPWAE, VectorCVAE
from .loop import FitResult, optimise

# The coupling PWAE paper's own optimisation of loss (4): independent inits, lambdas 10,
# constant lr, batch 256, no teacher, no annealing, no restarts (the latent stays as wide
# as the data).
# Kept to reproduce the paper; the defaults (CouplingConfig) recover OT maps far better.
PAPER = dict(tie_init=False, lambda_joint=10.0, lambda_wae=10.0, lr_schedule="constant",
             batch_size=256, joint_warmup=0.0, joint_anneal=1.0, teacher=0.0, restarts=0)


def _epochs(n_x: int, n_y: int, batch: int, paired: bool, gen):
    """Index batches (ix, iy) forever; each epoch draws fresh permutations (the same for
    both sides when paired) when it starts."""
    steps = max(1, math.ceil(max(n_x, n_y) / batch))
    while True:
        px = torch.randperm(n_x, generator=gen)
        py = px if paired else torch.randperm(n_y, generator=gen)
        for i in range(steps):
            idx = i * batch + torch.arange(batch)
            yield px[idx % n_x], py[idx % n_y]


def _run(model, x, y, cfg, paired: bool, progress: bool, steps: int | None,
         monitor=None) -> FitResult:
    """Epochs of minibatches of ``model.loss(xb, yb, gen, frac)``; ``steps`` caps the total;
    ``monitor(final) -> dict`` runs at 10 evenly spaced epochs and at the last step."""
    gen = torch.Generator().manual_seed(cfg.seed)
    per_epoch = max(1, math.ceil(max(len(x), len(y)) / cfg.batch_size))
    total = cfg.epochs * per_epoch
    total = min(total, steps) if steps else total
    batches = _epochs(len(x), len(y), cfg.batch_size, paired, gen)

    def loss_at(step: int) -> dict:
        ix, iy = next(batches)
        return model.loss(x[ix], y[iy], gen, frac=step / total)

    every = per_epoch * max(1, cfg.epochs // 10)
    check = None if monitor is None else (
        lambda step: monitor(step == total) if step % every == 0 or step == total else {})
    return optimise(model, loss_at, total, cfg.lr, cfg.lr_schedule, log_every=per_epoch,
                    monitor=check, progress=progress)


def fit_coupling_run(x, y, cost="sqeuclidean", *, F=None, progress: bool = True,
                     steps: int | None = None, **options) -> FitResult:
    """``fit_coupling`` returning the whole FitResult (model, history, seconds)."""
    x, y = checks.samples(x, "x"), checks.samples(y, "y")
    if x.device != y.device:
        raise ValueError(f"x and y must be on the same device, got {x.device} and {y.device}")
    fn = costs.get(cost, F)                                    # unknown names, c_F without F
    F = checks.samples(F, "F") if F is not None else None
    if F is not None and tuple(F.shape) != (y.shape[1], x.shape[1]):
        raise ValueError(f"F must have shape (dim_y, dim_x) = ({y.shape[1]}, {x.shape[1]}), "
                         f"got {tuple(F.shape)}")
    name = "callable" if callable(cost) else cost
    cfg = CouplingConfig(dim_x=x.shape[1], dim_y=y.shape[1], cost=name, **options)
    check = fn if callable(cost) else costs.get(cost, None if F is None else F.to(x))
    costs.checked(check, x[:2], y[:2])                        # shape check before training
    x, y, x_out, y_out = held_out_split(x, y, cfg.seed)
    attempts = 1 + (cfg.restarts if len(x_out) and not cfg.stochastic else 0)
    user_cost = fn if callable(cost) else None
    for k in range(attempts):
        try:
            run = _attempt(replace(cfg, seed=cfg.seed + k), F, user_cost,
                           (x, y, x_out, y_out), progress, steps, last=k == attempts - 1)
            break
        except _Flagged:
            continue
    if run.checks:
        run.checks["attempts"] = k + 1
    if attempts > 1:                              # restarts were on, and all were used
        _warn_if_flagged(run.checks, cfg.restart_gap)
    return run


def _warn_if_flagged(held: dict, gap: float) -> None:
    share = held["MG"] / max(held["cost"], 1e-12)
    if share > gap:
        warnings.warn(f"fit_coupling: the held-out Monge gap is {100 * share:.1f}% of the "
                      f"transport cost after {held['attempts']} attempt(s): the learned map is "
                      f"likely not the optimal one (more restarts, epochs or samples may help)",
                      stacklevel=3)


class _Flagged(Exception):
    """A held-out check flagged an attempt that is not the last: start the next one."""


def _attempt(cfg, F, user_cost, data, progress, steps, last: bool) -> FitResult:
    """One seeded fit of a coupling PWAE with held-out checks; raises ``_Flagged`` (unless
    ``last``) as soon as a check's Monge gap / cost exceeds ``cfg.restart_gap``."""
    x, y, x_out, y_out = data
    torch.manual_seed(cfg.seed)
    model = CouplingPWAE(cfg, F, cost=user_cost).to(device=x.device, dtype=x.dtype)
    held = {}

    def monitor(final: bool) -> dict:
        k = len(x_out) if final else min(len(x_out), CHECK_BATCH)
        held.update(model.scores(x_out[:k], y_out[:k], torch.Generator().manual_seed(cfg.seed)))
        if not last and held["MG"] > cfg.restart_gap * max(held["cost"], 1e-12):
            raise _Flagged
        return {"MG": held["MG"], "ED_map": held["ED_map"]}

    run = _run(model, x, y, cfg, paired=False, progress=progress, steps=steps,
               monitor=monitor if len(x_out) else None)
    run.checks = dict(held, held_out=len(x_out)) if held else {}
    return run


HELD_OUT, CHECK_BATCH = 1024, 512


def held_out_split(x, y, seed: int):
    """Keep min(1024, n / 10) samples of each side (seeded draw) out of training for the
    held-out checks; none when a side has fewer than 200. -> x, y, x_out, y_out."""
    k = min(HELD_OUT, len(x) // 10, len(y) // 10) if min(len(x), len(y)) >= 200 else 0
    gen = torch.Generator().manual_seed(seed + 2)
    px, py = torch.randperm(len(x), generator=gen), torch.randperm(len(y), generator=gen)
    px, py = px.to(x.device), py.to(y.device)
    return x[px[k:]], y[py[k:]], x[px[:k]], y[py[:k]]


def fit_coupling(x, y, cost="sqeuclidean", *, F=None, progress: bool = True,
                 steps: int | None = None, **options) -> CouplingPWAE:
    """Learn a coupling PWAE between unpaired samples x (N, d_x) and y (M, d_y).

    cost: a name or callable of ``costs``: "sqeuclidean" (needs d_x == d_y), "c_F" with
    ``F`` (d_y, d_x), or ``(x (B, d_x), y (B, d_y)) -> (B,)``. ``options`` are
    ``CouplingConfig`` fields (d_latent, prior, stochastic, sphere, lambda_joint, lambda_wae,
    epochs, batch_size, lr, lr_schedule, teacher, joint_anneal, seed, ...).

    The model is loss (4) of the coupling PWAE paper; the defaults optimise it so that the
    map D_y(E_x(x)) lands near the OT map on problems nobody tuned for (README, "OT maps you
    can trust"): MLPs 256-128, a latent as wide as the data, a tied start, batches of 512,
    Adam 1e-3 with cosine decay, a minibatch exact-OT teacher (weight 100, fading to 0 by
    80% of training) and lambda_joint continued from 10 to 1000. ``PAPER`` holds the paper's
    own optimisation. With stochastic encoders (conditional samples) the teacher narrows the
    conditionals; Table 2 trains them with ``experiments.POSTERIOR_OPTIMISER`` (teacher=0).

    Held-out checks: min(1024, N / 10) samples per side are kept out of training (N >= 200);
    the Monge gap and energy distances on them are on the progress bar at 10 points of
    training and in ``model.info.metrics["held_out"]``. A deterministic fit whose held-out
    Monge gap exceeds ``restart_gap`` (2%) of its transport cost at any check is stopped and
    started afresh with the next seed, up to ``restarts`` (3) times: on random 2-D Gaussian
    pairs about 3 in 10 first attempts end in a wrong coupling, and the check flags every one
    (README). The last attempt always runs to the end; a warning says when it is flagged too
    (with ``restarts=0`` the check is only reported).
    ``held_out["attempts"]`` counts them; the returned model's ``config.seed`` is its own.
    Returns the trained model (eval mode) on the inputs' device, its history and wall time
    in ``model.info.metrics``.
    """
    run = fit_coupling_run(x, y, cost, F=F, progress=progress, steps=steps, **options)
    return _with_metrics(run)


def fit_cvae_run(x, y, *, progress: bool = True, steps: int | None = None, **options) -> FitResult:
    """``fit_cvae`` returning the whole FitResult (model, history, seconds)."""
    x, y = checks.samples(x, "x"), checks.samples(y, "y")
    if len(x) != len(y):
        raise ValueError(f"fit_cvae needs pairs: x and y must have the same N, got {len(x)}, {len(y)}")
    cfg = VectorCVAEConfig(dim_x=x.shape[1], dim_y=y.shape[1], **options)
    torch.manual_seed(cfg.seed)
    model = VectorCVAE(cfg).to(device=x.device, dtype=x.dtype)
    return _run(model, x, y, cfg, paired=True, progress=progress, steps=steps)


def fit_cvae(x, y, *, progress: bool = True, steps: int | None = None, **options) -> VectorCVAE:
    """Train the vector cVAE baseline on *paired* samples x (N, d_x), y (N, d_y)."""
    return _with_metrics(fit_cvae_run(x, y, progress=progress, steps=steps, **options))


def _with_metrics(run: FitResult):
    run.model.info.metrics = {"history": run.history, "train_seconds": round(run.seconds, 2)}
    if run.checks:
        run.model.info.metrics["held_out"] = run.checks
    return run.model

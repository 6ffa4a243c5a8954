"""Unpaired image translation with the coupling PWAE (deterministic conv encoders, squared
cost: D_y(E_x(x)) approximates the Monge map from one image domain to the other).

    python -m pwae_core train translate-digits            # digits -> thick digits (offline)
    python -m pwae_core train translate-faces             # synthetic faces, not smiling -> smiling
    python -m pwae_core train translate-faces --data-dir ~/celeba --attribute Male
    python -m pwae_core train translate-digits --resume   # continue after an interruption

``train`` follows the other tasks' conventions (``runs.train``): seeded minibatches drawn
with replacement, a progress bar, the training state written atomically every
``checkpoint_every`` steps beside the model file and exact resume, any device, N processes
under torchrun. At the end rank 0 scores the model on the test split (``scores`` for digits,
``faces_eval.scores`` for faces) and saves it with those metrics and what it was trained on.
``scores`` compares the learned digit maps, both ways, with the true partners of the test
digits, beside the identity map and the exact OT assignment between the two test sets.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .. import domains, metrics, models, ood
from ..checkpoint import SHIPPED
from ..config import CouplingConfig, TranslationConfig
from . import distributed
from .loop import FitResult, optimise
from .train import checkpointer, generators, read_state, state_path

# Presets: CouplingConfig fields and steps per task (the shipped models' settings).
DIGITS = dict(net="conv28", d_latent=16, width=32, batch_size=128, restarts=0, lambda_map=1.0,
              joint_anneal=1000.0)
# Faces: no minibatch-OT teacher (its pseudo-pairs between 32 faces are other identities:
# after 250 steps with it 5% of translations kept their identity, 9% after 400 without).
FACES = dict(net="conv64", d_latent=64, width=16, batch_size=32, restarts=0, teacher=0.0)
TASKS = {"translate-digits": (DIGITS, 1500), "translate-faces": (FACES, 1800)}
STROKES_CLASSIFIER = SHIPPED / "mnist-classifier-strokes.safetensors"


def task_config(task: str, **options) -> TranslationConfig:
    """The preset TranslationConfig of a task; ``options`` override its fields or, when
    they are CouplingConfig fields, the coupling's. ``ValueError`` on unknown names."""
    if task not in TASKS:
        raise ValueError(f"unknown translation task {task!r}; choose one of {sorted(TASKS)}")
    preset, steps = TASKS[task]
    own = {f.name for f in dataclasses.fields(TranslationConfig)} - {"coupling"}
    nets = {f.name for f in dataclasses.fields(CouplingConfig)}
    unknown = set(options) - own - nets
    if unknown:
        raise ValueError(f"unknown translation settings {sorted(unknown)}")
    pair_dim = 784 if task == "translate-digits" else 3 * 64 * 64
    coupling = CouplingConfig(dim_x=pair_dim, dim_y=pair_dim, **{
        **preset, **{k: v for k, v in options.items() if k in nets and k not in own}})
    return TranslationConfig(**{"task": task, "steps": steps, "coupling": coupling,
                                **{k: v for k, v in options.items() if k in own}})


def default_path(task: str) -> Path:
    """checkpoints/<task>.safetensors."""
    return SHIPPED / f"{task}.safetensors"


def load_pair(cfg: TranslationConfig, progress: bool = True):
    """The task's two unpaired domains: ``domains.thick_digits`` or ``domains.face_pair``
    (``progress``: the face reader's bars)."""
    if cfg.task == "translate-digits":
        return domains.thick_digits(root=cfg.data_dir or None)
    return domains.face_pair(cfg.data_dir or None, cfg.attribute, progress=progress)


class _Scheduled(nn.Module):
    """``model.loss(x, y, generator, frac)`` with the training progress ``frac`` set before
    each step, as a module DDP can wrap (``distributed.loss_fn``)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model, self.frac = model, 0.0

    def loss(self, x, y, generator=None) -> dict:
        return self.model.loss(x, y, generator, self.frac)


def train(cfg: TranslationConfig, out=None, resume: bool = False, progress: bool = True,
          on_step=None, device: str | None = None, pair=None) -> FitResult:
    """Train the coupling PWAE of ``cfg`` on its unpaired domains (``pair``: default
    ``load_pair(cfg)``) for cfg.steps minibatches of cfg.coupling.batch_size per side.

    out: the model file (the state goes beside it, ``runs.train.state_path``); resume:
    continue from that state. Returns the FitResult; the model carries cfg, history, test
    scores and ``info.extra["trained_on"]``."""
    ctx = distributed.start(device)
    try:
        return _train(cfg, out, resume, progress and ctx.main, on_step, ctx, pair)
    finally:
        distributed.stop(ctx)


def _train(cfg, out, resume, progress, on_step, ctx, pair) -> FitResult:
    c = cfg.coupling
    torch.manual_seed(c.seed)
    torch.set_num_threads(cfg.threads)
    pair = pair if pair is not None else load_pair(cfg, progress)
    gen, noise = generators(c.seed, ctx)
    model = models.build(c).to(ctx.device)
    sp = state_path(out) if out else None
    start = (read_state(sp, model, gen, noise, cfg, ctx)
             if resume and sp is not None and sp.exists() else None)
    scheduled = _Scheduled(model)
    loss = distributed.loss_fn(scheduled, ctx, noise)

    def loss_at(step: int) -> dict:
        ix = torch.randint(0, len(pair.x), (c.batch_size,), generator=gen)
        iy = torch.randint(0, len(pair.y), (c.batch_size,), generator=gen)
        xb, yb = domains.take(pair.x, ix), domains.take(pair.y, iy)      # (B, D) global batches
        scheduled.frac = step / cfg.steps
        xb, yb = distributed.shard(xb, ctx), distributed.shard(yb, ctx)
        return loss(xb.to(ctx.device), yb.to(ctx.device))

    after = checkpointer(sp, model, cfg, (gen, noise), ctx, on_step)
    result = optimise(model, loss_at, cfg.steps, c.lr, c.lr_schedule, resume=start,
                      on_step=after, progress=progress, desc=cfg.task)
    if ctx.main:
        _finish(model.cpu().eval(), cfg, pair, result, out)
    return result


def _finish(model, cfg, pair, result: FitResult, out) -> None:
    """Score on the test split, attach config, history and scores, save to ``out``."""
    model.info = models.ModelInfo(cfg, {"history": result.history,
                                        "train_seconds": round(result.seconds, 1)},
                                  {"trained_on": pair.name, "task": cfg.task})
    model.info.metrics["test"] = test_scores(model, pair, cfg.task)
    model.info.metrics["ood"] = ood.calibration(model, pair.x_test, pair.y_test)
    result.checks = model.info.metrics["test"]
    if out is not None:
        models.save(model, out)


def test_scores(model, pair, task: str) -> dict:
    """Digits: ``scores`` with the strokes classifier (when shipped); faces:
    ``faces_eval.scores``."""
    if task == "translate-digits":
        clf = models.load(STROKES_CLASSIFIER) if STROKES_CLASSIFIER.exists() else None
        return scores(model, pair, clf)
    from . import faces_eval       # deferred: digits never need the face modules
    return faces_eval.scores(model, pair)


def _images(a: torch.Tensor) -> torch.Tensor:
    return a.view(-1, 1, 28, 28)                                    # (K, 784) -> (K, 1, 28, 28)


def _direction(moved, truth, source, labels, classifier) -> dict:
    """PSNR / MSE of moved (K, 784) against the true partners, its cost, kept classes."""
    out = {"psnr": float(metrics.psnr(_images(moved), _images(truth)).mean()),
           "mse": float(((moved - truth) ** 2).mean()),
           "cost": float(((moved - source) ** 2).sum(1).mean())}
    if classifier is not None:
        out["classes_kept"] = float((classifier.predict(_images(moved)) == labels).float().mean())
    return out


@torch.no_grad()
def scores(model, pair: domains.DomainPair, classifier=None) -> dict:
    """{"xy", "yx"} x {"model", "identity", "exact_ot"} -> psnr, mse, cost (sum over pixels of
    the squared move, per image) and, with a digit ``classifier``, the share of test digits
    whose class it still reads after the move; plus "exact_cost", the per-image exact OT
    cost between the two test sets."""
    x, y, lab = pair.x_test, pair.y_test, pair.labels_test
    j = metrics.exact_ot_pairs(x, y)                                # x_i <-> y_j(i)
    inv = torch.empty_like(j)
    inv[j] = torch.arange(len(j))                                   # y_k <-> x_inv(k)
    out = {"exact_cost": float(((x - y[j]) ** 2).sum(1).mean())}
    for name, src, dst, moved, ot_moved in (
            ("xy", x, y, model.transport_xy(x), y[j]),
            ("yx", y, x, model.transport_yx(y), x[inv])):
        out[name] = {"model": _direction(moved, dst, src, lab, classifier),
                     "identity": _direction(src, dst, src, lab, classifier),
                     "exact_ot": _direction(ot_moved, dst, src, lab, classifier)}
    return out


# -- the report: one command regenerates the table (python -m pwae_core evaluate <file>) --

_COLUMNS = ("psnr", "mse", "cost", "classes_kept", "flip_rate", "identity_error", "identity_match")


def markdown_table(test: dict) -> str:
    """The test scores of ``test_scores`` as a markdown table, one row per direction x map."""
    cols = [c for c in _COLUMNS if any(c in test[w]["model"] for w in ("xy", "yx"))]
    lines = ["| direction | map | " + " | ".join(cols) + " |", "|---|---|" + "---|" * len(cols)]
    for way in ("xy", "yx"):
        for kind, row in test[way].items():
            cells = [f"{row[c]:.3f}" if c in row else "-" for c in cols]
            lines.append(f"| {way} | {kind} | " + " | ".join(cells) + " |")
    lines.append(f"\nexact OT cost per image between the test sets: {test['exact_cost']:.3f}")
    return "\n".join(lines)


def _strip(rows: list[torch.Tensor], shape) -> np.ndarray:
    """Rows of K flattened images -> one uint8 picture, a row of images per tensor."""
    pics = [r.reshape(-1, *shape) for r in rows]                       # (K, C, H, W)
    grid = torch.cat([torch.cat(list(p), dim=2) for p in pics], dim=1)   # (C, rows H, K W)
    return (grid.clamp(0, 1).permute(1, 2, 0).squeeze(2).numpy() * 255).astype(np.uint8)


def _one_per_class(labels, k: int) -> torch.Tensor:
    """k test indices: the first image of each class in class order (digits), else 0..k-1."""
    if labels is None or len(labels) == 0:
        return torch.arange(k)
    firsts = [int((labels == c).nonzero()[0]) for c in labels.unique()[:k]]
    return torch.tensor(firsts + [i for i in range(len(labels)) if i not in firsts][:k - len(firsts)])


@torch.no_grad()
def figure(model, pair, k: int = 10) -> np.ndarray:
    """Six rows of k test images (one per class where there are classes): x, D_y(E_x(x)),
    the true partner, then y, D_x(E_y(y)), its partner."""
    shape = (1, 28, 28) if pair.x_test.shape[1] == 784 else (3, 64, 64)
    k = min(k, len(pair.x_test), len(pair.y_test))               # small test splits
    pick = _one_per_class(getattr(pair, "labels_test", None), k)
    x, y = pair.x_test[pick], pair.y_test[pick]
    return _strip([x, model.transport_xy(x), y, y, model.transport_yx(y), x], shape)


def report(ckpt, out="results", data_dir: str | None = None) -> dict:
    """Score a saved translation model on its task's test split (or ``data_dir``'s) and
    write <out>/<stem>.json, .md and .png (``figure``); returns the scores and paths."""
    from PIL import Image           # deferred: only reports draw pictures
    model = models.load(ckpt)
    cfg = model.info.train_config
    if not isinstance(cfg, TranslationConfig):
        raise ValueError(f"{ckpt} is not a translation model (train translate-digits / -faces)")
    cfg = dataclasses.replace(cfg, data_dir=data_dir) if data_dir is not None else cfg
    pair = load_pair(cfg)
    test = test_scores(model, pair, cfg.task)
    out, stem = Path(out), Path(ckpt).stem
    out.mkdir(parents=True, exist_ok=True)
    paths = {k: out / f"{stem}.{k}" for k in ("json", "md", "png")}
    paths["json"].write_text(json.dumps({"checkpoint": str(ckpt), "data": pair.name,
                                         "test": test}, indent=1))
    paths["md"].write_text(f"# {stem}\n\n{pair.name}\n\n{markdown_table(test)}\n")
    Image.fromarray(figure(model, pair)).save(paths["png"])
    return {"test": test, "paths": {k: str(v) for k, v in paths.items()}}

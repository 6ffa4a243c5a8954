"""``python -m pwae_core evaluate``: a model against its baselines -> JSON, markdown, PNGs."""
from __future__ import annotations

import time
from pathlib import Path

import torch

from .. import data, models
from . import evaluate, latent_split, presets

DRAW_SEED = 1000    # draw k of the test noise / masks uses seeds 1000 k + ... (strokes: + 1 per image)


def _load_optional(path):
    return models.load(path) if path and Path(path).exists() else None


def default_baselines(task: str) -> list[Path]:
    """The shipped cVAE and MSE network of a task, where present."""
    paths = [presets.default_path(task, k) for k in ("cvae", "mse")]
    return [p for p in paths if p.exists()]


def evaluate_checkpoint(ckpt, baselines=None, classifier=None, n_samples=64, n_inputs=1000,
                        mnist_dir=None, out="results", raw=False, draw=0) -> dict:
    """Evaluate ``ckpt`` and baselines on the first ``n_inputs`` test images of every
    acceptance setting of its task; writes <out>/<stem>.{json,md} and one figure per
    setting; returns the report dict. raw=True switches hard data consistency off for every
    model (files get a '-raw' suffix). ``draw`` picks an independent draw of the test noise,
    masks and samples (seeds 1000 * draw + ...; files get a '-draw<k>' suffix for k > 0).
    For an image PWAE the report also holds ``latent_split``: runs.latent_split statistics
    per setting (how z1 and y's code share x)."""
    if int(draw) < 0:
        raise ValueError(f"draw must be >= 0, got {draw}")
    torch.manual_seed(0)
    model = models.load(ckpt)
    task = model.config.task
    compared = {model.config.kind: model}
    for p in (default_baselines(task) if baselines is None else baselines):
        m = models.load(p)
        name = m.config.kind
        while name in compared:                 # a second model of a kind: its file's name
            name = Path(p).stem if name == m.config.kind else name + "'"
        compared[name] = m
    for m in compared.values():
        m.config.project = m.config.project and not raw
    clf = _load_optional(classifier)
    x, labels = data.mnist("test", root=mnist_dir)
    x, labels = x[:n_inputs], labels[:n_inputs]
    t0 = time.time()
    results = evaluate.compare(compared, x, labels, task, n_samples, clf, seed=DRAW_SEED * draw)
    stem = Path(ckpt).stem + ("-raw" if raw else "") + (f"-draw{draw}" if draw else "")
    paths = evaluate.write_report(results, out, stem)
    example = x[3:4] if len(x) > 3 else x[:1]          # test digit 3 (fewer inputs: the first)
    for s in evaluate.settings_for(task):
        name = evaluate.setting_name(s).replace("=", "-")
        png = Path(out) / f"{stem}-{name}.png"
        evaluate.figure(model, example, s, seed=3).save(png)
        paths[name] = png
    rep = {"checkpoint": str(ckpt), "task": task, "n_inputs": len(x), "n_samples": n_samples,
           "draw": draw, "classifier": clf is not None, "seconds": round(time.time() - t0, 1),
           "results": results, "files": {k: str(v) for k, v in paths.items()}}
    if hasattr(model, "encode_x") and len(x) >= 50:
        rep["latent_split"] = {evaluate.setting_name(s): latent_split.split_stats(
            model, x, s, DRAW_SEED * draw + 7 * k).to_dict() for k, s in enumerate(evaluate.settings_for(task))}
    return rep

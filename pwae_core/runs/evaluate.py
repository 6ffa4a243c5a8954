"""Evaluation of conditional image models on the MNIST test split.

For each setting (noise level or mask) every model sees the *same* observations (fixed
seed per setting) and draws ``n_samples`` posterior samples per input. Reported per model:
energy score (metrics.energy_score; lower is better), PSNR of the posterior mean (from the
mean squared error over the test images, so one exact image cannot make it infinite),
coverage of mean +/- 1.96 std, and for inpainting the RMSE of samples on the observed
pixels and the fraction of inputs whose samples the classifier puts in 2+ classes.
``coverage_fg`` is the coverage on foreground pixels (x > 0) only: on MNIST most pixels are
background that a good model reproduces exactly (std 0, covered), which pushes the
all-pixel coverage towards 1 whatever the calibration on the strokes.
"""
from __future__ import annotations

import numpy as np
import torch

from .. import masks, metrics, viz
from . import results

DENOISE_SETTINGS = [{"sigma": s} for s in (0.25, 0.5, 1.0)]
INPAINT_SETTINGS = [{"mask": m} for m in ("left", "right", "box", "strokes")]


def settings_for(task: str) -> list[dict]:
    """The acceptance settings of a task: sigma levels or named masks."""
    if task == "mnist-denoise":
        return DENOISE_SETTINGS
    if task == "mnist-inpaint":
        return INPAINT_SETTINGS
    raise ValueError(f"no evaluation settings for task {task!r}")


def setting_name(s: dict) -> str:
    return f"sigma={s['sigma']}" if "sigma" in s else f"mask={s['mask']}"


def observations(model, x: torch.Tensor, setting: dict, seed: int = 0) -> dict:
    """The observation of every test image for a setting -> kwargs for ``posterior``."""
    g = torch.Generator().manual_seed(seed)
    if "sigma" in setting:
        return {"y": model.observe(x, g, sigma=setting["sigma"]), "sigma": setting["sigma"]}
    if setting["mask"] == "strokes":  # a different seeded stroke mask per image
        m = np.stack([masks.named_mask("strokes", seed=seed + i) for i in range(len(x))])
        m = torch.from_numpy(m)[:, None]
    else:
        m = torch.from_numpy(masks.named_mask(setting["mask"]))
    return {"y": model.observe(x, g, mask=m), "sigma": None}


def _batch_metrics(post, x, labels, obs, classifier) -> dict:
    s, mean, std = post.samples, post.mean, post.std
    out = {"energy_score": metrics.energy_score(s, x), "mse": ((mean - x) ** 2).flatten(1).mean(1),
           "coverage": metrics.coverage(mean, std, x),
           "coverage_fg": metrics.coverage(mean, std, x, where=x > 0)}
    if obs["sigma"] is None:  # inpainting: data fidelity on the observed pixels
        m = obs["y"][:, 1:2]
        se = (m[:, None] * (s - x[:, None]) ** 2).flatten(1).sum(1)
        out["obs_rmse"] = (se / (s.shape[1] * m.flatten(1).sum(1)).clamp_min(1)).sqrt()
    if classifier is not None:
        B, n = s.shape[:2]
        cls = classifier.predict(s.reshape(B * n, *s.shape[2:])).view(B, n)
        out["multi_class"] = torch.tensor([float(len(c.unique()) >= 2) for c in cls])
        out["mean_class_acc"] = (classifier.predict(mean) == labels).float()
    return out


@torch.no_grad()
def evaluate(model, x, labels, setting, n_samples=64, classifier=None, seed=0, batch=100) -> dict:
    """Mean metrics of ``model`` over test images x (N, 1, H, W) for one setting."""
    obs = observations(model, x, setting, seed)
    g = torch.Generator().manual_seed(seed + 1)
    acc: dict = {}
    for i in range(0, len(x), batch):
        sl = slice(i, i + batch)
        ob = {"y": obs["y"][sl], "sigma": obs["sigma"]}
        post = model.posterior(ob["y"], n_samples, g, sigma=ob["sigma"])
        for k, v in _batch_metrics(post, x[sl], labels[sl], ob, classifier).items():
            acc.setdefault(k, []).append(v)
    res = {k: round(torch.cat(v).mean().item(), 4) for k, v in acc.items()}
    res["psnr"] = round(10 * torch.log10(1 / torch.cat(acc.pop("mse")).mean()).item(), 3)
    del res["mse"]
    return res


def compare(models: dict, x, labels, task, n_samples=64, classifier=None, seed=0) -> dict:
    """{setting: {model name: metrics}} over the task's acceptance settings."""
    return {setting_name(s): {name: evaluate(m, x, labels, s, n_samples, classifier, seed + 7 * k)
                              for name, m in models.items()}
            for k, s in enumerate(settings_for(task))}


COLUMNS = [("energy_score", "ES ↓"), ("psnr", "PSNR(mean) ↑"), ("coverage", "coverage (95%)"),
           ("coverage_fg", "coverage, x>0"),
           ("obs_rmse", "obs. RMSE ↓"), ("multi_class", "2+ classes"),
           ("mean_class_acc", "class acc.(mean)")]


def markdown(table: dict) -> str:
    """A markdown table of ``compare`` results, one row per (setting, model)."""
    cols = [c for c in COLUMNS if any(c[0] in m for s in table.values() for m in s.values())]
    lines = ["| setting | model | " + " | ".join(h for _, h in cols) + " |",
             "|---|---|" + "---|" * len(cols)]
    for sname, per_model in table.items():
        for mname, r in per_model.items():
            vals = [f"{r[k]:.3f}" if k in r else "" for k, _ in cols]
            lines.append(f"| {sname} | {mname} | " + " | ".join(vals) + " |")
    return "\n".join(lines)


def figure(model, x, setting, n_show=8, seed=0, scale=3):
    """One example: observation / most likely / mean / std map / samples / eps*v strip."""
    obs = observations(model, x[:1], setting, seed)
    g = torch.Generator().manual_seed(seed)
    post = model.posterior(obs["y"], 64, g, sigma=obs["sigma"])
    std = post.std[0]
    vmax = max(float(std.max()), 1e-3)
    y_img = obs["y"][0, :1].clamp(0, 1)
    rows = [("truth | y", viz.row([viz.gray(x[0], scale), viz.gray(y_img, scale)])),
            ("MAP | mean | std", viz.row([viz.gray(post.map[0], scale),
                                          viz.gray(post.mean[0], scale),
                                          viz.heatmap(std, vmax, scale),
                                          viz.colorbar(vmax, 28 * scale)])),
            ("samples", viz.grid(post.samples[0, :n_show], cols=n_show, scale=scale))]
    if hasattr(model, "along"):
        v = torch.randn(model.d1, generator=g)
        strip = model.direction_x_given_y(obs["y"], torch.linspace(-3, 3, 7), v, sigma=obs["sigma"])
        rows.append(("eps*v, eps=-3..3", viz.grid(strip[0], cols=7, scale=scale)))
    return viz.labelled_rows(rows)


def write_report(report: dict, out_dir, stem: str) -> dict:
    """Write <stem>.json and <stem>.md into out_dir; returns the paths."""
    return results.write(report, markdown(report), out_dir, stem)

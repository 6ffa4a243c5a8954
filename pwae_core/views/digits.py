"""The digits explorer behind the app: one call per user action, pictures out.

    models = load_digit_models()                          # shipped checkpoints, clear errors
    panel = digits_panel(models, digit, "denoise", sigma=0.5, n=64, seed=0)
    panel["map"], panel["mean"], panel["std"], panel["samples"], panel["classes"]
    dirs = top_directions(models["denoise"], panel["state"])      # (k, d1) unit vectors
    eps_frame(models["denoise"], panel["state"], dirs[0], 1.5)   # one picture of D_x(eps v, z2)

The observation is encoded once per user action: ``panel["state"]["cond"]`` holds its code,
and directions, frames and strips decode from it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .. import checks, masks, models as _models, viz
from ..checkpoint import SHIPPED
from ..config import ModelConfig

SCALE = 8                      # 28 px -> 224 px
MAX_N = 256
PRESETS = {"left half": "left", "right half": "right", "centre box": "box"}


def load_digit_models(folder=SHIPPED) -> dict:
    """{"denoise", "inpaint", "classifier"} from the shipped checkpoints; a missing file is
    a FileNotFoundError naming it and the command that recreates it."""
    names = {"denoise": "mnist-denoise", "inpaint": "mnist-inpaint", "classifier": "mnist-classifier"}
    out = {}
    for key, stem in names.items():
        path = Path(folder) / f"{stem}.safetensors"
        if not path.exists():
            kind = " --kind classifier" if key == "classifier" else ""
            raise FileNotFoundError(f"{path} is missing; recreate it with: "
                                    f"python -m pwae_core train {stem}{kind}")
        out[key] = _models.load(path)
    return out


def sigma_range(models: dict) -> tuple[float, float]:
    """The noise levels the shipped denoiser accepts (the config's defaults without one)."""
    if "denoise" in models:
        return models["denoise"].op.sigma_min, models["denoise"].op.sigma_max
    cfg = ModelConfig()
    return cfg.sigma_min, cfg.sigma_max


def preset_mask(name: str) -> np.ndarray:
    """Observed-pixel mask (28, 28) of a preset ("left half" hides the left half, ...)."""
    if name not in PRESETS:
        raise ValueError(f"unknown mask preset {name!r}; choose one of {sorted(PRESETS)}")
    return masks.named_mask(PRESETS[name]).astype(np.float32)


def observe(models: dict, digit: np.ndarray, task: str, sigma=None, mask=None, seed: int = 0) -> dict:
    """The observation the model sees: state {"task", "y", "sigma"} for later calls."""
    x = torch.as_tensor(digit, dtype=torch.float32).reshape(1, 1, 28, 28)
    gen = torch.Generator().manual_seed(seed)
    if task == "denoise":
        op = models[task].op
        sigma = checks.number(sigma, "sigma", op.sigma_min, op.sigma_max)
        y = models[task].observe(x, gen, sigma=sigma)
    elif task == "inpaint":
        if mask is None:
            raise ValueError("draw over the digit to hide a region, or pick a mask preset")
        if mask.min() > 0:
            raise ValueError("the mask hides nothing: paint the region the model should fill in")
        y, sigma = models[task].observe(x, mask=mask), None
    else:
        raise ValueError(f"task must be 'denoise' or 'inpaint', got {checks.short(task)}")
    return {"task": task, "y": y, "sigma": sigma, "cond": models[task].condition(y, sigma)}


def observation_image(state: dict) -> np.ndarray:
    """What the model sees: the noisy digit, or the observed pixels with the hidden
    region tinted blue -> (224, 224, 3) uint8."""
    y = state["y"][0]
    img = viz.gray(y[0].clamp(0, 1), SCALE)
    if state["task"] == "inpaint":
        hidden = np.kron(1 - y[1].numpy(), np.ones((SCALE, SCALE))) > 0.5
        img[hidden] = (0.55 * img[hidden] + 0.45 * np.array([40, 90, 200])).astype(np.uint8)
    return img


def class_counts(classifier, samples: torch.Tensor) -> np.ndarray:
    """How many samples (N, 1, 28, 28) the classifier puts in each digit class -> (10,)."""
    return np.bincount(classifier.predict(samples).numpy(), minlength=10)


def digits_panel(models: dict, digit, task: str, sigma=0.5, mask=None, n=64, seed=0) -> dict:
    """Everything the digits tab shows for one input (all images uint8 RGB)."""
    n = checks.whole(n, "the sample count", 1, MAX_N)
    seed = checks.whole(seed, "the seed", 0, 2 ** 31 - 1)
    state = observe(models, digit, task, sigma, mask, seed)
    post = models[task].posterior(state["cond"], n, torch.Generator().manual_seed(seed + 1))
    std = post.std[0]
    vmax = max(float(std.max()), 1e-3)
    notes = []
    if task == "inpaint" and float(state["y"][0, 1].sum()) == 0:
        notes.append("The mask hides the whole digit: these are samples of the prior.")
    return {"observation": observation_image(state), "map": viz.gray(post.map[0], SCALE),
            "mean": viz.gray(post.mean[0], SCALE),
            "std": viz.row([viz.heatmap(std, vmax, SCALE), viz.colorbar(vmax, 28 * SCALE, 16)]),
            "std_max": vmax, "std_mean": float(std.mean()),
            "samples": viz.grid(post.samples[0], cols=16 if n > 64 else 8, scale=3), "n": n,
            "classes": class_counts(models["classifier"], post.samples[0]),
            "state": state, "notes": notes}


def top_directions(model, state: dict, k: int = 4) -> torch.Tensor:
    """The k latent directions v (unit, (k, d1)) that move the sample most: the top singular
    vectors of the Jacobian of z1 -> D_x(z1, z2) at z1 = 0 (one batched decode)."""
    return model.principal_directions(state["cond"], k)


def random_direction(d1: int, seed: int) -> torch.Tensor:
    v = torch.randn(d1, generator=torch.Generator().manual_seed(int(seed)))
    return v / v.norm()


def eps_frame(model, state: dict, v, eps: float) -> np.ndarray:
    """D_x(eps v, z2) as a (224, 224, 3) picture."""
    eps = checks.number(eps, "eps", -10, 10)
    return viz.gray(model.along(state["cond"], eps, v)[0], SCALE)


def eps_strip(model, state: dict, v, steps: int = 7) -> np.ndarray:
    """D_x(eps v, z2) for eps in linspace(-3, 3, steps), side by side."""
    x = model.along(state["cond"], torch.linspace(-3, 3, steps), v)
    return viz.row([viz.gray(f, 3) for f in x[0]])

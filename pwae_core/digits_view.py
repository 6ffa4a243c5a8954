"""The digits explorer behind the app: one call per user action, pictures out.

    models = load_digit_models()                          # shipped checkpoints, clear errors
    panel = digits_panel(models, digit, "denoise", sigma=0.5, n=64, seed=0)
    panel["map"], panel["mean"], panel["std"], panel["samples"], panel["classes"]
    dirs = top_directions(models["denoise"], panel["state"])      # (k, d1) unit vectors
    eps_frame(models["denoise"], panel["state"], dirs[0], 1.5)   # one picture of D_x(eps v, z2)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from . import masks, viz
from .checkpoint import load
from .presets import CHECKPOINTS

SCALE = 8                      # 28 px -> 224 px
MAX_N = 256
PRESETS = {"left half": "left", "right half": "right", "centre box": "box"}


def load_digit_models(folder=CHECKPOINTS) -> dict:
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
        out[key] = load(path)
    return out


def preset_mask(name: str) -> np.ndarray:
    """Observed-pixel mask (28, 28) of a preset ("left half" hides the left half, ...)."""
    if name not in PRESETS:
        raise ValueError(f"unknown mask preset {name!r}; choose one of {sorted(PRESETS)}")
    return masks.named_mask(PRESETS[name]).astype(np.float32)


def _check_count(n, seed) -> tuple[int, int]:
    if n is None or not float(n).is_integer() or not 1 <= n <= MAX_N:
        raise ValueError(f"the sample count must be a whole number in [1, {MAX_N}], got {n}")
    if seed is None or not np.isfinite(seed) or not float(seed).is_integer() or not 0 <= seed < 2 ** 31:
        raise ValueError(f"the seed must be a whole number in [0, 2^31), got {seed}")
    return int(n), int(seed)


def observe(models: dict, digit: np.ndarray, task: str, sigma=None, mask=None, seed: int = 0) -> dict:
    """The observation the model sees: state {"task", "y", "sigma"} for later calls."""
    x = torch.as_tensor(digit, dtype=torch.float32).reshape(1, 1, 28, 28)
    gen = torch.Generator().manual_seed(seed)
    if task == "denoise":
        if sigma is None or not np.isfinite(sigma):
            raise ValueError(f"sigma must be a number, got {sigma}")
        return {"task": task, "y": models[task].observe(x, gen, sigma=float(sigma)), "sigma": float(sigma)}
    if task != "inpaint":
        raise ValueError(f"task must be 'denoise' or 'inpaint', got {task!r}")
    if mask is None:
        raise ValueError("draw over the digit to hide a region, or pick a mask preset")
    if mask.min() > 0:
        raise ValueError("the mask hides nothing: paint the region the model should fill in")
    return {"task": task, "y": models[task].observe(x, mask=mask), "sigma": None}


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
    n, seed = _check_count(n, seed)
    state = observe(models, digit, task, sigma, mask, seed)
    model = models[task]
    post = model.posterior(state["y"], n, torch.Generator().manual_seed(seed + 1), sigma=state["sigma"])
    std = post["std"][0]
    vmax = max(float(std.max()), 1e-3)
    notes = []
    if task == "inpaint" and float(state["y"][0, 1].sum()) == 0:
        notes.append("The mask hides the whole digit: these are samples of the prior.")
    return {"observation": observation_image(state), "map": viz.gray(post["map"][0], SCALE),
            "mean": viz.gray(post["mean"][0], SCALE),
            "std": viz.row([viz.heatmap(std, vmax, SCALE), viz.colorbar(vmax, 28 * SCALE, 16)]),
            "std_max": vmax, "std_mean": float(std.mean()), "samples": viz.grid(post["samples"][0], cols=16 if n > 64 else 8, scale=3),
            "n": n,
            "classes": class_counts(models["classifier"], post["samples"][0]),
            "state": state, "notes": notes}


def top_directions(model, state: dict, k: int = 4) -> torch.Tensor:
    """The k latent directions v (unit, (k, d1)) that move the sample most, from the
    Jacobian of z1 -> D_x(z1, z2) at z1 = 0 (central differences, its top singular vectors)."""
    d1 = model.d1
    eye = torch.eye(d1)
    cols = [model.direction_x_given_y(state["y"], torch.tensor([-1.0, 1.0]), eye[i], sigma=state["sigma"])
            for i in range(d1)]                                       # d1 x (1, 2, 1, 28, 28)
    J = torch.stack([(c[0, 1] - c[0, 0]).flatten() / 2 for c in cols])   # (d1, 784)
    U, _, _ = torch.linalg.svd(J, full_matrices=False)                 # columns: latent dirs
    return U[:, :k].T.contiguous()


def random_direction(d1: int, seed: int) -> torch.Tensor:
    v = torch.randn(d1, generator=torch.Generator().manual_seed(int(seed)))
    return v / v.norm()


def eps_frame(model, state: dict, v, eps: float) -> np.ndarray:
    """D_x(eps v, z2) as a (224, 224, 3) picture."""
    if eps is None or not np.isfinite(eps) or abs(eps) > 10:
        raise ValueError(f"eps must be a number in [-10, 10], got {eps}")
    x = model.direction_x_given_y(state["y"], float(eps), v, sigma=state["sigma"])
    return viz.gray(x[0], SCALE)


def eps_strip(model, state: dict, v, steps: int = 7) -> np.ndarray:
    """D_x(eps v, z2) for eps in linspace(-3, 3, steps), side by side."""
    x = model.direction_x_given_y(state["y"], torch.linspace(-3, 3, steps), v, sigma=state["sigma"])
    return viz.row([viz.gray(f, 3) for f in x[0]])

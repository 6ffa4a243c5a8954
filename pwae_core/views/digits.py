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

from .. import checks, data, images, masks, models as _models, viz
from ..checkpoint import SHIPPED
from ..config import ModelConfig

SCALE = 8                      # 28 px -> 224 px (the std map with its colour bar, API frames)
MAX_N = 256
PRESETS = {"left half": "left", "right half": "right", "centre box": "box"}
TASKS = ("denoise", "inpaint")
EPS_LO, EPS_STEP, EPS_FRAMES = -3.0, 0.1, 61     # the scrub: eps = -3, -2.9, ..., 3
STRIP_EVERY = 10                                  # the strip shows eps = -3, -2, ..., 3
MAX_SEED = 2 ** 31 - 1


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


def example_digits(per_class: int = 2) -> np.ndarray:
    """The first ``per_class`` test digits of every class, classes in turn -> (10 k, 28, 28)."""
    x, labels = data.mnist("test")
    idx = [int(i) for k in range(per_class) for c in range(10)
           for i in [(labels == c).nonzero()[k, 0]]]
    return x[idx, 0].numpy()


def as_picture(digit: np.ndarray, scale: int = 4) -> np.ndarray:
    """A (28, 28) digit in [0, 1] -> a (28 s, 28 s) uint8 picture."""
    return (np.kron(digit, np.ones((scale, scale))) * 255).astype(np.uint8)


def editor_value(digit: np.ndarray, editor=None, hide=None) -> dict:
    """The mask editor's value for a (28, 28) digit: the digit 10x as background, and a red
    layer of the strokes already painted in ``editor`` plus the region a preset ``hide``s
    (observed-pixel mask (28, 28), 0 = hidden)."""
    g = as_picture(digit, 10)                                          # (280, 280)
    painted = np.zeros((280, 280), bool)
    old = images.painted(editor)
    if old is not None and old.shape == painted.shape:
        painted |= old
    if hide is not None:
        painted |= np.kron(np.asarray(hide) < 0.5, np.ones((10, 10), bool))
    layer = np.zeros((280, 280, 4), np.uint8)
    layer[painted] = (255, 0, 0, 255)
    return {"background": np.dstack([g, g, g, np.full_like(g, 255)]), "layers": [layer],
            "composite": None}


def mask_for(task: str, editor, preset: str):
    """The observed-pixel mask (28, 28) of an inpainting request: the painted strokes and
    the preset's region hidden together; None for denoising."""
    if task != "inpaint":
        return None
    drawn = images.mask_from_editor(editor)
    if preset == "drawn":
        return drawn
    return preset_mask(preset) if drawn is None else np.minimum(drawn, preset_mask(preset))


def preset_mask(name: str) -> np.ndarray:
    """Observed-pixel mask (28, 28) of a preset ("left half" hides the left half, ...)."""
    if not isinstance(name, str) or name not in PRESETS:       # a list is unhashable
        raise ValueError(f"the mask preset must be one of {sorted(PRESETS)}, got {checks.short(name)}")
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
        raise ValueError(f"task must be one of {TASKS}, got {checks.short(task)}")
    return {"task": task, "y": y, "sigma": sigma, "cond": models[task].condition(y, sigma)}


def observation_image(state: dict) -> np.ndarray:
    """What the model sees: the noisy digit, or the observed pixels with the hidden
    region tinted blue -> (28, 28, 3) uint8 (the page scales it up, pixelated)."""
    y = state["y"][0]
    img = viz.gray(y[0].clamp(0, 1), 1)
    if state["task"] == "inpaint":
        hidden = y[1].numpy() < 0.5
        img[hidden] = (0.55 * img[hidden] + 0.45 * np.array([40, 90, 200])).astype(np.uint8)
    return img


def class_counts(classifier, samples: torch.Tensor) -> np.ndarray:
    """How many samples (N, 1, 28, 28) the classifier puts in each digit class -> (10,)."""
    return np.bincount(classifier.predict(samples).numpy(), minlength=10)


def _notes(task: str, state: dict, n: int) -> list[str]:
    """What a result does not say, in words."""
    notes = []
    if n == 1:
        notes.append("One sample has no spread: the std map is 0 by construction. Draw more "
                     "samples to see the uncertainty.")
    if task == "inpaint" and float(state["y"][0, 1].sum()) == 0:
        notes.append("The mask hides the whole digit: these are samples of the prior.")
    return notes


def digits_panel(models: dict, digit, task: str, sigma=0.5, mask=None, n=64, seed=0) -> dict:
    """Everything the digits tab shows for one input (images uint8 RGB, the samples also as
    a scrollable HTML mosaic)."""
    n = checks.whole(n, "the sample count", 1, MAX_N)
    seed = checks.whole(seed, "the seed", 0, MAX_SEED)
    state = observe(models, digit, task, sigma, mask, seed)
    post = models[task].posterior(state["cond"], n, torch.Generator().manual_seed(seed + 1))
    std = post.std[0]
    vmax = max(float(std.max()), 1e-3)
    mosaic = viz.grey_mosaic(post.samples[0], cols=8)                   # (rows * 29, 8 * 29)
    return {"observation": observation_image(state), "map": viz.gray(post.map[0], 1),
            "mean": viz.gray(post.mean[0], 1),
            "std": viz.row([viz.heatmap(std, vmax, SCALE), viz.labelled_colorbar(vmax, 28 * SCALE)]),
            "std_max": vmax, "std_mean": float(std.mean()), "samples": mosaic,
            "samples_html": samples_html(mosaic, n), "n": n,
            "classes": class_counts(models["classifier"], post.samples[0]),
            "state": state, "notes": _notes(task, state, n)}


def samples_html(mosaic: np.ndarray, n: int) -> str:
    """The sample mosaic (8 per row, 1x; the page scales it to the box's width) in a
    scrolling box."""
    return (f'<div class="samples-box"><div class="samples-caption">{n} conditional '
            f'sample{"s" if n > 1 else ""}, 8 per row{", scroll for more" if n > 32 else ""}</div>'
            f'<img id="samples-img" alt="{n} samples" src="{viz.png_data_uri(mosaic)}"></div>')


def top_directions(model, state: dict, k: int = 4) -> torch.Tensor:
    """The k latent directions v (unit, (k, d1)) that move the sample most: the top singular
    vectors of the Jacobian of z1 -> D_x(z1, z2) at z1 = 0 (one batched decode)."""
    return model.principal_directions(state["cond"], k)


PICKS = ("principal 1", "principal 2", "principal 3", "random")


def direction(model, state: dict, pick: str, seed, draws: int, eps_now=0.0) -> tuple[list, str]:
    """The direction v a user picked (a principal one, or a random one seeded by ``seed``
    and the number of draws) and its scrub HTML."""
    if pick not in PICKS:
        raise ValueError(f"the direction must be one of {list(PICKS)}, got {checks.short(pick)}")
    seed = checks.whole(seed, "the seed", 0, MAX_SEED)
    if pick == "random":
        v = random_direction(model.d1, seed * 7919 + checks.whole(draws, "draws", 0, 10 ** 9))
    else:
        v = top_directions(model, state, 3)[int(pick[-1]) - 1]
    return v.tolist(), scrub_html(model, state, v, eps_now)


def std_caption(panel: dict) -> str:
    """One line under the std map: its scale and mean."""
    return (f"std map from {panel['n']} sample{'s' if panel['n'] > 1 else ''}: 0 (dark) to "
            f"{panel['std_max']:.3f} (yellow), mean {panel['std_mean']:.3f}")


def random_direction(d1: int, seed: int) -> torch.Tensor:
    v = torch.randn(d1, generator=torch.Generator().manual_seed(int(seed)))
    return v / v.norm()


def eps_frame(model, state: dict, v, eps: float) -> np.ndarray:
    """D_x(eps v, z2) as a (224, 224, 3) picture."""
    eps = checks.number(eps, "eps", -10, 10)
    return viz.gray(model.along(state["cond"], eps, v)[0], SCALE)


def eps_grid() -> torch.Tensor:
    """The eps values of the scrub: -3, -2.9, ..., 3 -> (61,)."""
    return EPS_LO + EPS_STEP * torch.arange(EPS_FRAMES, dtype=torch.float32)


def scrub_html(model, state: dict, v, eps_now: float = 0.0) -> str:
    """All frames D_x(eps v, z2), eps = -3..3 in steps of 0.1, as one sprite, and a strip
    of eps = -3, -2, ..., 3 labelled with eps. The page's script (``SCRUB_JS``) shows the
    frame of the eps slider's value with no server call; ``eps_now`` is drawn first."""
    frames = model.along(state["cond"], eps_grid(), v)[0]               # (61, 1, 28, 28)
    sprite = viz.grey_mosaic(frames, cols=EPS_FRAMES, gap=0)            # (28, 61 * 28)
    i = int(round((checks.number(eps_now, "eps", -10, 10) - EPS_LO) / EPS_STEP))
    i = min(max(i, 0), EPS_FRAMES - 1)
    pos = lambda k: f"{100 * k / (EPS_FRAMES - 1):.4f}%"             # noqa: E731
    thumbs_n = (EPS_FRAMES - 1) // STRIP_EVERY + 1                      # 7 thumbnails
    mark = f"{100 * (0.5 + (thumbs_n - 1) * i / (EPS_FRAMES - 1)) / thumbs_n:.4f}%"
    thumbs = "".join(f'<div class="thumb"><div class="cell" style="background-position:{pos(k)} 0">'
                     f'</div><span>{round(EPS_LO + k * EPS_STEP):d}</span></div>'
                     for k in range(0, EPS_FRAMES, STRIP_EVERY))
    return (f'<div class="scrub" data-lo="{EPS_LO}" data-step="{EPS_STEP}" data-n="{EPS_FRAMES}" '
            f'data-thumbs="{thumbs_n}" '
            f'style="--sprite:url({viz.png_data_uri(sprite)});--frames:{EPS_FRAMES}">'
            f'<div class="frame" style="background-position:{pos(i)} 0"></div>'
            f'<div class="eps-now">eps = {EPS_LO + i * EPS_STEP:.1f}</div>'
            f'<div class="strip">{thumbs}<div class="marker" style="left:{mark}"></div></div>'
            '<div class="strip-caption">eps along v</div></div>')

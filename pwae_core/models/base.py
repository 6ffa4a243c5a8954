"""What every model shares, and the front end of the conditional image models.

``Model``: an ``nn.Module`` with its ``config`` (a dataclass of ``config.py``) and its
``info`` (``ModelInfo``: the training config, metrics and extra data a checkpoint carries).

``ConditionalImageModel`` (image PWAE, cVAE, MSE network) turns the user's observation into
a ``Condition``: the validated packed network input ``obs`` (B, 2, H, W) and the model's
code of it, encoded once. Every conditional output is then a decode of that code:

    cond = model.condition(y, sigma=0.5)          # validate + encode, once per observation
    model.samples(cond, n, generator)             # (B, n, *x_shape)
    model.most_likely(cond)                       # (B, *x_shape)
    model.posterior(y, n, sigma=0.5)              # Posterior(samples, mean, std, map)

Subclasses implement ``_encode(obs) -> code``, ``_decode_samples(code, obs, n, generator)
-> (B, n, *x_shape)``, ``_decode_map(code, obs) -> (B, *x_shape)`` and
``loss(x, labels, cfg, generator)``. Outputs pass through the operator's ``project`` (hard
data consistency for inpainting) when ``config.project`` is on.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from .. import checks, operators

MAX_SAMPLES = 4096


@dataclass
class ModelInfo:
    """What a checkpoint carries besides weights and config."""
    train_config: object = None        # config.TrainConfig of an image model, or None
    metrics: dict = field(default_factory=dict)   # loss history, wall time, ...
    extra: dict = field(default_factory=dict)     # data a view needs (mixtures, F, sigma)


class Model(nn.Module):
    """Base of every model: ``config`` (rebuilds it) and ``info`` (saved beside the weights)."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.info = ModelInfo()

    @property
    def metrics(self) -> dict:
        """The saved metrics (``info.metrics``)."""
        return self.info.metrics

    @property
    def extra(self) -> dict:
        """The saved extra data (``info.extra``)."""
        return self.info.extra

    @property
    def train_config(self):
        return self.info.train_config

    def _ref(self) -> torch.Tensor:
        return next(self.parameters())


@dataclass
class Condition:
    """One validated observation and its code: obs (B, 2, H, W), code as the model makes it."""
    obs: torch.Tensor
    code: tuple

    @property
    def batch(self) -> int:
        return self.obs.shape[0]


@dataclass
class Posterior:
    """Posterior summary of B observations: samples (B, n, *x_shape), mean, std and the
    most likely estimate ``map`` (B, *x_shape). ``post["mean"]`` works too."""
    samples: torch.Tensor
    mean: torch.Tensor
    std: torch.Tensor
    map: torch.Tensor

    def __getitem__(self, key: str) -> torch.Tensor:
        return getattr(self, key)


class ConditionalImageModel(Model):
    """Base: ``self.config`` (ModelConfig) and ``self.op`` (operators.Denoise / Inpaint)."""

    def __init__(self, config):
        super().__init__(config)
        self.op = operators.get(config.task, config.sigma_min, config.sigma_max)
        self.x_shape = tuple(config.x_shape)

    @property
    def y_shape(self) -> tuple:
        """(1, H, W) noisy image for denoising; (2, H, W) = (mask * x, mask) for inpainting."""
        c = 1 if self.op.name == "denoise" else 2
        return (c, *self.x_shape[1:])

    def _as_tensor(self, a, name: str) -> torch.Tensor:
        ref = self._ref()
        return checks.to_tensor(a, name).to(device=ref.device, dtype=ref.dtype)

    def obs_from_y(self, y, sigma=None) -> torch.Tensor:
        """Validate y and pack it with its parameter map -> obs (B, 2, H, W).

        Denoising: y (B, 1, H, W) and ``sigma`` (float or (B,)) are required.
        Inpainting: y (B, 2, H, W) = (mask * x, mask), mask 1 = observed.
        """
        y = self._as_tensor(y, "y")
        if y.dim() != 4 or tuple(y.shape[1:]) != self.y_shape or y.shape[0] == 0:
            raise ValueError(f"y must have shape (B, {', '.join(map(str, self.y_shape))}) "
                             f"with B >= 1, got {tuple(y.shape)}")
        if not torch.isfinite(y).all():
            raise ValueError("y contains NaN or infinite values")
        if self.op.name == "denoise":
            if sigma is None:
                raise ValueError("denoising needs the noise level: pass sigma=...")
            return operators.pack(y, self.op.params(y, sigma))
        m = self.op.params(y[:, :1], y[:, 1:2])
        return operators.pack(y[:, :1] * m, m)

    def observe(self, x, generator=None, sigma=None, mask=None) -> torch.Tensor:
        """Simulate the user-facing observation y of clean x (B, 1, H, W) (see ``y_shape``)."""
        x = self._as_tensor(x, "x")
        checks.images(x)
        if self.op.name == "denoise":
            return self.op.observe(x, self.op.params(x, sigma), generator)
        m = self.op.params(x, mask)
        return torch.cat([x * m, m], dim=1)

    @torch.no_grad()
    def condition(self, y, sigma=None) -> Condition:
        """Validate and encode an observation once: y (B, *y_shape) -> Condition."""
        obs = self.obs_from_y(y, sigma)
        return Condition(obs, self._encode(obs))

    @torch.no_grad()
    def samples(self, cond: Condition, n: int, generator=None) -> torch.Tensor:
        """n conditional samples per observation -> (B, n, *x_shape)."""
        n = checks.sample_count(n, MAX_SAMPLES)
        return self._out(self._decode_samples(cond.code, cond.obs, n, generator), cond.obs)

    @torch.no_grad()
    def most_likely(self, cond: Condition) -> torch.Tensor:
        """The most likely estimate -> (B, *x_shape)."""
        return self._out(self._decode_map(cond.code, cond.obs), cond.obs)

    def sample_x_given_y(self, y, n: int, generator=None, sigma=None) -> torch.Tensor:
        """Conditional samples: y (B, *y_shape) -> (B, n, *x_shape)."""
        return self.samples(self.condition(y, sigma), n, generator)

    def map_x_given_y(self, y, sigma=None) -> torch.Tensor:
        """Most likely estimate: y (B, *y_shape) -> (B, *x_shape)."""
        return self.most_likely(self.condition(y, sigma))

    def posterior(self, y, n: int = 64, generator=None, sigma=None) -> Posterior:
        """Samples (B, n, *x_shape), their mean and pixelwise std (B, *x_shape), and the most
        likely estimate; ``y`` may also be a ``Condition`` (then ``sigma`` is not needed)."""
        cond = y if isinstance(y, Condition) else self.condition(y, sigma)
        s = self.samples(cond, n, generator)
        std = s.std(1, unbiased=False) if s.shape[1] > 1 else torch.zeros_like(s[:, 0])
        return Posterior(s, s.mean(1), std, self.most_likely(cond))

    def _out(self, x, obs):
        """Apply the operator's hard data consistency when ``config.project`` is on."""
        return self.op.project(x, obs) if self.config.project else x

    def _encode(self, obs):  # pragma: no cover - abstract
        raise NotImplementedError

    def _decode_samples(self, code, obs, n, generator):  # pragma: no cover - abstract
        raise NotImplementedError

    def _decode_map(self, code, obs):  # pragma: no cover - abstract
        raise NotImplementedError

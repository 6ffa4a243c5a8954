"""Shared front end of every conditional image model (PWAE, cVAE, MSE network).

Turns the user's observation into the packed network input ``obs`` (B, 2, H, W) with
clear errors on bad input, and computes posterior statistics from samples. Subclasses
implement ``_sample(obs, n, generator) -> (B, n, *x_shape)``, ``_map(obs) -> (B, *x_shape)``
and ``loss(x, labels, cfg, generator)``; outputs pass through the operator's ``project``
(hard data consistency for inpainting) when ``config.project`` is on.
"""
from __future__ import annotations

import torch
from torch import nn

from . import operators
from .checks import sample_count, to_tensor

MAX_SAMPLES = 4096


class ConditionalImageModel(nn.Module):
    """Base: ``self.config`` (ModelConfig) and ``self.op`` (operators.Denoise / Inpaint)."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.op = operators.get(config.task)
        self.x_shape = tuple(config.x_shape)

    @property
    def y_shape(self) -> tuple:
        """(1, H, W) noisy image for denoising; (2, H, W) = (mask * x, mask) for inpainting."""
        c = 1 if self.op.name == "denoise" else 2
        return (c, *self.x_shape[1:])

    def _ref(self) -> torch.Tensor:
        return next(self.parameters())

    def _as_tensor(self, a, name: str) -> torch.Tensor:
        a = to_tensor(a, name)
        ref = self._ref()
        return a.to(device=ref.device, dtype=ref.dtype)

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
        operators._check_images(x)
        if self.op.name == "denoise":
            return self.op.observe(x, self.op.params(x, sigma), generator)
        m = self.op.params(x, mask)
        return torch.cat([x * m, m], dim=1)

    @torch.no_grad()
    def sample_x_given_y(self, y, n: int, generator=None, sigma=None) -> torch.Tensor:
        """Conditional samples: y (B, *y_shape) -> (B, n, *x_shape)."""
        n = sample_count(n, MAX_SAMPLES)
        obs = self.obs_from_y(y, sigma)
        return self._out(self._sample(obs, n, generator), obs)

    @torch.no_grad()
    def map_x_given_y(self, y, sigma=None):
        """Most likely estimate: y (B, *y_shape) -> (B, *x_shape)."""
        obs = self.obs_from_y(y, sigma)
        return self._out(self._map(obs), obs)

    def _out(self, x, obs):
        """Apply the operator's hard data consistency when ``config.project`` is on."""
        return self.op.project(x, obs) if self.config.project else x

    @torch.no_grad()
    def posterior(self, y, n: int = 64, generator=None, sigma=None) -> dict:
        """Samples (B, n, *x_shape), their mean and pixelwise std (B, *x_shape), and the
        most likely estimate ``map`` (B, *x_shape)."""
        s = self.sample_x_given_y(y, n, generator, sigma)
        std = s.std(1, unbiased=False) if n > 1 else torch.zeros_like(s[:, 0])
        return {"samples": s, "mean": s.mean(1), "std": std,
                "map": self.map_x_given_y(y, sigma=sigma)}

    def _sample(self, obs, n, generator):  # pragma: no cover - abstract
        raise NotImplementedError

    def _map(self, obs):  # pragma: no cover - abstract
        raise NotImplementedError

"""Forward operators y = F(x) (+ noise): observation, parameters, data-fidelity cost.

An operator turns a clean image x (B, 1, H, W) into an observation. Every observation
travels with a *parameter map* p (B, 1, H, W) that the networks see next to the image:
the noise level sigma (constant map) for denoising, the mask (1 = observed) for inpainting.
The packed observation the networks read is ``obs = cat(y_img, p)``, shape (B, 2, H, W).

Registry: ``OPERATORS[name]``, ``get(name)``; unknown names raise ``ValueError``.
"""
from __future__ import annotations

import math

import torch

from . import costs, masks


class Denoise:
    """y = x + sigma * n, n ~ N(0, I) (image PWAE paper, Sec. 4 'Denoising').

    Data fidelity (Gaussian log-likelihood up to constants):
    ``fidelity(x_hat, obs) = ||x_hat - y||^2 / (2 sigma^2)`` per image, shape (B,).
    """
    name = "denoise"

    def __init__(self, sigma_min: float = 0.1, sigma_max: float = 1.1):
        if not 0 <= sigma_min <= sigma_max or not math.isfinite(sigma_max):
            raise ValueError(f"the sigma range must satisfy 0 <= sigma_min <= sigma_max < inf, "
                             f"got [{sigma_min}, {sigma_max}]")
        self.sigma_min, self.sigma_max = float(sigma_min), float(sigma_max)

    def sample_params(self, x: torch.Tensor, generator=None) -> torch.Tensor:
        """sigma ~ U[sigma_min, sigma_max] per image -> constant maps (B, 1, H, W)."""
        u = torch.rand(x.shape[0], 1, 1, 1, generator=generator, device=x.device, dtype=x.dtype)
        sigma = self.sigma_min + (self.sigma_max - self.sigma_min) * u
        return sigma.expand_as(x).contiguous()

    def params(self, x: torch.Tensor, sigma) -> torch.Tensor:
        """Parameter maps (B, 1, H, W) for a given sigma (float or (B,) tensor) inside the
        range the model was trained on (no silent extrapolation)."""
        sigma = torch.as_tensor(sigma, dtype=x.dtype, device=x.device).reshape(-1)
        if sigma.numel() not in (1, x.shape[0]) or not torch.isfinite(sigma).all():
            raise ValueError(f"sigma must be a finite float or a ({x.shape[0]},) tensor")
        lo, hi = self.sigma_min, self.sigma_max
        if (sigma < lo - 1e-6).any() or (sigma > hi + 1e-6).any():
            raise ValueError(f"sigma must lie in the trained range [{lo}, {hi}], "
                             f"got {sigma.tolist()}")
        return sigma.reshape(-1, 1, 1, 1).expand_as(x).contiguous()

    def observe(self, x: torch.Tensor, p: torch.Tensor, generator=None) -> torch.Tensor:
        """y = x + sigma * n; x, p: (B, 1, H, W) -> y (B, 1, H, W)."""
        n = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return x + p * n

    def project(self, x_hat: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
        """Noisy observations pin no pixel down: identity."""
        return x_hat

    def fidelity(self, x_hat: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
        """||x_hat - y||^2 / (2 sigma^2) per image: x_hat (B, 1, H, W), obs (B, 2, H, W) -> (B,)."""
        y, sigma = obs[:, :1], obs[:, 1:2].clamp_min(1e-3)
        return ((x_hat - y) ** 2 / (2 * sigma ** 2)).flatten(1).sum(1)


class Inpaint:
    """y = (m * x, m) with a binary mask m, 1 = observed (image PWAE paper, 'Region Inpainting').

    Data fidelity: ``fidelity(x_hat, obs) = ||m * (x_hat - y)||^2`` per image, shape (B,):
    decoded samples must agree with the observed pixels.
    """
    name = "inpaint"

    def sample_params(self, x: torch.Tensor, generator=None) -> torch.Tensor:
        """Random training masks (halves, boxes, strokes, dropout) -> (B, 1, H, W)."""
        return masks.random_masks(x.shape[0], x.shape[-2:], generator=generator).to(x)

    def params(self, x: torch.Tensor, mask) -> torch.Tensor:
        """Validate a user mask (H, W), (1, H, W) or (B, 1, H, W), 1 = observed."""
        mask = torch.as_tensor(mask).to(device=x.device, dtype=x.dtype)
        if mask.dim() == 2:
            mask = mask[None, None]
        elif mask.dim() == 3:
            mask = mask[:, None] if mask.shape[0] == x.shape[0] and x.shape[0] > 1 else mask[None]
        if mask.dim() != 4 or mask.shape[1:] != x.shape[1:] or mask.shape[0] not in (1, x.shape[0]):
            raise ValueError(f"mask must have shape (H, W) or (B, 1, H, W) matching x "
                             f"{tuple(x.shape)}, got {tuple(mask.shape)}")
        if not torch.isfinite(mask).all():
            raise ValueError("mask contains NaN or infinite values")
        return (mask > 0.5).to(x.dtype).expand_as(x).contiguous()

    def observe(self, x: torch.Tensor, p: torch.Tensor, generator=None) -> torch.Tensor:
        """y_img = m * x; x, p: (B, 1, H, W) -> (B, 1, H, W)."""
        return x * p

    def project(self, x_hat: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
        """Hard data consistency: m * y + (1 - m) * x_hat.

        Observed pixels are known exactly (no noise), so the true posterior is a point mass
        there. x_hat (B, 1, H, W) or (B, n, 1, H, W); obs (B, 2, H, W).
        """
        y, m = obs[:, :1], obs[:, 1:2]
        if x_hat.dim() == 5:
            y, m = y[:, None], m[:, None]                        # (B, 1, 1, H, W)
        return m * y + (1 - m) * x_hat

    def fidelity(self, x_hat: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
        """||m * (x_hat - y)||^2 per image: x_hat (B, 1, H, W), obs (B, 2, H, W) -> (B,)."""
        y, m = obs[:, :1], obs[:, 1:2]
        return ((m * (x_hat - y)) ** 2).flatten(1).sum(1)


class Linear:
    """y = F x + sigma * n for flat vectors x (B, d_x), F (d_y, d_x) (coupling PWAE paper, Sec. 4.2).

    Cost c_F(x, y) = ||F x - y||^2, shape (B,).
    """
    name = "linear"

    def __init__(self, F: torch.Tensor, sigma: float = 0.1):
        F = torch.as_tensor(F)
        if F.dim() != 2:
            raise ValueError(f"F must be a matrix (d_y, d_x), got shape {tuple(F.shape)}")
        if not math.isfinite(sigma) or sigma < 0:
            raise ValueError(f"sigma must be finite and >= 0, got {sigma}")
        self.F, self.sigma = F, float(sigma)

    def _check(self, x: torch.Tensor) -> None:
        if x.dim() != 2 or x.shape[1] != self.F.shape[1]:
            raise ValueError(f"x must have shape (B, {self.F.shape[1]}), got {tuple(x.shape)}")

    def observe(self, x: torch.Tensor, generator=None) -> torch.Tensor:
        """y = x F^T + sigma * n: (B, d_x) -> (B, d_y)."""
        self._check(x)
        F = self.F.to(x)
        n = torch.randn(x.shape[0], F.shape[0], generator=generator, device=x.device, dtype=x.dtype)
        return x @ F.T + self.sigma * n

    def cost(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """c_F(x, y) = ||F x - y||^2 (``costs.c_F``): (B, d_x), (B, d_y) -> (B,)."""
        self._check(x)
        return costs.c_F(self.F)(x, y)


OPERATORS = {"mnist-denoise": Denoise, "mnist-inpaint": Inpaint}


def get(task: str, sigma_min: float = 0.1, sigma_max: float = 1.1):
    """Image operator for a task name (the denoiser with its trained sigma range);
    ``ValueError`` on unknown names."""
    if task not in OPERATORS:
        raise ValueError(f"unknown task {task!r}; choose one of {sorted(OPERATORS)}")
    return Denoise(sigma_min, sigma_max) if task == "mnist-denoise" else Inpaint()


def pack(y: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """obs = cat(y_img, p): (B, 1, H, W) x 2 -> (B, 2, H, W)."""
    return torch.cat([y, p], dim=1)

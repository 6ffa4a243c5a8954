r"""Gaussian mixtures: the synthetic measures of the coupling PWAE paper and their closed-form
posterior.

    p_X(x) = sum_k alpha_k N(x; m_k, Sigma_k)

Random mixtures follow the coupling PWAE paper, Sec. 4: K = 8 means uniform in [-1, 1]^d, diagonal
covariances with variances uniform in [0.1, 0.2], weights uniform then normalised.

For a linear Gaussian observation Y = F X + eps, eps ~ N(0, sigma^2 I), the posterior is
again a mixture (coupling PWAE paper, supplement; Grana et al. 2017):

    Sigma~_k = (Sigma_k^{-1} + sigma^{-2} F^T F)^{-1}
    m~_k     = Sigma~_k (Sigma_k^{-1} m_k + sigma^{-2} F^T y)
    alpha~_k ∝ alpha_k N(y; F m_k, F Sigma_k F^T + sigma^2 I)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class GMM:
    """weights (K,), means (K, d), covs (K, d, d); float64 tensors."""
    weights: torch.Tensor
    means: torch.Tensor
    covs: torch.Tensor

    def __post_init__(self):
        self.weights = torch.as_tensor(self.weights, dtype=torch.float64)
        self.means = torch.as_tensor(self.means, dtype=torch.float64)
        self.covs = torch.as_tensor(self.covs, dtype=torch.float64)
        K, d = self.means.shape
        if self.weights.shape != (K,) or self.covs.shape != (K, d, d):
            raise ValueError(f"GMM: weights (K,), means (K, d), covs (K, d, d) expected, got "
                             f"{tuple(self.weights.shape)}, {tuple(self.means.shape)}, "
                             f"{tuple(self.covs.shape)}")
        if not (self.weights >= 0).all() or abs(float(self.weights.sum()) - 1) > 1e-6:
            raise ValueError("GMM weights must be >= 0 and sum to 1")

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def to_dict(self) -> dict:
        return {k: getattr(self, k).tolist() for k in ("weights", "means", "covs")}

    @classmethod
    def from_dict(cls, d: dict) -> "GMM":
        return cls(d["weights"], d["means"], d["covs"])

    def sample(self, n: int, generator: torch.Generator | None = None,
               return_labels: bool = False):
        """n draws -> (n, d) float32 (and component labels (n,) if asked)."""
        k = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        eps = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)
        L = torch.linalg.cholesky(self.covs)                       # (K, d, d)
        x = self.means[k] + (L[k] @ eps[:, :, None])[:, :, 0]      # (n, d)
        return (x.float(), k) if return_labels else x.float()

    def log_prob(self, x) -> torch.Tensor:
        """log p_X(x): x (n, d) -> (n,) float64."""
        x = torch.as_tensor(x, dtype=torch.float64)
        comp = torch.distributions.MultivariateNormal(self.means, covariance_matrix=self.covs)
        lp = comp.log_prob(x[:, None, :])                          # (n, K)
        return torch.logsumexp(lp + self.weights.clamp_min(1e-300).log(), dim=1)


def random_gmm(dim: int, n_components: int = 8, seed: int = 0,
               var_range=(0.1, 0.2)) -> GMM:
    """The coupling PWAE paper's random mixture in R^dim (means U[-1, 1]^d, diagonal variances U[var_range])."""
    if dim < 1 or n_components < 1:
        raise ValueError(f"dim and n_components must be >= 1, got {dim}, {n_components}")
    rng = np.random.default_rng(seed)
    means = rng.uniform(-1, 1, (n_components, dim))
    var = rng.uniform(*var_range, (n_components, dim))
    w = rng.uniform(0, 1, n_components)
    covs = np.stack([np.diag(v) for v in var])
    return GMM(w / w.sum(), means, covs)


def sphere_sample(gmm: GMM, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draws from the mixture, l2-normalised onto the unit sphere: (n, d)."""
    x = gmm.sample(n, generator)
    return x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)


def random_operator(d_y: int, d_x: int, seed: int = 0) -> torch.Tensor:
    """F in R^{d_y x d_x} with Gaussian entries, normalised to unit Frobenius norm (as in that paper)."""
    F = torch.as_tensor(np.random.default_rng(seed).standard_normal((d_y, d_x)))
    return (F / F.norm()).float()


def closed_form_posterior(gmm: GMM, F, sigma: float, y) -> GMM:
    """Closed-form p(x | y) for Y = F X + N(0, sigma^2 I): F (d_y, d), y (d_y,) -> GMM in R^d."""
    F = torch.as_tensor(F, dtype=torch.float64)
    y = torch.as_tensor(y, dtype=torch.float64).reshape(-1)
    if F.dim() != 2 or F.shape[1] != gmm.dim or y.numel() != F.shape[0]:
        raise ValueError(f"F must be (d_y, {gmm.dim}) and y (d_y,), got {tuple(F.shape)}, "
                         f"{tuple(y.shape)}")
    if not (math.isfinite(sigma) and sigma > 0) or not torch.isfinite(y).all():
        raise ValueError(f"sigma must be > 0 and y finite, got sigma={sigma}, y={y.tolist()}")
    prec = torch.linalg.inv(gmm.covs)                               # (K, d, d)
    covs = torch.linalg.inv(prec + F.T @ F / sigma ** 2)            # (K, d, d)
    rhs = (prec @ gmm.means[:, :, None])[:, :, 0] + F.T @ y / sigma ** 2   # (K, d)
    means = (covs @ rhs[:, :, None])[:, :, 0]                       # (K, d)
    S = F @ gmm.covs @ F.T + sigma ** 2 * torch.eye(F.shape[0], dtype=torch.float64)
    lik = torch.distributions.MultivariateNormal(gmm.means @ F.T, covariance_matrix=S)
    logw = gmm.weights.clamp_min(1e-300).log() + lik.log_prob(y)    # (K,)
    return GMM(torch.softmax(logw, 0), means, covs)


def density_grid(g: GMM, lim: float, m: int = 120):
    """The 2-D density on an m x m grid over [-lim, lim]^2 -> (grid (m,), density (m, m))."""
    if g.dim != 2:
        raise ValueError(f"density_grid needs a 2-D mixture, got dimension {g.dim}")
    t = np.linspace(-lim, lim, m)
    X, Y = np.meshgrid(t, t)
    return t, g.log_prob(np.stack([X.ravel(), Y.ravel()], 1)).exp().reshape(m, m).numpy()


def observation_line(F, y: float, half_length: float) -> tuple[np.ndarray, np.ndarray]:
    """Two end points of the line {x in R^2 : F x = y}, F (1, 2): x = y f / |f|^2 + t f_perp."""
    f = np.asarray(F, dtype=np.float64).reshape(-1)
    base, perp, t = float(y) * f / (f @ f), np.array([-f[1], f[0]]), np.array([-half_length, half_length])
    return base[0] + t * perp[0], base[1] + t * perp[1]

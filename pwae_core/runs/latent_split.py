"""How an image PWAE splits x between z1 and y's code, per noise level or mask (issue 12).

Conditional sampling draws z1 ~ N(0, I) given y's code z2; that is the posterior only if,
under the encoders, z1 = E_x(x, p) is independent of (z2, z3) = E_y(obs) *at each setting*
and carries just what the observation leaves open. ``split_stats`` measures both on test
images for one setting (a fixed sigma or mask):

- ``r2``: held-out R^2 of the best linear prediction of z1 from (z2, z3) (fit on the first
  70% of the images, scored on the rest). 0 = no linear dependence; 1 = z1 is a function
  of y's code, so drawing it from the prior ignores what y says.
- ``dcor``: bias-corrected squared distance correlation of z1 and everything D_x reads
  from y (z2, z3 and, with ``decoder_sees_y``, E_y's features h), on the first 256 images:
  any dependence, not only linear; about 0 when independent.
- ``err_encoded`` / ``err_zero`` / ``err_prior``: mean ||D_x(z1, z2) - x||^2 with z1 from
  E_x, z1 = 0 and z1 ~ N(0, I). err_zero >> err_encoded: z1 carries detail of x.
- ``spread``: mean squared distance of prior samples to their mean, the posterior's width.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from ..dependence import distance_correlation
from .evaluate import observations, setting_name


@dataclass
class SplitStats:
    """Latent-split statistics of one setting; see the module docstring."""
    setting: str
    z1_std: float
    r2: float
    dcor: float
    err_encoded: float
    err_zero: float
    err_prior: float
    spread: float
    agree: float

    def to_dict(self) -> dict:
        return asdict(self)


def heldout_r2(a: torch.Tensor, b: torch.Tensor, train: float = 0.7) -> float:
    """R^2 on held-out rows of the least-squares fit b ~ [a, 1].

    a : (N, p) predictors, b : (N, q) targets; fit on the first ``train`` share of rows,
    R^2 = 1 - sum (b - b_hat)^2 / sum (b - mean_train b)^2 on the rest (can be < 0).
    """
    n = int(train * len(a))
    if n < a.shape[1] + 2 or len(a) - n < 2:
        raise ValueError(f"need more rows than predictors: {len(a)} rows, {a.shape[1]} predictors")
    A = torch.cat([a, torch.ones(len(a), 1, dtype=a.dtype)], 1)      # (N, p + 1)
    sol = torch.linalg.lstsq(A[:n], b[:n]).solution                    # (p + 1, q)
    res = ((A[n:] @ sol - b[n:]) ** 2).sum()
    return float(1 - res / ((b[n:] - b[:n].mean(0)) ** 2).sum())


def _sq(a, b):
    return ((a - b) ** 2).flatten(1).sum(1).mean().item()


@torch.no_grad()
def split_stats(model, x: torch.Tensor, setting: dict, seed: int = 0, n_samples: int = 8) -> SplitStats:
    """SplitStats of an image PWAE on test images x (N, 1, H, W), N >= 50, for one setting
    ({"sigma": s} or {"mask": name}, as in ``evaluate``)."""
    if not hasattr(model, "encode_x") or not hasattr(model, "d1"):
        raise ValueError(f"split_stats needs an image PWAE, got a {type(model).__name__}")
    o = observations(model, x, setting, seed)
    obs = model.obs_from_y(o["y"], o["sigma"])                         # (N, 2, H, W)
    p = obs[:, 1:]
    g = torch.Generator().manual_seed(seed + 1)
    z1, z2x = model.encode_x(x, p, g)
    z2, z3, h = model.encode_y_features(obs)
    zs = torch.randn(n_samples, *z1.shape, generator=g).to(z1)         # (n, N, d1)
    s = torch.stack([model.decode_x(z, z2, p, h) for z in zs], 1)      # (N, n, 1, H, W)
    return SplitStats(
        setting=setting_name(setting), z1_std=z1.std(0).mean().item(),
        r2=heldout_r2(torch.cat([z2, z3], 1), z1),
        dcor=distance_correlation(z1[:256], torch.cat([z2, z3] + ([h] if model.n_h else []), 1)[:256]).item(),
        err_encoded=_sq(model.decode_x(z1, z2, p, h), x),
        err_zero=_sq(model.decode_x(torch.zeros_like(z1), z2, p, h), x),
        err_prior=((s - x[:, None]) ** 2).flatten(2).sum(2).mean().item(),
        spread=((s - s.mean(1, keepdim=True)) ** 2).flatten(2).sum(2).mean().item(),
        agree=_sq(z2x, z2))

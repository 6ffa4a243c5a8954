"""Dependence between two samples: the bias-corrected squared distance correlation
(Szekely, Rizzo and Bakirov 2007; U-centring: Szekely and Rizzo 2014).

For paired samples a (B, p), b (B, q) with distance matrices A_ij = |a_i - a_j|, U-centred
for i != j (diagonal 0):

    A~_ij = A_ij - A_i. / (B - 2) - A_.j / (B - 2) + A_.. / ((B - 1)(B - 2))
    dCov_u(a, b) = sum_{i != j} A~_ij B~_ij / (B (B - 3))          (unbiased)
    dCor_u(a, b) = dCov_u(a, b) / sqrt(dCov_u(a, a) dCov_u(b, b))

In the population dCor = 0 if and only if a and b are independent (any dependence, not
only linear). The plain V-statistic is strongly biased upwards in high dimension (two
independent Gaussian clouds, 16 and 56 dims, 128 rows: 0.46); the U-centred one is about 0
there. ``runs.latent_split`` uses it to measure whether an image PWAE's z1 is independent of
what D_x reads from y, as conditional sampling needs. (As a training penalty, weight 10 or
50 on denoising, it shrank z1 to std 0.1 / 0.04, and a run with the y side detached ended in
NaN, cause not isolated: it is a diagnostic only, called without gradients.)
"""
from __future__ import annotations

import torch
from torch import Tensor

from . import checks


def _u_centred(a: Tensor) -> Tensor:
    """(B, d) -> (B, B) U-centred Euclidean distance matrix, zero diagonal (cdist without
    the matmul shortcut: exact zeros and a zero subgradient on the diagonal)."""
    n = a.shape[0]
    d = torch.cdist(a, a, compute_mode="donot_use_mm_for_euclid_dist")   # (B, B)
    u = (d - d.sum(0, keepdim=True) / (n - 2) - d.sum(1, keepdim=True) / (n - 2)
         + d.sum() / ((n - 1) * (n - 2)))
    return u * (1 - torch.eye(n, dtype=a.dtype, device=a.device))


def distance_correlation(a: Tensor, b: Tensor) -> Tensor:
    """Bias-corrected squared distance correlation dCor_u(a, b) of paired rows a (B, p),
    b (B, q), B >= 4 -> scalar in [-1, 1] (about 0 for independent samples, 1 for b = a);
    0 when either sample is constant. Differentiable."""
    checks.cloud(a, "a")
    checks.cloud(b, "b")
    if a.shape[0] != b.shape[0] or a.shape[0] < 4:
        raise ValueError(f"distance correlation needs the same number (>= 4) of paired rows, "
                         f"got {a.shape[0]} and {b.shape[0]}")
    A, Bm = _u_centred(a), _u_centred(b)
    vab, vaa, vbb = (A * Bm).sum(), (A * A).sum(), (Bm * Bm).sum()   # common factor 1/(B(B-3))
    den = (vaa * vbb).sqrt()
    return torch.where(den > 0, vab / den.clamp_min(1e-30), torch.zeros_like(vab))

"""Evaluation metrics, defined once and used everywhere.

Every function accepts torch Tensors or numpy arrays (converted with ``torch.as_tensor``),
returns Tensors on the inputs' device with the inputs' floating dtype (integer inputs
become the default float dtype), and raises ValueError on shape mismatches or
non-finite values. Pairwise distances are computed in row chunks so memory stays bounded
(about ``_CHUNK_ELEMENTS`` distances at a time), with exact differences (no
``|x|^2 + |y|^2 - 2 x.y`` cancellation), so identical points are at distance exactly 0.

- ``energy_distance(a, b)``                 two sample sets          -> scalar
- ``energy_score(samples, truth)``          posterior samples        -> (B,)
- ``psnr(estimate, truth, data_range)``     point estimates          -> (B,)
- ``coverage(mean, std, truth, z)``         pixelwise intervals      -> (B,)
- ``monge_gap(x, mapped, cost)``            map optimality           -> scalar
- ``exact_ot_map(x, y, cost)``              minibatch OT assignment  -> (n, d)
- ``gaussian_ot_map(x, y)``                 closed-form linear OT    -> (d, d), (d,)
- ``high_density_ratio`` / ``std_within_modes``  GMM mode quality   -> scalar
"""
from __future__ import annotations

import math

import numpy as np
import torch

from . import checks, costs, divergences

_CHUNK_ELEMENTS = 1 << 22      # pairwise distances held in memory at once (~4M)
_EXACT = "donot_use_mm_for_euclid_dist"
EMD_MAX_ITER = 1_000_000       # POT's default 1e5 can stop early at n ~ 2048
HIGH_DENSITY_STDS = 4.0


def _same_shape(a: torch.Tensor, b: torch.Tensor, what: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{what}: expected equal shapes, got {tuple(a.shape)} and {tuple(b.shape)}")


def _nearest(points: torch.Tensor, centres: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For points ``(N, d)`` and centres ``(K, d)``: distance to and index of the nearest centre, each ``(N,)``."""
    rows = max(1, _CHUNK_ELEMENTS // centres.shape[0])
    dists, idx = [], []
    for start in range(0, points.shape[0], rows):
        d = torch.cdist(points[start:start + rows], centres, compute_mode=_EXACT)
        m = d.min(dim=1)
        dists.append(m.values)
        idx.append(m.indices)
    return torch.cat(dists), torch.cat(idx)


# ---------------------------------------------------------------------------------------
# Distribution distances
# ---------------------------------------------------------------------------------------

def energy_distance(a, b) -> torch.Tensor:
    """Energy distance (V-statistic) between samples a ``(N, D)`` and b ``(M, D)``.

    ED = 2/(N M) sum_ij |a_i - b_j| - 1/N^2 sum_ij |a_i - a_j| - 1/M^2 sum_ij |b_i - b_j|
    (Euclidean norm, diagonal terms included). Inputs with more than two dims are flattened
    to ``(N, prod(shape))``; 1-D inputs are N scalar samples. Returns a scalar >= 0.
    In 1-D this is the square of ``scipy.stats.energy_distance``. The kernel is
    ``divergences.energy`` (the training divergence), here on converted inputs.
    """
    a, b = checks.same_device((a, "a"), (b, "b"))
    a, b = checks.points(a, "a"), checks.points(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"energy_distance: a and b must have the same dimension D, "
                         f"got a {tuple(a.shape)} and b {tuple(b.shape)}")
    return divergences.energy(a, b)


def energy_score(samples, truth) -> torch.Tensor:
    """Energy score of ``n`` samples per item: samples ``(B, n, *shape)``, truth ``(B, *shape)`` -> ``(B,)``.

    ES = 1/n sum_i |s_i - x| - 1/(2 n (n-1)) sum_{i != j} |s_i - s_j|, Euclidean norm over all
    entries of ``shape``. For n == 1 it is |s - x| (a point estimate's score is its error).
    Lower is better; a proper scoring rule. Differentiable (the image PWAE trains on it
    with n = 2: (|s1 - x| + |s2 - x|) / 2 - |s1 - s2| / 2).
    """
    samples, truth = checks.same_device((samples, "samples"), (truth, "truth"))
    if samples.ndim < 2 or samples.shape[0] != truth.shape[0] or samples.shape[2:] != truth.shape[1:]:
        raise ValueError(f"energy_score: expected samples (B, n, *shape) and truth (B, *shape), "
                         f"got {tuple(samples.shape)} and {tuple(truth.shape)}")
    B, n = samples.shape[:2]
    if n == 0:
        raise ValueError("energy_score: need at least one sample per item, got n = 0")
    s = samples.reshape(B, n, -1)
    x = truth.reshape(B, 1, -1)
    error = (s - x).norm(dim=2).mean(dim=1)
    if n == 1:
        return error
    return error - _within_spread(s) / (2 * n * (n - 1))


def _within_spread(s: torch.Tensor) -> torch.Tensor:
    """``sum_{i,j} |s_bi - s_bj|`` per item for s ``(B, n, P)`` -> ``(B,)``, chunked over B."""
    B, n = s.shape[:2]
    rows = max(1, _CHUNK_ELEMENTS // (n * n))
    out = [torch.cdist(s[i:i + rows], s[i:i + rows], compute_mode=_EXACT).sum(dim=(1, 2))
           for i in range(0, B, rows)]
    return torch.cat(out)


# ---------------------------------------------------------------------------------------
# Point-estimate and uncertainty metrics
# ---------------------------------------------------------------------------------------

def psnr(estimate, truth, data_range: float = 1.0) -> torch.Tensor:
    """Peak signal-to-noise ratio per item: ``(B, *shape)`` -> ``(B,)`` in dB.

    PSNR = 10 log10(data_range^2 / MSE), MSE = mean over ``shape`` of (estimate - truth)^2;
    an exact reconstruction (MSE = 0) gives +inf.
    """
    estimate, truth = checks.same_device((estimate, "estimate"), (truth, "truth"))
    _same_shape(estimate, truth, "psnr estimate vs truth")
    if estimate.ndim == 0:
        raise ValueError("psnr: expected a batch (B, *shape), got a scalar")
    if not (data_range > 0 and math.isfinite(data_range)):
        raise ValueError(f"psnr: data_range must be a positive finite number, got {data_range}")
    mse = (estimate - truth).pow(2).reshape(estimate.shape[0], -1).mean(dim=1)
    return 10 * torch.log10(data_range ** 2 / mse)


def coverage(mean, std, truth, z: float = 1.96, where=None) -> torch.Tensor:
    """Fraction of entries inside the interval mean +- z std, per item: ``(B, *shape)`` -> ``(B,)``.

    covered = |truth - mean| <= z * std (inclusive: a zero-std exact hit counts). ``std``
    must be >= 0 and broadcastable to ``mean``'s shape (e.g. ``(B, 1, 1, 1)``).
    z = 1.96 gives nominal 95 % coverage for Gaussian errors. ``where`` (bool, same shape):
    count only those entries (e.g. the foreground ``truth > 0``); an item with none -> nan.
    """
    mean, std, truth = checks.same_device((mean, "mean"), (std, "std"), (truth, "truth"))
    _same_shape(mean, truth, "coverage mean vs truth")
    if mean.ndim == 0:
        raise ValueError("coverage: expected a batch (B, *shape), got a scalar")
    try:
        std = std.expand_as(mean)
    except RuntimeError as e:
        raise ValueError(f"coverage: std {tuple(std.shape)} must broadcast to mean "
                         f"{tuple(mean.shape)}") from e
    if (std < 0).any() or not z >= 0:
        raise ValueError(f"coverage: expected std >= 0 and z >= 0 (z = {z})")
    covered = ((truth - mean).abs() <= z * std).reshape(mean.shape[0], -1).to(mean.dtype)
    if where is None:
        return covered.mean(dim=1)
    w = torch.as_tensor(where, device=mean.device).reshape(mean.shape[0], -1).to(mean.dtype)
    return (covered * w).sum(1) / w.sum(1)


# ---------------------------------------------------------------------------------------
# Monge gap
# ---------------------------------------------------------------------------------------

def monge_gap(x, mapped, cost="sqeuclidean") -> torch.Tensor:
    """Monge gap of a map M on samples x ``(n, d)`` with mapped = M(x) ``(n, d')``.

    MG = 1/n sum_i c(x_i, M(x_i)) - min_sigma 1/n sum_i c(x_i, M(x_sigma(i)))
    (coupling PWAE paper, Sec. 4.1), the second term solved exactly as discrete OT with
    uniform weights 1/n (``ot.emd2``, ``numItermax=EMD_MAX_ITER``). ``cost``: a name or
    callable of ``costs`` (per pair, ``(B, d), (B, d') -> (B,)``). Returns a scalar >= 0 up
    to solver tolerance (computed in float64, cast back).
    """
    x, mapped = checks.same_device((x, "x"), (mapped, "mapped"))
    x, mapped = checks.points(x, "x"), checks.points(mapped, "mapped")
    if x.shape[0] != mapped.shape[0]:
        raise ValueError(f"monge_gap: x and mapped must hold the same number of points, "
                         f"got {tuple(x.shape)} and {tuple(mapped.shape)}")
    C = costs.matrix(cost, x, mapped).to(torch.float64)
    n = x.shape[0]
    w = torch.full((n,), 1.0 / n, dtype=torch.float64, device=C.device)
    import ot  # deferred: importing POT costs about a second

    optimal = ot.emd2(w, w, C, numItermax=EMD_MAX_ITER)
    return (C.diagonal().mean() - optimal).to(x.dtype)


def exact_ot_pairs(x, y, cost="sqeuclidean", F=None) -> torch.Tensor:
    """Minibatch OT assignment: sigma minimising sum_i c(x_i, y_sigma(i)) between two
    equal-size batches x ``(n, d)``, y ``(n, d')``. The exact OT plan between uniform batches
    is a permutation (Birkhoff); POT's network simplex (``ot.emd``) finds it in 25-45 ms at
    n = 512 whatever the data's offset (scipy's ``linear_sum_assignment`` took 120-150 ms on
    batches whose means are 3-10 apart). ``cost``: a ``costs`` name or callable (``F`` for
    "c_F"). Returns sigma ``(n,)`` (long, on y's device)."""
    x, y = checks.same_device((x, "x"), (y, "y"))
    x, y = checks.points(x, "x"), checks.points(y, "y")
    n = x.shape[0]
    if n != y.shape[0]:
        raise ValueError(f"exact OT pairs need batches of equal size, got {n} and {y.shape[0]}")
    import ot  # deferred: importing POT costs about a second

    with torch.no_grad():
        C = costs.matrix(cost, x, y, F)                           # the inputs' dtype: a user's
    w = np.full(n, 1 / n)                                         # callable may hold tensors
    P = ot.emd(w, w, C.cpu().double().numpy(), numItermax=EMD_MAX_ITER)
    return torch.as_tensor(P.argmax(1), device=y.device)


def exact_ot_map(x, y, cost="sqeuclidean") -> torch.Tensor:
    """Minibatch OT map x_i -> y_sigma(i) (``exact_ot_pairs``): x ``(n, d)``, y ``(n, d')``
    -> ``(n, d')``, y reordered."""
    return checks.points(y, "y")[exact_ot_pairs(x, y, cost)]


def _sqrtm(S: torch.Tensor) -> torch.Tensor:
    """Symmetric square root of an SPD matrix (d, d) by eigendecomposition."""
    w, V = torch.linalg.eigh(S)
    return (V * w.clamp_min(0).sqrt()) @ V.T


def gaussian_ot_map(x, y) -> tuple[torch.Tensor, torch.Tensor]:
    """Closed-form OT map between the Gaussians fitted to samples x (N, d) and y (M, d):
    T(x) = m_y + A (x - m_x), A = S_x^{-1/2} (S_x^{1/2} S_y S_x^{1/2})^{1/2} S_x^{-1/2}
    (Knott & Smith 1984; POT's ``ot.gaussian.bures_wasserstein_mapping``). Exact for
    Gaussian pairs, the best linear map otherwise. Returns A (d, d), symmetric, and
    b = m_y - A m_x (d,): T(x) = x @ A + b."""
    x, y = checks.same_device((x, "x"), (y, "y"))
    x, y = checks.points(x, "x"), checks.points(y, "y")
    if x.shape[1] != y.shape[1] or min(len(x), len(y)) <= x.shape[1]:
        raise ValueError(f"gaussian_ot_map needs x, y of one dimension d and more than d "
                         f"samples each, got {tuple(x.shape)} and {tuple(y.shape)}")
    a, b = x.double(), y.double()
    mx, my = a.mean(0), b.mean(0)
    Sx, Sy = torch.cov(a.T).reshape(x.shape[1], -1), torch.cov(b.T).reshape(y.shape[1], -1)
    r = _sqrtm(Sx)
    r_inv = torch.linalg.pinv(r, hermitian=True)
    A = r_inv @ _sqrtm(r @ Sy @ r) @ r_inv
    A = 0.5 * (A + A.T)
    return A.to(x.dtype), (my - mx @ A).to(x.dtype)


# ---------------------------------------------------------------------------------------
# Mode-based metrics for Gaussian-mixture data
# ---------------------------------------------------------------------------------------

def _modes_setup(samples, modes, std):
    """Validated samples ``(N, d)``, modes ``(K, d)`` and the high-density mask/assignment."""
    samples, modes = checks.same_device((samples, "samples"), (modes, "modes"))
    samples, modes = checks.points(samples, "samples"), checks.points(modes, "modes")
    if samples.shape[1] != modes.shape[1]:
        raise ValueError(f"samples (N, d) and modes (K, d) must share d, got "
                         f"{tuple(samples.shape)} and {tuple(modes.shape)}")
    std = float(std)
    if not (std > 0 and math.isfinite(std)):
        raise ValueError(f"std must be a positive finite number, got {std}")
    dist, assign = _nearest(samples, modes)
    return samples, modes, dist <= HIGH_DENSITY_STDS * std, assign


def high_density_ratio(samples, modes, std: float) -> torch.Tensor:
    """Fraction of samples ``(N, d)`` within 4 std (Euclidean) of their nearest mode ``(K, d)``."""
    samples, _, high, _ = _modes_setup(samples, modes, std)
    return high.to(samples.dtype).mean()


def std_within_modes(samples, modes, std: float) -> torch.Tensor:
    """Mean over modes of the spread of the high-density samples assigned to each mode.

    A sample is high-density if within 4 std of its nearest mode and is assigned to that
    mode. Per mode k with n_k >= 2 such samples: the unbiased per-coordinate std of those
    samples, averaged over the d coordinates; modes with n_k < 2 are skipped. Samples drawn
    from N(mode, std^2 I) give about ``std``. Returns NaN if every mode is skipped.
    """
    samples, modes, high, assign = _modes_setup(samples, modes, std)
    per_mode = []
    for k in range(modes.shape[0]):
        members = samples[high & (assign == k)]
        if members.shape[0] >= 2:
            per_mode.append(members.std(dim=0, correction=1).mean())
    if not per_mode:
        return samples.new_tensor(float("nan"))
    return torch.stack(per_mode).mean()

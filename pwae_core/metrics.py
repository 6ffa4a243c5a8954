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
- ``high_density_ratio`` / ``std_within_modes``  GMM mode quality   -> scalar
"""
from __future__ import annotations

import math

import torch

_CHUNK_ELEMENTS = 1 << 22      # pairwise distances held in memory at once (~4M)
_EXACT = "donot_use_mm_for_euclid_dist"
EMD_MAX_ITER = 1_000_000       # POT's default 1e5 can stop early at n ~ 2048
HIGH_DENSITY_STDS = 4.0


# ---------------------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------------------

def _tensor(x, name: str) -> torch.Tensor:
    """``x`` as a floating tensor; ValueError if it holds NaN or inf."""
    t = torch.as_tensor(x)
    if not t.is_floating_point():
        t = t.to(torch.get_default_dtype())
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    return t


def _common(*pairs) -> list[torch.Tensor]:
    """Convert ``(value, name)`` pairs with ``_tensor`` and cast to one promoted dtype.

    All tensors must be on the same device (ValueError otherwise).
    """
    ts = [_tensor(x, name) for x, name in pairs]
    devices = {t.device for t in ts}
    if len(devices) > 1:
        names = ", ".join(f"{n} on {t.device}" for t, (_, n) in zip(ts, pairs))
        raise ValueError(f"expected all inputs on one device, got {names}")
    dtype = ts[0].dtype
    for t in ts[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    return [t.to(dtype) for t in ts]


def _as_points(t: torch.Tensor, name: str) -> torch.Tensor:
    """Point set ``(N, D)``: 1-D ``(N,)`` -> ``(N, 1)``; ``(N, *shape)`` -> ``(N, prod(shape))``."""
    if t.ndim == 0:
        raise ValueError(f"{name} must be a point set (N, D), got a scalar")
    if t.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one point, got shape {tuple(t.shape)}")
    return t.reshape(t.shape[0], -1) if t.ndim != 1 else t[:, None]


def _same_shape(a: torch.Tensor, b: torch.Tensor, what: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{what}: expected equal shapes, got {tuple(a.shape)} and {tuple(b.shape)}")


# ---------------------------------------------------------------------------------------
# Chunked pairwise distances
# ---------------------------------------------------------------------------------------

def _pairwise_sum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``sum_ij |a_i - b_j|`` (Euclidean) for a ``(N, D)``, b ``(M, D)``, in float64 chunks."""
    rows = max(1, _CHUNK_ELEMENTS // b.shape[0])
    total = a.new_zeros((), dtype=torch.float64)
    for start in range(0, a.shape[0], rows):
        d = torch.cdist(a[start:start + rows], b, compute_mode=_EXACT)
        total = total + d.sum(dtype=torch.float64)
    return total


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
    In 1-D this is the square of ``scipy.stats.energy_distance``.
    """
    a, b = _common((a, "a"), (b, "b"))
    a, b = _as_points(a, "a"), _as_points(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"energy_distance: a and b must have the same dimension D, "
                         f"got a {tuple(a.shape)} and b {tuple(b.shape)}")
    n, m = a.shape[0], b.shape[0]
    ed = (2 * _pairwise_sum(a, b) / (n * m) - _pairwise_sum(a, a) / n ** 2
          - _pairwise_sum(b, b) / m ** 2)
    return ed.to(a.dtype)


def energy_score(samples, truth) -> torch.Tensor:
    """Energy score of ``n`` samples per item: samples ``(B, n, *shape)``, truth ``(B, *shape)`` -> ``(B,)``.

    ES = 1/n sum_i |s_i - x| - 1/(2 n (n-1)) sum_{i != j} |s_i - s_j|, Euclidean norm over all
    entries of ``shape``. For n == 1 it is |s - x| (a point estimate's score is its error).
    Lower is better; a proper scoring rule.
    """
    samples, truth = _common((samples, "samples"), (truth, "truth"))
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
    estimate, truth = _common((estimate, "estimate"), (truth, "truth"))
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
    mean, std, truth = _common((mean, "mean"), (std, "std"), (truth, "truth"))
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
    """Monge gap of a map M on samples x ``(n, d)`` with mapped = M(x) ``(n, d)``.

    MG = 1/n sum_i c(x_i, M(x_i)) - min_sigma 1/n sum_i c(x_i, M(x_sigma(i))),
    the second term solved exactly as discrete OT with uniform weights 1/n (``ot.emd2``,
    ``numItermax=EMD_MAX_ITER``). ``cost`` is "sqeuclidean" (|u - v|^2), "euclidean"
    (|u - v|) or a callable ``(x, mapped) -> (n, n)`` cost matrix C[i, j] = c(x_i, mapped_j).
    Returns a scalar >= 0 up to solver tolerance (computed in float64, cast back).
    """
    x, mapped = _common((x, "x"), (mapped, "mapped"))
    x, mapped = _as_points(x, "x"), _as_points(mapped, "mapped")
    _same_shape(x, mapped, "monge_gap x vs mapped")
    C = _cost_matrix(x, mapped, cost).to(torch.float64)
    n = x.shape[0]
    w = torch.full((n,), 1.0 / n, dtype=torch.float64, device=C.device)
    import ot  # deferred: importing POT costs about a second

    optimal = ot.emd2(w, w, C, numItermax=EMD_MAX_ITER)
    return (C.diagonal().mean() - optimal).to(x.dtype)


def _cost_matrix(x: torch.Tensor, y: torch.Tensor, cost) -> torch.Tensor:
    """``(n, n)`` matrix C[i, j] = c(x_i, y_j) for a named or callable cost."""
    n = x.shape[0]
    if callable(cost):
        C = torch.as_tensor(cost(x, y))
    elif cost in ("sqeuclidean", "euclidean"):
        C = torch.cdist(x, y, compute_mode=_EXACT)
        C = C.pow(2) if cost == "sqeuclidean" else C
    else:
        raise ValueError(f"cost must be 'sqeuclidean', 'euclidean' or a callable, got {cost!r}")
    if C.shape != (n, n) or not torch.isfinite(C).all():
        raise ValueError(f"cost matrix must be finite with shape ({n}, {n}), got {tuple(C.shape)}")
    return C


# ---------------------------------------------------------------------------------------
# Mode-based metrics for Gaussian-mixture data
# ---------------------------------------------------------------------------------------

def _modes_setup(samples, modes, std):
    """Validated samples ``(N, d)``, modes ``(K, d)`` and the high-density mask/assignment."""
    samples, modes = _common((samples, "samples"), (modes, "modes"))
    samples, modes = _as_points(samples, "samples"), _as_points(modes, "modes")
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

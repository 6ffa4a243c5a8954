"""Latent divergences D(x, y) between two point clouds, as differentiable scalars.

Every divergence is a pure function ``f(x, y) -> Tensor`` (0-dim) with
``x: (N, d)`` and ``y: (M, d)`` samples of two distributions (uniform weights).
Results follow the inputs' device and dtype; gradients flow to both ``x`` and ``y``.

    energy    2 E|X-Y| - E|X-X'| - E|Y-Y'|           (V-statistic, Euclidean norm)
    mmd       multi-scale inverse-multiquadratic MMD^2 (U-statistic, WAE paper)
    sinkhorn  debiased entropic OT, cost |a-b|^2     (log-domain, eps-annealing)
    sliced    sliced Wasserstein-2 squared           (random unit directions)

``DIVERGENCES`` maps names to functions; ``get(name)`` looks one up.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from . import checks

_EXP_FLOOR = -80.0  # exp() of anything below ~-87 hits denormals: ~10x slower on CPU
_CHUNK_ELEMENTS = 1 << 22   # pairwise distances held in memory at once (~4M)


# ---------------------------------------------------------------- validation

def check_pair(x, y) -> None:
    """Validate a pair of clouds x: (N, d), y: (M, d): same d, dtype and device, finite.

    Raises ``ValueError`` naming what was expected, e.g. "x must have shape (N, d) ...".
    """
    checks.cloud(x, "x")
    checks.cloud(y, "y")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same dimension d, got x: {tuple(x.shape)}, y: {tuple(y.shape)}")
    if x.dtype != y.dtype or x.device != y.device:
        raise ValueError(f"x and y must share dtype and device, got {x.dtype}/{x.device} and {y.dtype}/{y.device}")


def _sqdist(x: Tensor, y: Tensor) -> Tensor:
    """Squared Euclidean distances C_ij = |x_i - y_j|^2, (N, d), (M, d) -> (N, M).

    Uses |a|^2 + |b|^2 - 2 a.b clamped at 0 (no sqrt, so gradients stay finite at 0).
    """
    x2 = (x * x).sum(1, keepdim=True)
    y2 = (y * y).sum(1, keepdim=True)
    return (x2 + y2.T - 2.0 * x @ y.T).clamp_min(0.0)


# ---------------------------------------------------------------- energy

def mean_distance(a: Tensor, b: Tensor) -> Tensor:
    """E|A - B| = 1/(N M) sum_ij |a_i - b_j| (Euclidean) for a (N, d), b (M, d) -> scalar.

    ``torch.cdist`` without the matmul shortcut (exact zeros on the diagonal and a zero
    (sub)gradient there instead of NaN), in row chunks of about ``_CHUNK_ELEMENTS``
    distances, summed in float64; the result has a's dtype. Differentiable.
    """
    rows = max(1, _CHUNK_ELEMENTS // b.shape[0])
    total = a.new_zeros((), dtype=torch.float64)
    for start in range(0, a.shape[0], rows):
        d = torch.cdist(a[start:start + rows], b, compute_mode="donot_use_mm_for_euclid_dist")
        total = total + d.sum(dtype=torch.float64)
    return (total / (a.shape[0] * b.shape[0])).to(a.dtype)


def energy(x: Tensor, y: Tensor) -> Tensor:
    """Energy distance 2 E|X-Y| - E|X-X'| - E|Y-Y'| (Euclidean norm), >= 0.

    V-statistic: each expectation is the mean over all pairs, diagonal included, so
    ``energy(x, x) == 0`` exactly. x: (N, d), y: (M, d) -> scalar. The one energy kernel
    of the package: ``metrics.energy_distance`` calls it on flattened samples.
    """
    check_pair(x, y)
    return 2.0 * mean_distance(x, y) - mean_distance(x, x) - mean_distance(y, y)


# ---------------------------------------------------------------- mmd

def _imq(c: Tensor, d: int, scales) -> Tensor:
    """Sum over scales s of C / (C + c) with C = 2 d s; c: squared distances (N, M)."""
    out = torch.zeros_like(c)
    for s in scales:
        big_c = 2.0 * d * float(s)
        out = out + big_c / (big_c + c)
    return out


def mmd(x: Tensor, y: Tensor, scales=(0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)) -> Tensor:
    """Unbiased MMD^2 with the multi-scale inverse-multiquadratic kernel of WAE.

    k(a, b) = sum_s C_s / (C_s + |a-b|^2), C_s = 2 d s (Tolstikhin et al. 2018, prior
    variance 1). U-statistic, x: (N, d), y: (M, d), N, M >= 2 -> scalar:
        sum_{i!=j} k(x_i,x_j) / N(N-1) + sum_{i!=j} k(y_i,y_j) / M(M-1) - 2 mean k(x_i,y_j).
    Unbiased, hence can be slightly negative; on identical samples it equals
    -2 / (N-1) * (len(scales) - mean_ij k(x_i, x_j)), not 0.
    """
    check_pair(x, y)
    n, m, d = x.shape[0], y.shape[0], x.shape[1]
    if n < 2 or m < 2:
        raise ValueError(f"mmd needs N, M >= 2 samples (U-statistic), got N={n}, M={m}")
    k0 = float(len(scales))  # k(a, a): every scale contributes 1
    kxx = (_imq(_sqdist(x, x), d, scales).sum() - n * k0) / (n * (n - 1))
    kyy = (_imq(_sqdist(y, y), d, scales).sum() - m * k0) / (m * (m - 1))
    kxy = _imq(_sqdist(x, y), d, scales).mean()
    return kxx + kyy - 2.0 * kxy


# ---------------------------------------------------------------- sinkhorn

def _softmin(eps: float, cost: Tensor, h: Tensor) -> Tensor:
    """Row soft-min f_i = -eps log sum_j exp(h_j - C_ij / eps); cost (N, M), h (M,) -> (N,).

    Log-sum-exp with the shifted exponent clamped at -80 (weights < e^-80 are dropped).
    """
    z = h[None, :] - cost / eps
    zmax = z.max(dim=1, keepdim=True).values
    s = (z - zmax).clamp_min(_EXP_FLOOR).exp().sum(dim=1)
    return -eps * (zmax.squeeze(1) + s.log())


def _eps_schedule(diameter2: float, eps: float) -> list:
    """eps-annealing: diameter^2, 0.9 diameter^2, ... down to (and ending at) eps."""
    if diameter2 <= eps:
        return [eps]
    steps = int(math.ceil(math.log(eps / diameter2) / math.log(0.9)))
    return [diameter2 * 0.9 ** k for k in range(steps)] + [eps]


def _sinkhorn_potentials(cost: Tensor, schedule: list, tol: float, max_iter: int, symmetric: bool = False):
    """Dual potentials (f (N,), g (M,)) of OT_eps for a detached cost (N, M), uniform weights a, b.

    Log-domain Sinkhorn, one sweep per annealing eps, then sweeps at the final eps until the
    potentials move less than ``tol * eps`` (max-abs; a change of tol * eps is a marginal
    violation of about ``tol`` relative) or ``max_iter`` sweeps:
      x vs y:   f = softmin_eps(C, log b + g/eps), then g = softmin_eps(C^T, log a + f/eps);
                change measured on (f - mean f, g - mean g): the shift (f + c, g - c) leaves
                plan and value unchanged but drifts very slowly, so it must not block convergence.
      x vs x:   p = (p + softmin_eps(C, log a + p/eps)) / 2, f = g = p (averaged symmetric update,
                converges in a few sweeps where the alternating one crawls).
    Returns (f, g, sweeps_at_final_eps).
    """
    n, m = cost.shape
    log_a = torch.full((n,), -math.log(n), dtype=cost.dtype, device=cost.device)
    log_b = torch.full((m,), -math.log(m), dtype=cost.dtype, device=cost.device)

    def sweep(e, f, g):
        if symmetric:
            p = 0.5 * (f + _softmin(e, cost, log_a + f / e))
            return p, p
        f = _softmin(e, cost, log_b + g / e)
        return f, _softmin(e, cost.T, log_a + f / e)

    f, g = torch.zeros_like(log_a), torch.zeros_like(log_b)
    for e in schedule[:-1]:
        f, g = sweep(e, f, g)
    eps, it = schedule[-1], 0
    center = (lambda t: t) if symmetric else (lambda t: t - t.mean())
    for it in range(1, max_iter + 1):
        f_new, g_new = sweep(eps, f, g)
        delta = max((center(f_new) - center(f)).abs().max().item(),
                    (center(g_new) - center(g)).abs().max().item())
        f, g = f_new, g_new
        if delta < tol * eps:
            break
    return f, g, it


def _ot_eps(x: Tensor, y: Tensor, eps: float, schedule: list, tol: float, max_iter: int,
            symmetric: bool = False) -> Tensor:
    """Entropic OT_eps(x, y) = <a, f> + <b, g>, cost |a-b|^2, with envelope-theorem gradients.

    Potentials are solved without autograd; then f is recomputed once from the detached g
    through the differentiable cost, so d/dx, d/dy = sum_j pi_ij dC_ij (the exact gradient
    at convergence; for y = x both arguments' terms). x: (N, d), y: (M, d) -> scalar.
    """
    cost = _sqdist(x, y)
    with torch.no_grad():
        f, g, _ = _sinkhorn_potentials(cost.detach(), schedule, tol, max_iter, symmetric)
    log_b = torch.full_like(g, -math.log(y.shape[0]))
    f = _softmin(eps, cost, log_b + g / eps)
    return f.mean() + g.mean()


def sinkhorn(x: Tensor, y: Tensor, eps: float = 0.05, tol: float = 1e-2, max_iter: int = 1000) -> Tensor:
    """Debiased Sinkhorn divergence S_eps = OT_eps(x,y) - OT_eps(x,x)/2 - OT_eps(y,y)/2.

    OT_eps(a, b) = min_pi <pi, C> + eps KL(pi | a x b), C_ij = |x_i - y_j|^2 (so S_eps -> W2^2
    as eps -> 0), uniform weights. ``eps`` is absolute, in squared-distance units. Annealing
    starts at the squared diameter max_ij C_ij of x U y and shrinks by 0.9 per sweep; at the
    target eps, sweeps continue until the potentials move less than ``tol * eps`` per sweep
    (marginals right to ~tol relative; OT values then within ~0.002 eps) or ``max_iter``
    sweeps are done. Vs exact W2^2: |S_eps - W2^2| is O(eps) (~0.5 eps measured for N != M).
    x: (N, d), y: (M, d) -> scalar, >= 0 up to solver tolerance.
    """
    check_pair(x, y)
    if eps <= 0 or max_iter < 1:
        raise ValueError(f"need eps > 0 and max_iter >= 1, got eps={eps}, max_iter={max_iter}")
    with torch.no_grad():
        z = torch.cat([x, y]).detach()
        diameter2 = float(_sqdist(z, z).max())  # max_ij |z_i - z_j|^2 over x U y
    schedule = _eps_schedule(diameter2, eps)
    ot_xy = _ot_eps(x, y, eps, schedule, tol, max_iter)
    ot_xx = _ot_eps(x, x, eps, schedule, tol, max_iter, symmetric=True)
    ot_yy = _ot_eps(y, y, eps, schedule, tol, max_iter, symmetric=True)
    return ot_xy - 0.5 * ot_xx - 0.5 * ot_yy


# ---------------------------------------------------------------- sliced

def _w2sq_1d(xs: Tensor, ys: Tensor) -> Tensor:
    """Exact W2^2 per column between sorted 1-D samples xs (N, P), ys (M, P) -> (P,).

    W2^2 = int_0^1 (F^-1(t) - G^-1(t))^2 dt; the quantile functions are step functions
    with jumps at k/N and k/M, so the integral is a finite sum over the merged grid.
    N == M reduces to mean_i (xs_i - ys_i)^2.
    """
    n, m = xs.shape[0], ys.shape[0]
    if n == m:
        return (xs - ys).square().mean(0)
    opts = dict(dtype=torch.float64, device=xs.device)
    t = torch.unique(torch.cat([torch.arange(1, n + 1, **opts) / n, torch.arange(1, m + 1, **opts) / m]))
    t = torch.cat([t.new_zeros(1), t])
    widths, mid = t.diff(), 0.5 * (t[1:] + t[:-1])
    ix = (mid * n).floor().long().clamp_max(n - 1)
    iy = (mid * m).floor().long().clamp_max(m - 1)
    return ((xs[ix] - ys[iy]).square() * widths.to(xs.dtype)[:, None]).sum(0)


def sliced(x: Tensor, y: Tensor, n_proj: int = 128, generator: torch.Generator | None = None) -> Tensor:
    """Sliced Wasserstein-2 squared: mean over random unit directions theta of W2^2(x.theta, y.theta).

    theta_k ~ uniform on the sphere (normalised Gaussians, from ``generator`` or the global
    RNG); each 1-D W2^2 is exact from sorted projections. N != M is supported exactly via
    the merged quantile grid (see ``_w2sq_1d``). Always <= W2^2(x, y); for d == 1 equal.
    x: (N, d), y: (M, d) -> scalar.
    """
    check_pair(x, y)
    if n_proj < 1:
        raise ValueError(f"n_proj must be >= 1, got {n_proj}")
    theta = torch.randn(x.shape[1], n_proj, generator=generator, dtype=x.dtype,
                        device=generator.device if generator is not None else x.device)
    theta = theta.to(x.device)
    theta = theta / theta.norm(dim=0, keepdim=True)
    xs = (x @ theta).sort(dim=0).values
    ys = (y @ theta).sort(dim=0).values
    return _w2sq_1d(xs, ys).mean()


def gaussian_moments(z: Tensor) -> Tensor:
    """Moment gap of a code cloud to N(0, I): ||mean(z)||^2 + ||Cov(z) - I||_F^2.

    z: (N, d) -> scalar. Cheap (one d x d product) and strong against the typical WAE
    failures (shrunk or collapsed dimensions, correlated blocks such as z1 vs z2); used
    next to a divergence, which handles what the first two moments cannot see.
    """
    checks.cloud(z, "z")
    if z.shape[0] < 2:
        raise ValueError(f"z needs at least 2 rows, got {z.shape[0]}")
    mu = z.mean(0)
    zc = z - mu                                                  # (N, d)
    cov = zc.T @ zc / (z.shape[0] - 1)                           # (d, d)
    eye = torch.eye(z.shape[1], dtype=z.dtype, device=z.device)
    return (mu ** 2).sum() + ((cov - eye) ** 2).sum()


# ---------------------------------------------------------------- registry

DIVERGENCES = {"energy": energy, "mmd": mmd, "sinkhorn": sinkhorn, "sliced": sliced}


def get(name: str):
    """Divergence function by name; ``ValueError`` listing valid names if unknown."""
    try:
        return DIVERGENCES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown divergence {name!r}; valid names: {sorted(DIVERGENCES)}") from None

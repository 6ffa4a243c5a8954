"""Tests of pwae_core.divergences: metric sanity, exact references (POT, scipy), ranking.

All tests are parametrised over the registry where the property is shared. Runs on one
thread (restored afterwards): the clouds are tiny, and two OpenMP threads on a loaded
2-core machine make single calls stall for seconds.
"""
from functools import lru_cache

import numpy as np
import ot
import pytest
import scipy.stats
import torch

from pwae_core import divergences as dv

NAMES = sorted(dv.DIVERGENCES)
SELF_TOL = {"energy": 1e-12, "sliced": 1e-12, "sinkhorn": 1e-5}  # mmd: see test_mmd_self_value


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def cloud(seed, n, d, scale=1.0, shift=0.0, dtype=torch.float64):
    """scale * N(0, I_d) + shift, (n, d), from a fixed seed."""
    g = torch.Generator().manual_seed(seed)
    return scale * torch.randn(n, d, generator=g, dtype=dtype) + shift


def D(name, x, y, **kw):
    """Divergence by name; sliced gets a fixed generator so repeated calls agree."""
    if name == "sliced":
        kw.setdefault("generator", torch.Generator().manual_seed(0))
    return dv.get(name)(x, y, **kw)


def w2sq(x, y):
    """Exact W2^2 between uniform empirical measures, POT network simplex."""
    a, b = np.full(len(x), 1 / len(x)), np.full(len(y), 1 / len(y))
    return float(ot.emd2(a, b, ot.dist(x.numpy(), y.numpy())))


# ---------------------------------------------------------------- metric sanity

@pytest.mark.parametrize("name", NAMES)
def test_registry_get(name):
    assert dv.get(name) is dv.DIVERGENCES[name]


@pytest.mark.parametrize("name", [n for n in NAMES if n != "mmd"])
def test_self_is_zero(name):
    x = cloud(0, 64, 5)
    assert abs(D(name, x, x).item()) < SELF_TOL[name]


def test_mmd_self_value():
    """Unbiased MMD^2 on identical samples = -2/(N-1) (K0 - mean_ij k(x_i, x_j)), K0 = #scales."""
    x = cloud(0, 64, 5)
    kmean = dv._imq(dv._sqdist(x, x), 5, (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)).mean()
    expected = -2.0 / 63 * (7 - kmean)
    assert D("mmd", x, x).item() == pytest.approx(expected.item(), rel=1e-10)
    assert -2 * 7 / 63 < expected < 0


@pytest.mark.parametrize("name", NAMES)
def test_symmetric(name):
    x, y = cloud(1, 40, 3), cloud(2, 50, 3, scale=0.7, shift=0.3)
    tol = 1e-4 if name == "sinkhorn" else 1e-12  # sinkhorn: solver tolerance (measured 1e-6)
    assert D(name, x, y).item() == pytest.approx(D(name, y, x).item(), rel=tol)


@pytest.mark.parametrize("name", NAMES)
def test_positive_for_different_clouds(name):
    x, y = cloud(3, 64, 3), cloud(4, 64, 3, shift=1.0)
    assert D(name, x, y).item() > 0.1


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", NAMES)
def test_gradients_flow_and_dtype_follows(name, dtype):
    x = cloud(5, 32, 4, dtype=dtype).requires_grad_(True)
    y = cloud(6, 32, 4, shift=0.5, dtype=dtype).requires_grad_(True)
    loss = D(name, x, y)
    assert loss.dtype == dtype and loss.ndim == 0
    loss.backward()
    for t in (x, y):
        assert t.grad.dtype == dtype
        assert torch.isfinite(t.grad).all() and t.grad.abs().sum() > 0


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_finite_differences(name):
    """Autograd vs central differences in float64; sinkhorn's envelope-theorem gradient included."""
    kw = {"eps": 0.5, "tol": 1e-10, "max_iter": 100000} if name == "sinkhorn" else {}
    x, y = cloud(7, 6, 2), cloud(8, 5, 2, shift=0.4)
    x.requires_grad_(True)
    y.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a, b: D(name, a, b, **kw), (x, y), atol=1e-6, rtol=1e-4)


def test_mean_distance_is_the_mean_pairwise_norm_in_any_chunking(monkeypatch):
    a, b = cloud(19, 33, 4), cloud(20, 17, 4)
    want = (a[:, None] - b[None]).norm(dim=-1).mean()
    assert dv.mean_distance(a, b).item() == pytest.approx(want.item(), rel=1e-12)
    monkeypatch.setattr(dv, "_CHUNK_ELEMENTS", 40)               # 2 rows of b at a time
    assert dv.mean_distance(a, b).item() == pytest.approx(want.item(), rel=1e-12)
    assert dv.mean_distance(a.float(), b.float()).dtype == torch.float32


def test_energy_gradient_finite_with_duplicate_points():
    x = cloud(9, 16, 3)
    x = torch.cat([x, x[:4]]).requires_grad_(True)  # exact duplicates: zero distances off-diagonal
    dv.energy(x, cloud(10, 16, 3)).backward()
    assert torch.isfinite(x.grad).all()


# ---------------------------------------------------------------- exact references

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sinkhorn_small_eps_matches_exact_w2_equal_sizes(seed):
    """N == M: the OT plan is a permutation, its entropy cancels in the debiasing, and
    S_eps -> W2^2 fast; measured |rel. error| <= 2.2e-4 at eps = 0.002 over 6 seeds (2.3e-3 at
    eps = 0.01), W2^2 ~ 1: assert 1e-3 at eps = 0.002."""
    x, y = cloud(seed, 30, 2), cloud(100 + seed, 30, 2, scale=0.7, shift=0.3)
    assert dv.sinkhorn(x, y, eps=0.002).item() == pytest.approx(w2sq(x, y), rel=1e-3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sinkhorn_small_eps_matches_exact_w2_unequal_sizes(seed):
    """N != M: the optimal plan splits mass, its entropy does not cancel: S_eps - W2^2 = O(eps),
    measured -0.44 .. -0.52 eps at eps in {0.01, 0.002} (6 seeds); assert |error| <= eps and shrinking."""
    x, y = cloud(seed, 30, 3), cloud(100 + seed, 20, 3, scale=0.7, shift=0.3)
    exact = w2sq(x, y)
    errs = [abs(dv.sinkhorn(x, y, eps=e).item() - exact) for e in (0.01, 0.002)]
    assert errs[0] <= 0.01 and errs[1] <= 0.002 and errs[1] < errs[0]


@pytest.mark.parametrize("n, m", [(30, 30), (30, 20)])
def test_sliced_is_lower_bound_of_w2(n, m):
    """Each projected coupling is a coupling of the projections, and |theta| = 1: SW2^2 <= W2^2."""
    x, y = cloud(11, n, 3), cloud(12, m, 3, scale=0.7, shift=0.3)
    assert dv.sliced(x, y, n_proj=256).item() <= w2sq(x, y) + 1e-12


@pytest.mark.parametrize("n, m", [(40, 40), (40, 25)])
def test_sliced_equals_w2_in_1d(n, m):
    """d = 1: theta = +-1, so SW2^2 = W2^2 exactly (sorted matching; merged quantile grid if N != M)."""
    x, y = cloud(13, n, 1), cloud(14, m, 1, scale=0.5, shift=0.2)
    assert dv.sliced(x, y, n_proj=3).item() == pytest.approx(w2sq(x, y), rel=1e-10)
    if n == m:
        sorted_msd = (x.sort(0).values - y.sort(0).values).square().mean().item()
        assert dv.sliced(x, y, n_proj=3).item() == pytest.approx(sorted_msd, rel=1e-12)


def test_energy_matches_scipy_1d():
    """scipy.stats.energy_distance = sqrt(2 E|X-Y| - E|X-X'| - E|Y-Y'|) (V-statistic): square it."""
    x, y = cloud(15, 50, 1), cloud(16, 70, 1, scale=2.0, shift=0.3)
    ref = scipy.stats.energy_distance(x[:, 0].numpy(), y[:, 0].numpy()) ** 2
    assert dv.energy(x, y).item() == pytest.approx(ref, rel=1e-10)


def test_mmd_matches_naive_double_loop():
    x, y = cloud(17, 5, 3), cloud(18, 4, 3, shift=0.5)
    k = lambda a, b: sum(2 * 3 * s / (2 * 3 * s + float(((a - b) ** 2).sum()))  # noqa: E731
                         for s in (0.1, 0.2, 0.5, 1, 2, 5, 10))
    kxx = sum(k(x[i], x[j]) for i in range(5) for j in range(5) if i != j) / 20
    kyy = sum(k(y[i], y[j]) for i in range(4) for j in range(4) if i != j) / 12
    kxy = sum(k(x[i], y[j]) for i in range(5) for j in range(4)) / 20
    assert dv.mmd(x, y).item() == pytest.approx(kxx + kyy - 2 * kxy, rel=1e-10)


# ---------------------------------------------------------------- ranking (project notes)

@lru_cache(maxsize=None)
def ranking(name, d, n=128, seeds=10):
    """Mean over seeds of D(x, y) for x = same N(0,I), shrunk 0.8 N(0,I), shifted N(0.5, I);
    y ~ N(0, I) reference, all (n, d) float32 as in training."""
    out = np.zeros(3)
    for s in range(seeds):
        y = cloud(1000 + s, n, d, dtype=torch.float32)
        xs = [cloud(2000 + s, n, d, dtype=torch.float32),
              cloud(3000 + s, n, d, scale=0.8, dtype=torch.float32),
              cloud(4000 + s, n, d, shift=0.5, dtype=torch.float32)]
        out += [D(name, x, y).item() for x in xs]
    return tuple(out / seeds)


MISRANKS_AT_D16 = pytest.mark.xfail(
    strict=True, reason="minibatch Sinkhorn at eps=0.05 ~ W2^2, whose n=128 sampling bias in d=16 "
    "favours the shrunk cloud: measured same 14.2 > shrunk 12.0 (shifted 17.8)")


@pytest.mark.parametrize("name", [pytest.param(n, marks=MISRANKS_AT_D16) if n == "sinkhorn" else n
                                  for n in NAMES])
def test_ranking_d16(name):
    same, shrunk, shifted = ranking(name, 16)
    assert same < shrunk and same < shifted


def test_sinkhorn_shifted_still_ranked_at_d16():
    same, shrunk, shifted = ranking("sinkhorn", 16)
    assert shrunk < same < shifted  # documents the misranking: only the shift is seen


@pytest.mark.parametrize("name", NAMES)
def test_ranking_d2(name):
    same, shrunk, shifted = ranking(name, 2)
    assert same < shrunk and same < shifted


# ---------------------------------------------------------------- bad input

# The clouds' own checks (shape, dtype, finiteness) are tested once, in test_checks.py
# (checks.cloud); here: the pair checks of ``check_pair`` and that every divergence routes
# bad input to a ValueError.
PAIR = {
    "dim_mismatch": (lambda: (torch.zeros(4, 2), torch.zeros(4, 3)), "same dimension d"),
    "dtype_mismatch": (lambda: (torch.zeros(3, 2), torch.zeros(3, 2, dtype=torch.float64)), "dtype"),
}


@pytest.mark.parametrize("case", sorted(PAIR))
@pytest.mark.parametrize("name", NAMES)
def test_pair_checks(name, case):
    make, match = PAIR[case]
    with pytest.raises(ValueError, match=match):
        D(name, *make())


@pytest.mark.parametrize("x, y", [(np.zeros((3, 2)), torch.zeros(3, 2)),
                                  (torch.zeros(3, 2), torch.zeros(3, 2, dtype=torch.long))],
                         ids=["numpy", "integer"])
@pytest.mark.parametrize("name", NAMES)
def test_bad_clouds_are_value_errors(name, x, y):
    with pytest.raises(ValueError, match="must"):
        D(name, x, y)


def test_mmd_needs_two_samples():
    with pytest.raises(ValueError, match="N, M >= 2"):
        dv.mmd(torch.zeros(1, 2), torch.zeros(3, 2))


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="energy.*mmd.*sinkhorn.*sliced"):
        dv.get("wasserstein")


# ---------------------------------------------------------------- gaussian_moments

def test_gaussian_moments_closed_form():
    """N(0, I) scores ~ sampling noise; s * N(0, I) scores d (1 - s^2)^2 + noise."""
    g = torch.Generator().manual_seed(0)
    z = torch.randn(20000, 8, generator=g, dtype=torch.float64)
    assert dv.gaussian_moments(z) < 0.02
    assert abs(dv.gaussian_moments(0.5 * z) - 8 * 0.75 ** 2) < 0.05
    shifted = z + torch.tensor([1.0] + [0.0] * 7, dtype=torch.float64)
    assert abs(dv.gaussian_moments(shifted) - 1.0) < 0.05


def test_gaussian_moments_sees_correlated_blocks():
    g = torch.Generator().manual_seed(1)
    a = torch.randn(5000, 2, generator=g)
    dup = torch.cat([a, a], 1) / 1.0          # z1 duplicates z2: Cov has off-diagonal 1s
    indep = torch.randn(5000, 4, generator=g)
    assert dv.gaussian_moments(dup) > 3.5 > 0.1 > dv.gaussian_moments(indep)


def test_gaussian_moments_needs_two_rows():
    with pytest.raises(ValueError, match="at least 2 rows"):
        dv.gaussian_moments(torch.zeros(1, 3))


@pytest.mark.parametrize("call, match", [
    (lambda: dv.sinkhorn(torch.zeros(3, 2), torch.ones(3, 2), eps=0.0), "eps > 0"),
    (lambda: dv.sinkhorn(torch.zeros(3, 2), torch.ones(3, 2), max_iter=0), "max_iter >= 1"),
    (lambda: dv.sliced(torch.zeros(3, 2), torch.ones(3, 2), n_proj=0), "n_proj"),
])
def test_solver_settings_are_checked(call, match):
    with pytest.raises(ValueError, match=match):
        call()

"""Tests for pwae_core.metrics."""
import math
import warnings

import numpy as np
import pytest
import scipy.stats
import torch

from pwae_core import costs, divergences, metrics


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------------------
# Energy distance
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(50, 3), (20, 1, 4, 4), (30,)])
def test_energy_distance_self_zero(shape):
    a = torch.randn(shape, generator=_gen())
    assert metrics.energy_distance(a, a).item() == 0.0


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_energy_distance_symmetric_nonnegative_dtype(dtype):
    a = torch.randn(40, 5, generator=_gen(1), dtype=dtype)
    b = torch.randn(25, 5, generator=_gen(2), dtype=dtype) + 0.5
    ab, ba = metrics.energy_distance(a, b), metrics.energy_distance(b, a)
    assert ab.dtype == dtype and ab.shape == ()
    assert ab > 0 and torch.allclose(ab, ba)


def test_energy_distance_matches_explicit_formula():
    a = torch.randn(7, 3, generator=_gen(3), dtype=torch.float64)
    b = torch.randn(5, 3, generator=_gen(4), dtype=torch.float64)
    d = lambda u, v: (u[:, None] - v[None]).norm(dim=-1)  # noqa: E731
    want = 2 * d(a, b).mean() - d(a, a).mean() - d(b, b).mean()
    assert torch.allclose(metrics.energy_distance(a, b), want)


def test_energy_distance_is_scipy_squared_in_1d():
    """scipy returns sqrt(2 int (F - G)^2) = sqrt(our V-statistic ED)."""
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=60), rng.normal(0.7, 2.0, size=45)
    ours = metrics.energy_distance(u, v).item()
    assert ours == pytest.approx(scipy.stats.energy_distance(u, v) ** 2, rel=1e-10)


def test_energy_distance_is_the_training_divergence_on_flattened_samples():
    a = torch.randn(12, 1, 2, 3, generator=_gen(5), dtype=torch.float64)
    b = torch.randn(9, 1, 2, 3, generator=_gen(6), dtype=torch.float64)
    assert torch.equal(metrics.energy_distance(a, b), divergences.energy(a.flatten(1), b.flatten(1)))


def test_energy_distance_needs_one_dimension():
    with pytest.raises(ValueError, match="same dimension D"):
        metrics.energy_distance(torch.zeros(4, 3), torch.zeros(4, 2))


# ---------------------------------------------------------------------------------------
# Energy score
# ---------------------------------------------------------------------------------------

def test_energy_score_single_sample_is_l2_error():
    truth = torch.randn(6, 1, 4, 4, generator=_gen(7))
    est = torch.randn(6, 1, 4, 4, generator=_gen(8))
    es = metrics.energy_score(est[:, None], truth)
    assert es.shape == (6,)
    assert torch.allclose(es, (est - truth).flatten(1).norm(dim=1))


def test_energy_score_perfect_samples_zero():
    truth = torch.randn(5, 2, 3, generator=_gen(9))
    samples = truth[:, None].expand(5, 8, 2, 3)
    assert torch.equal(metrics.energy_score(samples, truth), torch.zeros(5))


def test_energy_score_matches_explicit_formula():
    s = torch.randn(3, 4, 5, generator=_gen(10), dtype=torch.float64)
    x = torch.randn(3, 5, generator=_gen(11), dtype=torch.float64)
    n = 4
    err = (s - x[:, None]).norm(dim=-1).mean(1)
    spread = (s[:, :, None] - s[:, None]).norm(dim=-1).sum((1, 2)) / (2 * n * (n - 1))
    assert torch.allclose(metrics.energy_score(s, x), err - spread)


def test_two_sample_energy_score_is_the_closed_form():
    """n = 2 (the image PWAE's training term): (|s1 - x| + |s2 - x|) / 2 - |s1 - s2| / 2."""
    s1, s2, x = (torch.rand(5, 1, 28, 28, generator=_gen(s), dtype=torch.float64) for s in (30, 31, 32))
    d = lambda a, b: (a - b).flatten(1).norm(dim=1)  # noqa: E731
    want = (d(s1, x) + d(s2, x)) / 2 - d(s1, s2) / 2
    assert torch.allclose(metrics.energy_score(torch.stack([s1, s2], 1), x), want, atol=1e-12)
    assert torch.equal(metrics.energy_score(torch.stack([x, x], 1), x), torch.zeros(5, dtype=torch.float64))


def test_energy_score_is_the_same_in_chunks(monkeypatch):
    s = torch.randn(7, 4, 5, generator=_gen(33), dtype=torch.float64)
    x = torch.randn(7, 5, generator=_gen(34), dtype=torch.float64)
    whole = metrics.energy_score(s, x)
    monkeypatch.setattr(metrics, "_CHUNK_ELEMENTS", 40)             # 2 items of 4 x 4 at a time
    assert torch.allclose(metrics.energy_score(s, x), whole, atol=1e-12)


def test_energy_score_is_proper():
    """Samples from the true N(0, I) score lower than from a too-narrow N(0, 0.3^2 I)."""
    B, n, d = 2000, 10, 8
    truth = torch.randn(B, d, generator=_gen(12))
    right = torch.randn(B, n, d, generator=_gen(13))
    narrow = 0.3 * torch.randn(B, n, d, generator=_gen(14))
    assert metrics.energy_score(right, truth).mean() < metrics.energy_score(narrow, truth).mean()


@pytest.mark.parametrize("samples, truth", [
    (torch.zeros(3, 4, 5), torch.zeros(3, 6)),
    (torch.zeros(3, 4, 5), torch.zeros(2, 5)),
    (torch.zeros(3, 0, 5), torch.zeros(3, 5)),
])
def test_energy_score_bad_shapes(samples, truth):
    with pytest.raises(ValueError, match="expected|at least"):
        metrics.energy_score(samples, truth)


# ---------------------------------------------------------------------------------------
# PSNR and coverage
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("err, data_range, want", [(0.1, 1.0, 20.0), (0.01, 1.0, 40.0),
                                                    (2.55, 255.0, 40.0), (0.0, 1.0, math.inf)])
def test_psnr_known_values(err, data_range, want):
    truth = torch.rand(3, 1, 8, 8, generator=_gen(15), dtype=torch.float64)
    got = metrics.psnr(truth + err, truth, data_range=data_range)
    assert got.shape == (3,)
    assert torch.allclose(got, torch.full((3,), want, dtype=torch.float64))


def test_psnr_numpy_input_and_bad_range():
    x = np.zeros((2, 4), dtype=np.float32)
    assert metrics.psnr(x + 0.1, x).dtype == torch.float32
    with pytest.raises(ValueError, match="data_range"):
        metrics.psnr(x, x, data_range=0)


def test_coverage_of_known_gaussian():
    mean = torch.randn(4, 1, 100, 100, generator=_gen(16))
    std = torch.rand(4, 1, 100, 100, generator=_gen(17)) + 0.1
    truth = mean + std * torch.randn(4, 1, 100, 100, generator=_gen(18))
    cov = metrics.coverage(mean, std, truth)
    assert cov.shape == (4,)
    assert torch.allclose(cov, torch.full((4,), 0.95), atol=0.01)


def test_coverage_inclusive_and_broadcast_std():
    mean = torch.tensor([[0.0, 1.0, 2.0, 3.0]])
    truth = torch.tensor([[0.0, 1.0, 3.0, 5.0]])
    assert metrics.coverage(mean, torch.zeros(1, 4), truth).item() == 0.5
    assert metrics.coverage(mean, torch.ones(1, 1), truth, z=1.0).item() == 0.75


@pytest.mark.parametrize("std, match", [(-torch.ones(1, 4), "std >= 0"),
                                        (torch.ones(3), "broadcast")])
def test_coverage_bad_std(std, match):
    with pytest.raises(ValueError, match=match):
        metrics.coverage(torch.zeros(1, 4), std, torch.zeros(1, 4))


# ---------------------------------------------------------------------------------------
# Monge gap
# ---------------------------------------------------------------------------------------

L1 = lambda u, v: (u - v).abs().sum(1)  # noqa: E731  a per-pair cost (B,)


@pytest.mark.parametrize("cost", ["sqeuclidean", "euclidean", L1], ids=["sqeuclidean", "euclidean", "l1"])
def test_monge_gap_identity_is_zero(cost):
    x = torch.randn(64, 3, generator=_gen(19), dtype=torch.float64)
    assert metrics.monge_gap(x, x.clone(), cost=cost).abs() < 1e-12


@pytest.mark.parametrize("cost", ["sqeuclidean", "euclidean"])
def test_monge_gap_permutation_map_positive(cost):
    x = torch.randn(64, 2, generator=_gen(20), dtype=torch.float64)
    mapped = x[torch.randperm(64, generator=_gen(21))]
    gap = metrics.monge_gap(x, mapped, cost=cost)
    direct = (x - mapped).norm(dim=1).pow(2 if cost == "sqeuclidean" else 1).mean()
    assert gap > 0.5 and torch.allclose(gap, direct)   # optimal cost of a permutation is 0


def test_monge_gap_monotone_1d_map_is_zero():
    x = torch.sort(torch.randn(200, generator=_gen(22), dtype=torch.float64)).values[:, None]
    mapped = 2.0 * x ** 3 + x + 1.0        # increasing: optimal for convex costs in 1-D
    assert metrics.monge_gap(x, mapped).abs() < 1e-9


def test_monge_gap_large_n_converges():
    """n = 2048 in 32-D needs more than POT's default 1e5 network-simplex iterations."""
    x = torch.randn(2048, 32, generator=_gen(23), dtype=torch.float64)
    mapped = torch.randn(2048, 32, generator=_gen(24), dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # POT warns "numItermax reached"
        gap = metrics.monge_gap(x, mapped)
    assert 0 < gap < (x - mapped).pow(2).sum(1).mean()


def test_monge_gap_of_a_map_between_spaces_of_different_dimension():
    """x in R^2, M(x) in R^1 with c_F(x, y) = |F x - y|^2: M = F is cost-free and optimal,
    a permuted F x is not."""
    F = torch.tensor([[0.6, 0.8]], dtype=torch.float64)
    x = torch.randn(32, 2, generator=_gen(35), dtype=torch.float64)
    c = costs.c_F(F)
    assert metrics.monge_gap(x, x @ F.T, c).abs() < 1e-12
    shuffled = (x @ F.T)[torch.randperm(32, generator=_gen(36))]
    assert torch.allclose(metrics.monge_gap(x, shuffled, c), c(x, shuffled).mean())


def test_monge_gap_needs_as_many_mapped_points():
    with pytest.raises(ValueError, match="same number of points"):
        metrics.monge_gap(torch.zeros(4, 2), torch.zeros(5, 2))


# ---------------------------------------------------------------------------------------
# Exact minibatch OT map
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("cost", ["sqeuclidean", "euclidean"])
def test_exact_ot_map_is_a_permutation_with_zero_monge_gap(cost):
    x = torch.randn(64, 3, generator=_gen(37))
    y = torch.randn(64, 3, generator=_gen(38)) + 1
    mapped = metrics.exact_ot_map(x, y, cost)
    assert sorted(map(tuple, mapped.tolist())) == sorted(map(tuple, y.tolist()))
    assert abs(float(metrics.monge_gap(x, mapped, cost))) < 1e-5
    assert float(metrics.monge_gap(x, y, cost)) > 0.01          # the identity pairing is not optimal


def test_exact_ot_map_in_1d_is_the_sorted_matching():
    x, y = torch.randn(20, 1, generator=_gen(39)), torch.randn(20, 1, generator=_gen(40))
    mapped = metrics.exact_ot_map(x, y)
    assert torch.equal(mapped[x[:, 0].argsort(), 0], y[:, 0].sort().values)


def test_exact_ot_pairs_take_the_c_F_cost_and_a_callable_alike():
    x, y = torch.randn(32, 2, generator=_gen(41)), torch.randn(32, 1, generator=_gen(42))
    F = torch.tensor([[0.6, 0.8]])
    named = metrics.exact_ot_pairs(x, y, "c_F", F)
    given = metrics.exact_ot_pairs(x, y, lambda a, b: ((a @ F.T - b) ** 2).sum(1))
    assert torch.equal(named, given) and sorted(named.tolist()) == list(range(32))
    # in 1-D after F, the optimal pairing sorts F x against y
    fx = (x @ F.T)[:, 0]
    assert torch.equal(y[named, 0][fx.argsort()], y[:, 0].sort().values)


def _spd(d: int, seed: int) -> torch.Tensor:
    q = torch.linalg.qr(torch.randn(d, d, generator=_gen(seed), dtype=torch.float64))[0]
    return q @ torch.diag(0.5 + 2 * torch.rand(d, generator=_gen(seed + 1), dtype=torch.float64)) @ q.T


@pytest.mark.parametrize("d", [1, 3])
def test_gaussian_ot_map_matches_pot_and_pushes_the_covariance_forward(d):
    import ot
    Sx, Sy = _spd(d, 43), _spd(d, 45)
    x = torch.randn(4000, d, generator=_gen(47), dtype=torch.float64) @ torch.linalg.cholesky(Sx).T
    y = torch.randn(3000, d, generator=_gen(48), dtype=torch.float64) @ torch.linalg.cholesky(Sy).T + 2
    A, b = metrics.gaussian_ot_map(x, y)
    A_pot, b_pot = ot.gaussian.bures_wasserstein_mapping(
        x.mean(0).numpy(), y.mean(0).numpy(), np.cov(x.T.numpy()).reshape(d, d),
        np.cov(y.T.numpy()).reshape(d, d))
    assert np.allclose(A.numpy(), A_pot, atol=1e-8) and np.allclose(b.numpy(), np.ravel(b_pot), atol=1e-8)
    assert torch.allclose(A, A.T) and torch.linalg.eigvalsh(A).min() > 0     # a gradient of a convex map
    Tx = x @ A + b                                                           # pushes N(m_x, S_x) onto y's moments
    assert torch.allclose(torch.cov(Tx.T).reshape(d, d), torch.cov(y.T).reshape(d, d), atol=1e-8)
    assert torch.allclose(Tx.mean(0), y.mean(0), atol=1e-10)


def test_gaussian_ot_map_needs_more_samples_than_dimensions():
    with pytest.raises(ValueError, match="more than d samples"):
        metrics.gaussian_ot_map(torch.randn(3, 3), torch.randn(10, 3))


def test_exact_ot_map_needs_equal_batches():
    with pytest.raises(ValueError, match="equal size"):
        metrics.exact_ot_map(torch.zeros(4, 2), torch.zeros(5, 2))


# ---------------------------------------------------------------------------------------
# Every metric routes bad input to the checks' ValueError
# ---------------------------------------------------------------------------------------

NAN = torch.tensor([[0.0, float("nan")]])


@pytest.mark.parametrize("call", [
    lambda: metrics.energy_distance(NAN, torch.zeros(1, 2)),
    lambda: metrics.energy_score(NAN[:, None], torch.zeros(1, 2)),
    lambda: metrics.psnr("image", torch.zeros(1, 2)),
    lambda: metrics.coverage(NAN, torch.ones(1, 2), torch.zeros(1, 2)),
    lambda: metrics.monge_gap(torch.zeros(0, 2), torch.zeros(0, 2)),
    lambda: metrics.monge_gap(torch.zeros(4, 2), torch.zeros(4, 2), cost="cosine"),
    lambda: metrics.exact_ot_map(NAN, torch.zeros(1, 2)),
    lambda: metrics.high_density_ratio(NAN, torch.zeros(1, 2), 0.1),
], ids=["energy_distance", "energy_score", "psnr", "coverage", "monge_gap-empty", "monge_gap-cost",
        "exact_ot_map", "high_density_ratio"])
def test_bad_input_is_a_value_error(call):
    with pytest.raises(ValueError):
        call()


# ---------------------------------------------------------------------------------------
# Mode metrics
# ---------------------------------------------------------------------------------------

def _ring_modes(k=8, radius=2.0):
    t = torch.arange(k, dtype=torch.float64) * 2 * math.pi / k
    return radius * torch.stack([t.cos(), t.sin()], dim=1)


def test_mode_metrics_on_gmm_samples():
    modes, std = _ring_modes(), 0.05
    idx = torch.randint(0, 8, (4000,), generator=_gen(25))
    samples = modes[idx] + std * torch.randn(4000, 2, generator=_gen(26), dtype=torch.float64)
    # in 2-D, P(|noise| > 4 std) = P(chi2_2 > 16) = exp(-8)
    assert metrics.high_density_ratio(samples, modes, std).item() == pytest.approx(
        1 - math.exp(-8), abs=2e-3)
    assert metrics.std_within_modes(samples, modes, std).item() == pytest.approx(std, rel=0.05)


def test_mode_metrics_outliers_and_sparse_modes():
    modes, std = _ring_modes(), 0.05
    samples = torch.cat([modes[:1] + torch.tensor([[0.01, 0.0], [-0.01, 0.0]], dtype=torch.float64),
                         modes[1:2],                               # single sample: skipped
                         torch.zeros(1, 2, dtype=torch.float64)])  # far from every mode
    assert metrics.high_density_ratio(samples, modes, std).item() == 0.75
    assert metrics.std_within_modes(samples, modes, std).item() == pytest.approx(
        torch.tensor([0.01, -0.01]).std().item() / 2)
    assert math.isnan(metrics.std_within_modes(modes[:1], modes, std).item())


@pytest.mark.parametrize("samples, std, match", [
    (torch.zeros(4, 3), 0.1, "share d"),
    (torch.zeros(4, 2), 0.0, "std must be"),
])
def test_mode_metrics_bad_input(samples, std, match):
    with pytest.raises(ValueError, match=match):
        metrics.high_density_ratio(samples, _ring_modes(), std)


def test_coverage_where_counts_only_selected_entries():
    mean = torch.zeros(1, 4)
    std = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    truth = torch.tensor([[0.5, 3.0, 0.0, 1.0]])  # covered, missed, exact hit, missed
    assert torch.allclose(metrics.coverage(mean, std, truth), torch.tensor([0.5]))
    sel = torch.tensor([[True, True, False, False]])
    assert torch.allclose(metrics.coverage(mean, std, truth, where=sel), torch.tensor([0.5]))
    assert torch.allclose(metrics.coverage(mean, std, truth, where=truth > 0), torch.tensor([1 / 3]))

"""dependence.distance_correlation: about 0 for independent samples at any dimension (the
U-centred estimator has no upward bias), 1 for identical ones, high for nonlinear
dependence that a correlation coefficient misses, and clear errors."""
import pytest
import torch

from pwae_core.dependence import distance_correlation


def _gen(seed):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("p, q", [(2, 3), (16, 56), (16, 200)])
def test_independent_samples_score_about_zero_over_many_draws(p, q):
    vals = torch.stack([distance_correlation(torch.randn(128, p, generator=_gen(s)),
                                             torch.randn(128, q, generator=_gen(100 + s)))
                        for s in range(20)])
    assert vals.median().abs() < 0.01 and vals.abs().max() < 0.05


def test_identical_and_scaled_samples_score_one_and_a_constant_scores_zero():
    a = torch.randn(64, 5, generator=_gen(0))
    assert distance_correlation(a, a) == pytest.approx(1.0, abs=1e-5)
    assert distance_correlation(a, 3 * a + 1) == pytest.approx(1.0, abs=1e-5)
    assert distance_correlation(a, torch.zeros(64, 2)) == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nonlinear_dependence_without_correlation_is_seen(seed):
    a = torch.randn(256, 1, generator=_gen(seed))
    b = a ** 2 + 0.1 * torch.randn(256, 1, generator=_gen(seed + 10))
    assert torch.corrcoef(torch.cat([a, b], 1).T)[0, 1].abs() < 0.25
    assert distance_correlation(a, b) > 0.15


def test_it_is_differentiable_with_finite_gradients():
    a = torch.randn(32, 4, generator=_gen(0)).requires_grad_()
    b = torch.cat([a.detach()[:, :2] ** 2, torch.randn(32, 3, generator=_gen(1))], 1)
    distance_correlation(a, b).backward()
    assert torch.isfinite(a.grad).all() and a.grad.abs().sum() > 0


@pytest.mark.parametrize("a, b, match", [
    (torch.randn(8, 2), torch.randn(7, 2), "same number"),
    (torch.randn(3, 2), torch.randn(3, 2), r"\(>= 4\)"),
    (torch.full((8, 2), float("nan")), torch.randn(8, 2), "finite"),
    (torch.randn(8), torch.randn(8, 2), "shape"),
])
def test_bad_input_is_a_value_error(a, b, match):
    with pytest.raises(ValueError, match=match):
        distance_correlation(a, b)

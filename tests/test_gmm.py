"""Gaussian mixtures: seed 002's random mixtures and the closed-form posterior."""
import pytest
import torch

from pwae_core import gmm as G


def test_random_gmm_follows_the_protocol_and_is_seeded():
    g = G.random_gmm(3, seed=4)
    assert g.means.shape == (8, 3) and g.covs.shape == (8, 3, 3)
    assert g.means.abs().max() <= 1
    var = torch.diagonal(g.covs, dim1=1, dim2=2)
    assert ((var >= 0.1) & (var <= 0.2)).all()
    assert torch.allclose(g.weights.sum(), torch.tensor(1.0, dtype=torch.float64))
    assert torch.equal(G.random_gmm(3, seed=4).means, g.means)
    assert not torch.equal(G.random_gmm(3, seed=5).means, g.means)


def test_sphere_samples_have_unit_norm():
    x = G.sphere_sample(G.random_gmm(3, seed=0), 500, torch.Generator().manual_seed(0))
    assert torch.allclose(x.norm(dim=1), torch.ones(500), atol=1e-5)


def test_single_gaussian_posterior_matches_the_woodbury_form():
    """One component: Sigma~ = S - S F^T (F S F^T + sigma^2)^-1 F S, m~ = m + K (y - F m)."""
    m = torch.tensor([0.3, -0.2], dtype=torch.float64)
    S = torch.tensor([[0.5, 0.2], [0.2, 0.3]], dtype=torch.float64)
    F = torch.tensor([[0.6, 0.8]], dtype=torch.float64)
    sigma, y = 0.2, torch.tensor([0.7], dtype=torch.float64)
    post = G.closed_form_posterior(G.GMM([1.0], m[None], S[None]), F, sigma, y)
    K = S @ F.T @ torch.linalg.inv(F @ S @ F.T + sigma ** 2)
    assert torch.allclose(post.covs[0], S - K @ F @ S, atol=1e-10)
    assert torch.allclose(post.means[0], m + K @ (y - F @ m), atol=1e-10)


def test_mixture_posterior_agrees_with_importance_sampling():
    """Posterior mean, covariance and component weights vs self-normalised importance
    sampling from the prior with weights N(y; F x, sigma^2)."""
    prior = G.random_gmm(2, seed=1)
    F, sigma, y = G.random_operator(1, 2, seed=2).double(), 0.3, torch.tensor([0.4])
    post = G.closed_form_posterior(prior, F, sigma, y)
    x, k = prior.sample(400_000, torch.Generator().manual_seed(0), return_labels=True)
    x = x.double()
    logw = -((x @ F.T - y.double()) ** 2).sum(1) / (2 * sigma ** 2)
    w = torch.softmax(logw, 0)
    is_mean = (w[:, None] * x).sum(0)
    is_cov = (w[:, None, None] * (x - is_mean)[:, :, None] * (x - is_mean)[:, None, :]).sum(0)
    mean = (post.weights[:, None] * post.means).sum(0)
    second = (post.weights[:, None, None] * (post.covs + post.means[:, :, None] * post.means[:, None, :])).sum(0)
    assert torch.allclose(mean, is_mean, atol=0.01)
    assert torch.allclose(second - mean[:, None] * mean[None], is_cov, atol=0.01)
    is_weights = torch.zeros(8, dtype=torch.float64).index_add_(0, k, w)
    assert torch.allclose(post.weights, is_weights, atol=0.01)


@pytest.mark.parametrize("F, sigma, y", [
    (torch.ones(1, 3), 0.1, [0.0]),          # F does not fit d = 2
    (torch.ones(1, 2), 0.0, [0.0]),          # sigma must be > 0
    (torch.ones(1, 2), 0.1, [float("nan")]),
    (torch.ones(1, 2), 0.1, [0.0, 1.0]),     # y of the wrong length
])
def test_posterior_rejects_bad_input(F, sigma, y):
    with pytest.raises(ValueError):
        G.closed_form_posterior(G.random_gmm(2), F, sigma, y)


def test_gmm_rejects_inconsistent_parameters():
    with pytest.raises(ValueError):
        G.GMM([0.5, 0.6], torch.zeros(2, 2), torch.eye(2).expand(2, 2, 2))
    with pytest.raises(ValueError):
        G.GMM([1.0], torch.zeros(1, 2), torch.eye(3)[None])


def test_observation_line_satisfies_F_x_equals_y():
    F = torch.tensor([[0.6, -0.8]])
    xs, ys = G.observation_line(F, 0.3, 2.0)
    for p in zip(xs, ys):
        assert abs(float(F[0, 0] * p[0] + F[0, 1] * p[1]) - 0.3) < 1e-6


def test_density_grid_is_the_mixture_density_on_a_square():
    g = G.random_gmm(2, seed=3)
    t, dens = G.density_grid(g, 4.0, m=201)
    assert t.shape == (201,) and dens.shape == (201, 201) and t[0] == -4 and t[-1] == 4
    assert abs(float(dens.sum() * (t[1] - t[0]) ** 2) - 1) < 1e-3   # integrates to one
    i, j = 37, 150                                                    # row = y, column = x
    assert dens[i, j] == pytest.approx(float(g.log_prob([[t[j], t[i]]]).exp()), rel=1e-12)
    with pytest.raises(ValueError, match="2-D"):
        G.density_grid(G.random_gmm(3), 1.0)


def test_gmm_round_trips_through_a_dict():
    g = G.random_gmm(2, seed=7)
    back = G.GMM.from_dict(g.to_dict())
    assert all(torch.equal(getattr(back, k), getattr(g, k)) for k in ("weights", "means", "covs"))

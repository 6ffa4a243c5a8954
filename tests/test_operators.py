import numpy as np
import pytest
import torch

from pwae_core import masks, operators


@pytest.fixture
def x():
    return torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))


def test_denoise_observe_has_requested_noise_level(x):
    op = operators.Denoise()
    big = x.repeat(64, 1, 1, 1)
    y = op.observe(big, op.params(big, 0.5), torch.Generator().manual_seed(1))
    assert abs((y - big).std().item() - 0.5) < 0.01


def test_denoise_fidelity_is_gaussian_nll(x):
    op = operators.Denoise()
    p = op.params(x, 0.5)
    obs = operators.pack(op.observe(x, p), p)
    assert torch.allclose(op.fidelity(obs[:, :1], obs), torch.zeros(4))
    expected = ((x - obs[:, :1]) ** 2).flatten(1).sum(1) / (2 * 0.25)
    assert torch.allclose(op.fidelity(x, obs), expected)


def test_inpaint_observes_masked_pixels_and_fidelity_ignores_hidden(x):
    op = operators.Inpaint()
    p = op.params(x, masks.named_mask("left"))
    y = op.observe(x, p)
    assert (y[..., :14] == 0).all() and torch.equal(y[..., 14:], x[..., 14:])
    obs = operators.pack(y, p)
    x_hat = x.clone()
    x_hat[..., :14] = 1.0 - x_hat[..., :14]  # change only hidden pixels
    assert torch.allclose(op.fidelity(x_hat, obs), torch.zeros(4))
    assert (op.fidelity(x_hat + 0.1, obs) > 0).all()


def test_random_masks_cover_all_kinds_and_are_binary():
    m = masks.random_masks(512, generator=torch.Generator().manual_seed(0))
    assert m.shape == (512, 1, 28, 28)
    assert set(m.unique().tolist()) <= {0.0, 1.0}
    frac_hidden = 1 - m.mean((1, 2, 3))
    assert (frac_hidden == 1).any() and frac_hidden.min() > 0  # 'all' present, never nothing hidden


@pytest.mark.parametrize("name,hidden", [("left", 392), ("right", 392), ("box", 196)])
def test_named_masks(name, hidden):
    assert (masks.named_mask(name) == 0).sum() == hidden


def test_linear_operator_cost_is_zero_on_noise_free_pairs():
    F = torch.tensor([[0.6, 0.8]])
    op = operators.Linear(F, sigma=0.0)
    x = torch.randn(10, 2, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(op.cost(x, op.observe(x)), torch.zeros(10), atol=1e-6)


@pytest.mark.parametrize("bad", [float("nan"), -0.1, 1.5, 10.0, [0.1, 0.2, 0.3]])
def test_denoise_rejects_bad_sigma(x, bad):
    with pytest.raises(ValueError, match="sigma"):
        operators.Denoise().params(x, bad)


@pytest.mark.parametrize("bad", [np.ones((27, 28)), np.ones((2, 2, 28, 28)), np.full((28, 28), np.nan)])
def test_inpaint_rejects_bad_mask(x, bad):
    with pytest.raises(ValueError, match="mask"):
        operators.Inpaint().params(x, bad)


def test_unknown_task():
    with pytest.raises(ValueError, match="unknown task"):
        operators.get("deblur")


def test_get_builds_the_denoiser_with_its_trained_range(x):
    op = operators.get("mnist-denoise", 0.2, 0.4)
    assert (op.sigma_min, op.sigma_max) == (0.2, 0.4)
    assert torch.equal(op.params(x, 0.3), torch.full_like(x, 0.3))
    s = op.sample_params(x.repeat(50, 1, 1, 1), torch.Generator().manual_seed(0))
    assert s.min() >= 0.2 and s.max() <= 0.4 and (s == s[:, :, :1, :1]).all()   # one sigma per image
    assert isinstance(operators.get("mnist-inpaint"), operators.Inpaint)


@pytest.mark.parametrize("lo, hi", [(0.5, 0.2), (-0.1, 1.0), (0.1, float("inf"))])
def test_denoiser_refuses_a_bad_range(lo, hi):
    with pytest.raises(ValueError, match="sigma range"):
        operators.Denoise(lo, hi)


@pytest.mark.parametrize("shape", [(4, 1, 28, 28), (4, 3, 1, 28, 28)])
def test_inpaint_projection_keeps_observed_pixels_of_estimates_and_samples(x, shape):
    op = operators.Inpaint()
    p = op.params(x, masks.named_mask("left"))
    obs = operators.pack(op.observe(x, p), p)
    out = op.project(torch.full(shape, 0.5), obs)
    x_b = x if len(shape) == 4 else x[:, None].expand(shape)
    assert torch.equal(out[..., 14:], x_b[..., 14:]) and (out[..., :14] == 0.5).all()


@pytest.mark.parametrize("call, match", [
    (lambda: operators.Linear(torch.ones(3)), "matrix"),
    (lambda: operators.Linear(torch.ones(1, 2), sigma=-1.0), "sigma"),
    (lambda: operators.Linear(torch.ones(1, 2)).observe(torch.zeros(4, 3)), r"shape \(B, 2\)"),
])
def test_linear_operator_checks(call, match):
    with pytest.raises(ValueError, match=match):
        call()

"""runs.latent_split: the held-out R^2 and the per-setting latent-split statistics."""
import dataclasses

import pytest
import torch

from pwae_core.models import build
from pwae_core.runs.latent_split import heldout_r2, split_stats


def _gen(seed):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_heldout_r2_is_near_one_for_a_linear_function_and_near_zero_for_independent_noise(seed):
    a = torch.randn(400, 6, generator=_gen(seed))
    W = torch.randn(6, 3, generator=_gen(seed + 10))
    noise = torch.randn(400, 3, generator=_gen(seed + 20))
    assert heldout_r2(a, a @ W + 0.01 * noise) > 0.99
    assert abs(heldout_r2(a, noise)) < 0.1


def test_heldout_r2_refuses_too_few_rows():
    with pytest.raises(ValueError, match="more rows than predictors"):
        heldout_r2(torch.randn(10, 8), torch.randn(10, 2))


@pytest.mark.parametrize("task, setting", [("mnist-denoise", {"sigma": 0.25}),
                                           ("mnist-inpaint", {"mask": "left"})])
def test_a_decoder_that_ignores_z1_has_no_spread_and_one_error(tiny_config, task, setting):
    torch.manual_seed(0)
    model = build(tiny_config("pwae", task)).eval()
    x = torch.rand(60, 1, 28, 28, generator=_gen(1))
    s = split_stats(model, x, setting, seed=3)
    assert s.spread > 0 and s.err_prior > 0 and -1 < s.r2 <= 1 and s.z1_std > 0
    with torch.no_grad():
        model.dec_x.fc[0].weight[:, :model.d1] = 0                   # D_x no longer reads z1
    s = split_stats(model, x, setting, seed=3)
    assert s.spread == pytest.approx(0, abs=1e-6)
    assert s.err_prior == pytest.approx(s.err_zero, rel=1e-5)
    assert s.err_encoded == pytest.approx(s.err_zero, rel=1e-5)


def test_split_stats_sees_a_z1_that_copies_y_code(tiny_config):
    """Inpainting with a fixed mask: E_x can compute y's code exactly and put it into z1."""
    torch.manual_seed(0)
    model = build(tiny_config("pwae", "mnist-inpaint")).eval()
    x, setting = torch.rand(200, 1, 28, 28, generator=_gen(1)), {"mask": "left"}
    honest = split_stats(model, x, setting)
    y_code = lambda x, p: model.encode_y(torch.cat([x * p, p], 1))[0]  # noqa: E731
    model.encode_x = lambda x, p, g=None: (y_code(x, p)[:, :model.d1], y_code(x, p))
    copied = split_stats(model, x, setting)
    assert copied.r2 > max(0.99, honest.r2 + 0.3) and copied.dcor > max(0.5, honest.dcor + 0.3)


def test_split_stats_refuses_a_model_without_a_split_latent(tiny_config):
    model = build(tiny_config("cvae")).eval()
    with pytest.raises(ValueError, match="needs an image PWAE, got a CVAE"):
        split_stats(model, torch.rand(60, 1, 28, 28), {"sigma": 0.5})

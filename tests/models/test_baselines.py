"""The baselines (models.baselines): the MSE network's point-mass posterior, the image cVAE's
conditional prior, the vector cVAE of the coupling PWAE paper and the digit classifier."""
import pytest
import torch

from pwae_core import masks
from pwae_core.config import VectorCVAEConfig
from pwae_core.models import VectorCVAE, build


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _y(model, B=3):
    x = torch.rand(B, 1, 28, 28, generator=_gen(0))
    return model.observe(x, mask=masks.named_mask("box"))


def test_mse_posterior_is_a_point_mass_at_its_estimate(tiny_config):
    torch.manual_seed(0)
    model = build(tiny_config("mse", "mnist-inpaint")).eval()
    post = model.posterior(_y(model), 6, _gen(0))
    assert torch.equal(post.samples, post.map[:, None].expand(3, 6, 1, 28, 28))
    assert torch.equal(post.std, torch.zeros(3, 1, 28, 28)) and torch.allclose(post.mean, post.map)


def test_cvae_samples_from_its_conditional_prior_and_maps_at_its_mean(tiny_config):
    torch.manual_seed(0)
    model = build(tiny_config("cvae", "mnist-inpaint")).eval()
    with torch.no_grad():
        model.dec.net[-1].bias.fill_(0.5)                # outputs inside (0, 1)
    cond = model.condition(_y(model))
    mu_p, lv_p, h = cond.code
    assert mu_p.shape == lv_p.shape == (3, model.dz) and h.shape == (3, model.dh)
    want = model.op.project(model.decode(mu_p, h), cond.obs)
    assert torch.equal(model.most_likely(cond), want)
    assert model.posterior(cond, 8, _gen(0)).std.max() > 0


def test_cvae_loss_is_the_negative_elbo_with_a_learned_variance(tiny_config):
    torch.manual_seed(0)
    model = build(tiny_config("cvae", "mnist-inpaint"))
    t = model.loss(torch.rand(8, 1, 28, 28, generator=_gen(1)), None, None, _gen(2))
    s2 = model.log_s2.exp()
    want = t["rec_x"] / (2 * s2) + 0.5 * 784 * model.log_s2 + t["kl"]
    assert torch.allclose(t["total"], want) and t["kl"] >= 0


def test_vector_cvae_samples_map_and_loss():
    torch.manual_seed(0)
    m = VectorCVAE(VectorCVAEConfig(dim_x=2, dim_y=1, sigma=0.5, beta=3.0)).eval()
    y = torch.randn(4, 1, generator=_gen(1))
    s = m.sample_x_given_y(y, 5, _gen(2))
    assert s.shape == (4, 5, 2) and s.std(1).min() > 0
    assert torch.equal(m.sample_x_given_y(y, 5, _gen(2)), s)
    assert torch.equal(m.map_x_given_y(y), m.decode(torch.zeros(4, 2), y))
    t = m.loss(torch.randn(16, 2), torch.randn(16, 1), _gen(3))
    assert torch.allclose(t["total"], t["rec_x"] / (2 * 0.25) + 3.0 * t["kl"])


@pytest.mark.parametrize("y, n, match", [(torch.zeros(4, 2), 3, r"y must have shape \(N, 1\)"),
                                         (torch.zeros(4, 1), 0, "n must be")])
def test_vector_cvae_routes_bad_input_to_value_errors(y, n, match):
    with pytest.raises(ValueError, match=match):
        VectorCVAE(VectorCVAEConfig(dim_x=2, dim_y=1)).sample_x_given_y(y, n)


def test_classifier_predicts_in_batches_like_at_once(tiny_config):
    torch.manual_seed(0)
    clf = build(tiny_config("classifier")).eval()
    x = torch.rand(10, 1, 28, 28, generator=_gen(4))
    labels = clf.predict(x)
    assert labels.shape == (10,) and labels.dtype == torch.int64
    assert torch.equal(clf.predict(x, batch=3), labels)
    assert torch.equal(labels, clf(x).argmax(1))

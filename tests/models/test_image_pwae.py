"""The image PWAE (models.image_pwae): its loss, latent directions D_x(eps v, z2), batched
decodes, principal directions, mirrors and the decoder that reads the operator parameters."""
import dataclasses

import numpy as np
import pytest
import torch

import pwae_core as pw
from pwae_core.config import TrainConfig
from pwae_core.models import PairedWAE, build

TASKS = ["mnist-denoise", "mnist-inpaint"]
KW = {"mnist-denoise": {"sigma": 0.5}, "mnist-inpaint": {}}


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _pwae(tiny_config, task="mnist-denoise", **kw):
    """A tiny PWAE whose D_x outputs lie inside (0, 1) (not clamped), so every latent moves them."""
    torch.manual_seed(0)
    model = build(dataclasses.replace(tiny_config("pwae", task), **kw)).eval()
    with torch.no_grad():
        model.dec_x.net[-1].bias.fill_(0.5)
    return model


def test_loss_terms_and_their_weighted_total(tiny_config):
    model = _pwae(tiny_config)
    cfg = TrainConfig(lambda_agree=2.0, lambda_wae=3.0, lambda_moments=0.5, lambda_es=4.0,
                      lambda_fid=0.25, lambda_rec_y=0.1)
    t = model.loss(torch.rand(16, 1, 28, 28, generator=_gen(2)), None, cfg, _gen(3))
    assert set(t) == {"rec_x", "agree", "wae", "moments", "es", "fid", "rec_y", "total"}
    assert all(v.ndim == 0 and torch.isfinite(v) for v in t.values())
    want = (t["rec_x"] + 2 * t["agree"] + 3 * t["wae"] + 0.5 * t["moments"] + 4 * t["es"]
            + 0.25 * t["fid"] + 0.1 * t["rec_y"])
    assert torch.allclose(t["total"], want)
    again = model.loss(torch.rand(16, 1, 28, 28, generator=_gen(2)), None, cfg, _gen(3))
    assert torch.equal(again["total"], t["total"])               # seeded by the generator


@pytest.mark.parametrize("n", [2, 5])
def test_the_energy_score_term_scores_es_samples_prior_samples(tiny_config, n):
    model, x = _pwae(tiny_config), torch.rand(8, 1, 28, 28, generator=_gen(2))
    t = model.loss(x, None, TrainConfig(es_samples=n), _gen(3))
    g = _gen(3)                                  # replay the loss's draws up to the samples
    p = model.op.sample_params(x, g)
    obs = pw.operators.pack(model.op.observe(x, p, g), p)
    z2 = model.encode_y(obs)[0]
    torch.randn(8, model.d1 + model.d2 + model.d3, generator=g)       # the prior batch
    s = model._prior_samples(z2, p, n, g)
    assert s.shape == (8, n, 1, 28, 28)
    assert torch.allclose(t["es"], pw.metrics.energy_score(s, x).mean())


@pytest.mark.parametrize("task", TASKS)
def test_params_per_batch_share_one_noise_level_or_mask(tiny_config, task):
    model, x = _pwae(tiny_config, task), torch.rand(16, 1, 28, 28, generator=_gen(2))
    shared, own = model._train_params(x, True, _gen(3)), model._train_params(x, False, _gen(3))
    assert shared.shape == own.shape == x.shape
    assert torch.equal(shared, shared[:1].expand_as(shared))
    assert not torch.equal(own, own[:1].expand_as(own))


def test_fewer_than_two_energy_score_samples_are_refused():
    with pytest.raises(ValueError, match="es_samples must be >= 2"):
        TrainConfig(es_samples=1)


@pytest.mark.parametrize("task", TASKS)
def test_directions_along_v_and_mirrors(tiny_config, task, observe_y):
    model = _pwae(tiny_config, task)
    y, v = observe_y(model), torch.randn(model.d1, generator=_gen(4))
    cond = model.condition(y, **KW[task])
    one = model.along(cond, 1.5, v)
    strip = model.along(cond, torch.linspace(-3, 3, 7), v)
    assert one.shape == (3, 1, 28, 28) and strip.shape == (3, 7, 1, 28, 28)
    assert torch.allclose(strip[:, 3], model.most_likely(cond), atol=1e-6)    # eps = 0
    assert torch.allclose(model.along(cond, 1.5, 10 * v), one)               # only v's direction counts
    assert torch.equal(model.direction_x_given_y(y, 1.5, v, **KW[task]), one)
    assert not torch.allclose(strip[:, 0], strip[:, 6])
    x = torch.rand(2, 1, 28, 28, generator=_gen(7))
    kw = {"sigma": 0.5} if task == "mnist-denoise" else {"mask": np.ones((28, 28))}
    assert model.sample_y_given_x(x, 4, _gen(0), **kw).shape == (2, 4, 1, 28, 28)
    xs, ys = model.sample_joint(6, _gen(0))
    assert xs.shape == ys.shape == (6, 1, 28, 28) and xs.min() >= 0 and xs.max() <= 1


def test_decode_latents_is_one_batched_decode_of_every_latent(tiny_config, observe_y):
    model = _pwae(tiny_config, decoder_sees_p=True)
    cond = model.condition(observe_y(model), sigma=0.5)
    z1 = torch.randn(5, model.d1, generator=_gen(5))
    out = model.decode_latents(cond, z1)
    assert out.shape == (3, 5, 1, 28, 28)
    z2, p = cond.code
    for k in range(5):
        one = model.decode_x(z1[k].expand(3, -1), z2, p)
        assert torch.allclose(out[:, k], one, atol=1e-6)
    assert torch.allclose(model.decode_latents(cond, torch.zeros(1, model.d1))[:, 0],
                          model.most_likely(cond), atol=1e-6)


def test_principal_directions_are_the_top_singular_vectors(tiny_config, observe_y):
    """Orthonormal, and the first one moves D_x most: |J^T v1| is the top singular value of
    the central-difference Jacobian J (rows (D_x(e_i) - D_x(-e_i)) / 2), built here axis by axis."""
    model = _pwae(tiny_config)
    cond = model.condition(observe_y(model, 1), sigma=0.5)
    V = model.principal_directions(cond, k=3)
    assert V.shape == (3, model.d1) and torch.allclose(V @ V.T, torch.eye(3), atol=1e-5)
    eye = torch.eye(model.d1)
    J = torch.stack([(model.along(cond, 1.0, e) - model.along(cond, -1.0, e))[0].flatten() / 2
                     for e in eye])                                      # (d1, P)
    s = torch.linalg.svdvals(J)
    assert torch.allclose((J.T @ V.T).norm(dim=0), s[:3], rtol=1e-4)
    assert (J.T @ V[0]).norm() >= (J.T @ eye).norm(dim=0).max() - 1e-6


@pytest.mark.parametrize("v, eps, match", [
    (torch.zeros(4), 1.0, "v must"),                      # zero
    (torch.ones(5), 1.0, "v must"),                       # wrong length (d1 = 4)
    (torch.tensor([1.0, 0, 0, float("nan")]), 1.0, "v must"),
    (torch.ones(4), torch.zeros(2, 2), "eps must"),
    (torch.ones(4), float("inf"), "eps must"),
])
def test_bad_directions_are_value_errors(tiny_config, v, eps, match, observe_y):
    model = _pwae(tiny_config)
    with pytest.raises(ValueError, match=match):
        model.direction_x_given_y(observe_y(model), eps, v, sigma=0.5)


@pytest.mark.parametrize("task", TASKS)
def test_decoder_that_sees_the_operator_parameters(tiny_config, task, tmp_path, observe_y):
    """decoder_sees_p: the whole public API works, D_x's output depends on p (noise level /
    mask) for a fixed code, and the flag survives a checkpoint round trip."""
    model = _pwae(tiny_config, task, decoder_sees_p=True)
    y = observe_y(model)
    assert model.posterior(y, 4, **KW[task]).samples.shape == (3, 4, 1, 28, 28)
    strip = model.direction_x_given_y(y, torch.zeros(2), torch.ones(model.d1), **KW[task])
    assert strip.shape == (3, 2, 1, 28, 28)
    z1, z2 = torch.zeros(1, model.d1), torch.randn(1, model.d2, generator=_gen(6))
    p1, p2 = torch.full((1, 1, 28, 28), 0.2), torch.full((1, 1, 28, 28), 1.0)
    assert not torch.equal(model.decode_x(z1, z2, p1), model.decode_x(z1, z2, p2))
    pw.save(model, tmp_path / "m.safetensors")
    back = pw.load(tmp_path / "m.safetensors")
    assert isinstance(back, PairedWAE) and back.config.decoder_sees_p
    assert torch.equal(back.map_x_given_y(y, **KW[task]), model.map_x_given_y(y, **KW[task]))


def test_a_stochastic_x_encoder_draws_z1_from_its_noise_and_keeps_z2(tiny_config, tmp_path):
    """noise_x: z1 = H(E_x(x, p), xi) varies with the draw of xi, z2 does not; the draws are
    seeded by the generator; the loss trains it; the setting survives a checkpoint."""
    model = _pwae(tiny_config, noise_x=3)
    x = torch.rand(8, 1, 28, 28, generator=_gen(2))
    p = model.op.params(x, 0.5)
    (a1, a2), (b1, b2) = model.encode_x(x, p, _gen(1)), model.encode_x(x, p, _gen(2))
    assert torch.equal(a2, b2) and torch.equal(model.encode_x(x, p, _gen(1))[0], a1)
    assert (a1 - b1).abs().mean() > 1e-3
    t = model.loss(x, None, TrainConfig(), _gen(3))
    t["total"].backward()
    assert model.head_x.net[0].weight.grad.abs().sum() > 0
    pw.save(model, tmp_path / "m.safetensors")
    back = pw.load(tmp_path / "m.safetensors")
    assert back.config.noise_x == 3 and torch.equal(back.encode_x(x, p, _gen(1))[0], a1)


def test_noise_x_must_not_be_negative(tiny_config):
    with pytest.raises(ValueError, match="noise_x must be >= 0"):
        tiny_config("pwae", noise_x=-1)


@pytest.mark.parametrize("task", TASKS)
def test_decoder_that_reads_the_observation_features(tiny_config, task, tmp_path, observe_y):
    """decoder_sees_y: every sampling call works and decodes with E_y's features of its own
    observation (two observations, same z1, z2 and p: different outputs); the loss trains E_y
    through D_x; joint samples decode x from the features of the decoded y; the flag survives
    a checkpoint round trip."""
    model = _pwae(tiny_config, task, decoder_sees_y=True, decoder_sees_p=True)
    y = observe_y(model)
    cond = model.condition(y, **KW[task])
    assert len(cond.code) == 3 and cond.code[2].shape == (3, 4 * model.config.width)
    assert model.posterior(y, 4, **KW[task]).samples.shape == (3, 4, 1, 28, 28)
    assert model.direction_x_given_y(y, torch.zeros(2), torch.ones(model.d1), **KW[task]).shape == (3, 2, 1, 28, 28)
    z1, z2, p = torch.zeros(2, model.d1), cond.code[0][:1].repeat(2, 1), cond.code[1][:2]
    h = cond.code[2][:2]
    out = model.decode_x(z1, z2, p, h)
    assert not torch.equal(out[0], out[1])
    x, yj = model.sample_joint(5, _gen(1))
    assert x.shape == yj.shape == (5, 1, 28, 28)
    model.loss(torch.rand(8, 1, 28, 28, generator=_gen(2)), None, TrainConfig(), _gen(3))["rec_x"].backward()
    assert model.enc_y.net[0].weight.grad.abs().sum() > 0
    pw.save(model, tmp_path / "m.safetensors")
    back = pw.load(tmp_path / "m.safetensors")
    assert back.config.decoder_sees_y
    assert torch.equal(back.map_x_given_y(y, **KW[task]), model.map_x_given_y(y, **KW[task]))

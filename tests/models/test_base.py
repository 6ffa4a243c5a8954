"""The front end every conditional image model shares (models.base): condition once,
then samples / most likely / posterior decode from that code; hard data consistency;
bad input -> ValueError."""
import dataclasses

import numpy as np
import pytest
import torch

import pwae_core as pw
from pwae_core import masks
from pwae_core.models import Condition, Posterior, build
from pwae_core.models.networks import ConvDecoder

KINDS = ["pwae", "cvae", "mse"]
TASKS = ["mnist-denoise", "mnist-inpaint"]
KW = {"mnist-denoise": {"sigma": 0.5}, "mnist-inpaint": {}}


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _live(model):
    """Untrained decoders output mostly negative values that clamp to 0; a bias of 0.5 on
    the last layer puts the outputs inside (0, 1), where samples differ visibly."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, ConvDecoder):
                m.net[-1].bias.fill_(0.5)
    return model


@pytest.fixture(params=[(k, t) for t in TASKS for k in KINDS], ids=lambda p: f"{p[0]}-{p[1]}")
def model_task(request, tiny_config):
    kind, task = request.param
    torch.manual_seed(0)
    return _live(build(tiny_config(kind, task)).eval()), task


def test_condition_holds_the_packed_observation_and_its_code(model_task, observe_y):
    model, task = model_task
    y = observe_y(model)
    cond = model.condition(y, **KW[task])
    assert isinstance(cond, Condition) and cond.batch == 3 and cond.obs.shape == (3, 2, 28, 28)
    assert torch.equal(cond.obs[:, :1], y[:, :1] if task == "mnist-inpaint" else y)
    p = cond.obs[:, 1:]                                  # the parameter map: sigma or the mask
    want = torch.full_like(p, 0.5) if task == "mnist-denoise" else y[:, 1:]
    assert torch.equal(p, want)


def test_every_output_is_a_decode_of_one_condition(model_task, observe_y):
    model, task = model_task
    y = observe_y(model)
    cond = model.condition(y, **KW[task])
    s = model.samples(cond, 5, _gen(3))
    assert s.shape == (3, 5, 1, 28, 28) and s.min() >= 0 and s.max() <= 1
    post = model.posterior(cond, 5, _gen(3))
    assert isinstance(post, Posterior) and torch.equal(post.samples, s)
    assert torch.allclose(post.mean, s.mean(1)) and torch.allclose(post.std, s.std(1, unbiased=False))
    assert torch.equal(post.map, model.most_likely(cond)) and post.map.shape == (3, 1, 28, 28)
    # the observation-level calls validate and encode, then do the same
    assert torch.equal(model.sample_x_given_y(y, 5, _gen(3), **KW[task]), s)
    assert torch.equal(model.posterior(y, 5, _gen(3), **KW[task]).samples, s)
    assert torch.equal(model.map_x_given_y(y, **KW[task]), post.map)


def test_posterior_reads_by_key_but_is_not_a_mutable_dict(tiny_config, observe_y):
    model = build(tiny_config()).eval()
    post = model.posterior(observe_y(model), 4, _gen(0), sigma=0.5)
    assert post["mean"] is post.mean and post["map"] is post.map
    with pytest.raises(TypeError):
        post["mean"] = torch.zeros(1)


@pytest.mark.parametrize("kind", ["pwae", "cvae"])
def test_seeded_samples_repeat_and_differ_between_seeds(tiny_config, kind, observe_y):
    model = _live(build(tiny_config(kind)).eval())
    cond = model.condition(observe_y(model), sigma=0.5)
    a, b, c = (model.samples(cond, 4, _gen(s)) for s in (3, 3, 4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert model.posterior(cond, 8, _gen(0)).std.max() > 0


def test_one_sample_has_zero_std(tiny_config, observe_y):
    model = build(tiny_config()).eval()
    post = model.posterior(observe_y(model), 1, _gen(0), sigma=0.5)
    assert torch.equal(post.std, torch.zeros(3, 1, 28, 28)) and torch.equal(post.mean, post.samples[:, 0])


@pytest.mark.parametrize("kind", KINDS)
def test_inpainting_outputs_keep_the_observed_pixels(tiny_config, kind, observe_y):
    model = build(tiny_config(kind, "mnist-inpaint")).eval()
    y = observe_y(model)                                   # left half hidden
    s = model.sample_x_given_y(y, 4)
    obs_pixels = y[:, None, :1, :, 14:].expand_as(s[..., 14:])
    assert torch.equal(s[..., 14:], obs_pixels)
    assert torch.equal(model.map_x_given_y(y)[..., 14:], y[:, :1, :, 14:])
    model.config.project = False                    # raw decoder output differs
    assert not torch.equal(model.sample_x_given_y(y, 4)[..., 14:], obs_pixels)


def test_denoising_projection_is_identity(tiny_config, observe_y):
    model = build(tiny_config()).eval()
    y = observe_y(model)
    a = model.map_x_given_y(y, sigma=0.5)
    model.config.project = False
    assert torch.equal(a, model.map_x_given_y(y, sigma=0.5))


def test_observe_simulates_what_the_model_is_given(tiny_config):
    x = torch.rand(2, 1, 28, 28, generator=_gen(5))
    den = build(tiny_config()).eval()
    y = den.observe(x, _gen(6), sigma=0.5)
    assert y.shape == (2, 1, 28, 28) and abs(float((y - x).std()) - 0.5) < 0.05
    inp = build(tiny_config("pwae", "mnist-inpaint")).eval()
    y = inp.observe(x, mask=masks.named_mask("box"))
    box = torch.from_numpy(masks.named_mask("box"))
    assert y.shape == (2, 2, 28, 28) and torch.equal(y[:, 1], box.expand(2, 28, 28))
    assert torch.equal(y[:, :1], x * y[:, 1:])
    assert den.y_shape == (1, 28, 28) and inp.y_shape == (2, 28, 28)


def test_denoiser_refuses_sigma_outside_its_trained_range(tiny_config, tmp_path, observe_y):
    model = build(tiny_config(sigma_min=0.2, sigma_max=0.8)).eval()
    y = observe_y(model)
    model.sample_x_given_y(y, 2, sigma=0.8)
    with pytest.raises(ValueError, match=r"trained range \[0.2, 0.8\]"):
        model.sample_x_given_y(y, 2, sigma=1.0)
    pw.save(model, tmp_path / "m.safetensors")      # the range is part of the model config
    back = pw.load(tmp_path / "m.safetensors")
    assert (back.op.sigma_min, back.op.sigma_max) == (0.2, 0.8)
    with pytest.raises(ValueError, match="trained range"):
        back.sample_x_given_y(y, 2, sigma=0.1)


# The model's own checks of an observation (obs_from_y), then one case per layer it routes
# to (checks.to_tensor, checks.sample_count, the operator): all ValueErrors.
BAD = [
    (lambda y: y[0], {"sigma": 0.5}, r"y must have shape \(B, 1, 28, 28\)"),     # no batch dim
    (lambda y: y[:, :, :20], {"sigma": 0.5}, r"got \(3, 1, 20, 28\)"),           # wrong size
    (lambda y: y[:0], {"sigma": 0.5}, "B >= 1"),
    (lambda y: y.fill_(float("nan")), {"sigma": 0.5}, "NaN"),
    (lambda y: y, {}, "pass sigma="),                                            # sigma missing
    (lambda y: "a string", {"sigma": 0.5}, "tensor or array"),                   # checks
    (lambda y: y, {"sigma": float("inf")}, "sigma"),                             # operator
]


@pytest.mark.parametrize("mutate,kw,msg", BAD)
def test_bad_observations_raise_clear_value_errors(tiny_config, mutate, kw, msg, observe_y):
    model = build(tiny_config()).eval()
    with pytest.raises(ValueError, match=msg):
        model.sample_x_given_y(mutate(observe_y(model).clone()), 4, **kw)


def test_bad_sample_count_and_mask_are_value_errors(tiny_config, observe_y):
    model = build(tiny_config()).eval()
    with pytest.raises(ValueError, match="n must be"):
        model.posterior(observe_y(model), 0, sigma=0.5)
    inp = build(tiny_config("pwae", "mnist-inpaint")).eval()
    with pytest.raises(ValueError, match="y must have shape"):
        inp.condition(observe_y(model))                    # a denoising observation has no mask
    with pytest.raises(ValueError, match="mask"):
        inp.observe(torch.zeros(2, 1, 28, 28), mask=np.ones((27, 28)))


def test_decoder_sees_p_is_part_of_the_config(tiny_config):
    cfg = dataclasses.replace(tiny_config(), decoder_sees_p=True)
    assert build(cfg).config.decoder_sees_p

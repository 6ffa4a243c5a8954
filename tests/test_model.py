import numpy as np
import pytest
import torch

import pwae_core as pw
from pwae_core import masks
from pwae_core.config import TrainConfig
from pwae_core.model import build

TASKS = ["mnist-denoise", "mnist-inpaint"]
KW = {"mnist-denoise": {"sigma": 0.5}, "mnist-inpaint": {}}


def _y(model, B=3):
    x = torch.rand(B, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(1)
    if model.op.name == "denoise":
        return model.observe(x, g, sigma=0.5)
    return model.observe(x, g, mask=masks.named_mask("left"))


@pytest.mark.parametrize("kind", ["pwae", "cvae", "mse"])
@pytest.mark.parametrize("task", TASKS)
def test_public_api_shapes(tiny_config, kind, task):
    model = build(tiny_config(kind, task)).eval()
    y = _y(model)
    assert model.sample_x_given_y(y, 5, **KW[task]).shape == (3, 5, 1, 28, 28)
    assert model.map_x_given_y(y, **KW[task]).shape == (3, 1, 28, 28)
    post = model.posterior(y, 7, **KW[task])
    assert post["mean"].shape == post["std"].shape == (3, 1, 28, 28)
    s = post["samples"]
    assert s.min() >= 0 and s.max() <= 1


@pytest.mark.parametrize("task", TASKS)
def test_pwae_directions_and_mirrors(tiny_config, task):
    model = build(tiny_config("pwae", task)).eval()
    y, v = _y(model), torch.randn(model.d1)
    one = model.direction_x_given_y(y, 1.5, v, **KW[task])
    strip = model.direction_x_given_y(y, torch.linspace(-3, 3, 7), v, **KW[task])
    assert one.shape == (3, 1, 28, 28) and strip.shape == (3, 7, 1, 28, 28)
    assert torch.allclose(strip[:, 3], model.map_x_given_y(y, **KW[task]), atol=1e-6)  # eps=0
    x = torch.rand(2, 1, 28, 28)
    kw = {"sigma": 0.5} if task == "mnist-denoise" else {"mask": np.ones((28, 28))}
    assert model.sample_y_given_x(x, 4, **kw).shape == (2, 4, 1, 28, 28)
    xs, ys = model.sample_joint(6)
    assert xs.shape == ys.shape == (6, 1, 28, 28)


def test_seeded_sampling_is_reproducible(tiny_config):
    model = build(tiny_config()).eval()
    y = _y(model)
    a = model.sample_x_given_y(y, 4, torch.Generator().manual_seed(3), sigma=0.5)
    b = model.sample_x_given_y(y, 4, torch.Generator().manual_seed(3), sigma=0.5)
    assert torch.equal(a, b)


BAD = [
    (lambda y: y[0], {"sigma": 0.5}, "shape"),                      # no batch dim
    (lambda y: y[:, :, :20], {"sigma": 0.5}, "shape"),              # wrong size
    (lambda y: y.fill_(float("nan")), {"sigma": 0.5}, "NaN"),
    (lambda y: y, {}, "sigma"),                                     # sigma missing
    (lambda y: y, {"sigma": float("inf")}, "sigma"),
    (lambda y: "a string", {"sigma": 0.5}, "tensor or array"),
    (lambda y: y[:0], {"sigma": 0.5}, "B >= 1"),
]


@pytest.mark.parametrize("mutate,kw,msg", BAD)
def test_bad_inputs_raise_clear_value_errors(tiny_config, mutate, kw, msg):
    model = build(tiny_config()).eval()
    with pytest.raises(ValueError, match=msg):
        model.sample_x_given_y(mutate(_y(model).clone()), 4, **kw)


@pytest.mark.parametrize("n", [0, -1, 10**6, 2.5])
def test_bad_sample_count(tiny_config, n):
    model = build(tiny_config()).eval()
    with pytest.raises(ValueError, match="n must be"):
        model.sample_x_given_y(_y(model), n, sigma=0.5)


def test_bad_direction(tiny_config):
    model = build(tiny_config()).eval()
    with pytest.raises(ValueError, match="v must"):
        model.direction_x_given_y(_y(model), 1.0, torch.zeros(model.d1), sigma=0.5)
    with pytest.raises(ValueError, match="v must"):
        model.direction_x_given_y(_y(model), 1.0, torch.ones(model.d1 + 1), sigma=0.5)


def test_unknown_kind_and_divergence(tiny_config):
    with pytest.raises(ValueError, match="unknown model kind"):
        build(tiny_config(kind="gan"))
    cfg = tiny_config()
    cfg.divergence = "kl"
    with pytest.raises(ValueError):
        build(cfg)


@pytest.mark.parametrize("kind", ["pwae", "cvae", "mse", "classifier"])
def test_one_step_changes_every_weight_group(tiny_config, kind):
    torch.manual_seed(0)
    model = build(tiny_config(kind, "mnist-inpaint"))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    x = torch.rand(16, 1, 28, 28)
    terms = model.loss(x, torch.randint(0, 10, (16,)), TrainConfig(), torch.Generator().manual_seed(0))
    assert all(torch.isfinite(v) for v in terms.values())
    terms["total"].backward()
    opt.step()
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
    assert len(changed) == len(before)


@pytest.mark.parametrize("kind", ["pwae", "cvae", "mse", "classifier"])
def test_checkpoint_round_trip_rebuilds_with_no_flags(tiny_config, tmp_path, kind):
    model = build(tiny_config(kind, "mnist-inpaint")).eval()
    model.metrics = {"note": 1}
    pw.save(model, tmp_path / "m.safetensors")
    back = pw.load(tmp_path / "m.safetensors")
    assert back.config == model.config and back.metrics == {"note": 1} and not back.training
    x = torch.rand(2, 1, 28, 28)
    if kind == "classifier":
        assert torch.equal(back(x), model(x))
    else:
        y = model.observe(x, mask=masks.named_mask("box"))
        assert torch.equal(back.map_x_given_y(y), model.map_x_given_y(y))


def test_load_refuses_weights_that_do_not_fit(tiny_config, tmp_path):
    model = build(tiny_config())
    pw.save(model, tmp_path / "m.safetensors")
    tensors, meta = pw.checkpoint.read(tmp_path / "m.safetensors")
    meta["model_config"]["width"] = 16
    pw.checkpoint.write(tmp_path / "bad.safetensors", tensors, meta)
    with pytest.raises(ValueError, match="do not fit"):
        pw.load(tmp_path / "bad.safetensors")


def test_two_sample_energy_score_matches_metric():
    from pwae_core.metrics import energy_score
    from pwae_core.model import energy_score_2
    g = torch.Generator().manual_seed(0)
    s1, s2, x = (torch.rand(5, 1, 28, 28, generator=g) for _ in range(3))
    ref = energy_score(torch.stack([s1, s2], 1), x).mean()
    assert torch.allclose(energy_score_2(s1, s2, x), ref.to(torch.float32), atol=1e-4)
    assert energy_score_2(x, x, x) < 1e-3


@pytest.mark.parametrize("kind", ["pwae", "cvae", "mse"])
def test_inpainting_outputs_keep_the_observed_pixels(tiny_config, kind):
    model = build(tiny_config(kind, "mnist-inpaint")).eval()
    y = _y(model)                                   # left half hidden
    s = model.sample_x_given_y(y, 4)
    obs_pixels = y[:, None, :1, :, 14:].expand_as(s[..., 14:])
    assert torch.equal(s[..., 14:], obs_pixels)
    assert torch.equal(model.map_x_given_y(y)[..., 14:], y[:, :1, :, 14:])
    model.config.project = False                    # raw decoder output differs
    assert not torch.equal(model.sample_x_given_y(y, 4)[..., 14:], obs_pixels)


def test_denoising_projection_is_identity(tiny_config):
    model = build(tiny_config()).eval()
    y = _y(model)
    a = model.map_x_given_y(y, sigma=0.5)
    model.config.project = False
    assert torch.equal(a, model.map_x_given_y(y, sigma=0.5))


def test_denoiser_refuses_sigma_outside_its_trained_range(tiny_config, tmp_path):
    from pwae_core.train import apply_noise_range
    cfg = TrainConfig(sigma_min=0.2, sigma_max=0.8)
    model = apply_noise_range(build(tiny_config()), cfg).eval()
    model.train_config = cfg
    y = _y(model)
    model.sample_x_given_y(y, 2, sigma=0.8)
    with pytest.raises(ValueError, match=r"trained range \[0.2, 0.8\]"):
        model.sample_x_given_y(y, 2, sigma=1.0)
    pw.save(model, tmp_path / "m.safetensors")              # the range survives save/load
    with pytest.raises(ValueError, match="trained range"):
        pw.load(tmp_path / "m.safetensors").sample_x_given_y(y, 2, sigma=0.1)


@pytest.mark.parametrize("task", TASKS)
def test_decoder_that_sees_the_operator_parameters(tiny_config, task, tmp_path):
    """decoder_sees_p: the whole public API works, D_x's output depends on p (noise level /
    mask) for a fixed code, and the flag survives a checkpoint round trip."""
    import dataclasses
    torch.manual_seed(0)
    model = build(dataclasses.replace(tiny_config("pwae", task), decoder_sees_p=True)).eval()
    y = _y(model)
    assert model.posterior(y, 4, **KW[task])["samples"].shape == (3, 4, 1, 28, 28)
    assert model.direction_x_given_y(y, torch.zeros(2), torch.ones(model.d1), **KW[task]).shape == (3, 2, 1, 28, 28)
    z1, z2 = torch.zeros(1, model.d1), torch.randn(1, model.d2)
    p1, p2 = torch.full((1, 1, 28, 28), 0.2), torch.full((1, 1, 28, 28), 1.0)
    with torch.no_grad():
        model.dec_x.net[-1].bias.fill_(0.5)                  # outputs inside (0, 1), not clamped
    assert not torch.equal(model.decode_x(z1, z2, p1), model.decode_x(z1, z2, p2))
    pw.save(model, tmp_path / "m.safetensors")
    back = pw.load(tmp_path / "m.safetensors")
    assert back.config.decoder_sees_p and torch.equal(back.map_x_given_y(y, **KW[task]),
                                                      model.map_x_given_y(y, **KW[task]))

"""The model registry and model files (pwae_core.models): build by kind, save / load with no
flags, ``model.info`` (read-only views metrics / extra / train_config), old files."""
import dataclasses

import pytest
import torch

import pwae_core as pw
from pwae_core import checkpoint, masks, models
from pwae_core.config import CouplingConfig, FaceProbeConfig, TrainConfig, VectorCVAEConfig

IMAGE_KINDS = ["pwae", "cvae", "mse", "classifier"]


def test_registry_maps_every_config_kind_to_its_class(tiny_config):
    assert set(models.MODELS) == {"pwae", "cvae", "mse", "classifier", "coupling", "cvae-vec",
                                  "face-probe"}
    for kind in IMAGE_KINDS:
        m = models.build(tiny_config(kind))
        assert type(m) is models.MODELS[kind] and m.config.kind == kind
    assert isinstance(models.build(CouplingConfig()), models.CouplingPWAE)
    assert isinstance(models.build(VectorCVAEConfig()), models.VectorCVAE)
    assert isinstance(models.build(FaceProbeConfig()), models.FaceProbe)
    assert pw.build is models.build and pw.load is models.load and pw.save is models.save


@pytest.mark.parametrize("change, match", [({"kind": "gan"}, "unknown model kind 'gan'"),
                                           ({"divergence": "kl"}, "unknown divergence 'kl'"),
                                           ({"task": "deblur"}, "unknown task 'deblur'")])
def test_build_refuses_unknown_names(tiny_config, change, match):
    with pytest.raises(ValueError, match=match):
        models.build(dataclasses.replace(tiny_config(), **change))


@pytest.mark.parametrize("kind", IMAGE_KINDS)
def test_one_step_changes_every_weight_group(tiny_config, kind):
    torch.manual_seed(0)
    model = models.build(tiny_config(kind, "mnist-inpaint"))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    x = torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    labels = torch.randint(0, 10, (16,), generator=torch.Generator().manual_seed(3))
    terms = model.loss(x, labels, TrainConfig(), torch.Generator().manual_seed(0))
    assert all(torch.isfinite(v) for v in terms.values())
    terms["total"].backward()
    opt.step()
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
    assert len(changed) == len(before)


@pytest.mark.parametrize("kind", IMAGE_KINDS)
def test_round_trip_rebuilds_with_no_flags_and_keeps_info(tiny_config, tmp_path, kind):
    torch.manual_seed(0)
    model = models.build(tiny_config(kind, "mnist-inpaint")).eval()
    tc = TrainConfig(steps=3, model=model.config)
    model.info = models.ModelInfo(tc, {"note": 1}, {"shown": [1, 2]})
    pw.save(model, tmp_path / "m.safetensors")
    back = pw.load(tmp_path / "m.safetensors")
    assert type(back) is type(model) and back.config == model.config and not back.training
    assert back.info == model.info and back.train_config == tc
    assert back.metrics == {"note": 1} and back.extra == {"shown": [1, 2]}
    x = torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    if kind == "classifier":
        assert torch.equal(back(x), model(x))
    else:
        y = model.observe(x, mask=masks.named_mask("box"))
        assert torch.equal(back.map_x_given_y(y), model.map_x_given_y(y))


def test_metrics_extra_and_train_config_are_read_only_views_of_info(tiny_config):
    model = models.build(tiny_config())
    assert model.info == models.ModelInfo() and model.metrics == {} and model.train_config is None
    model.info.metrics["loss"] = 0.5                   # info is where they are written
    assert model.metrics == {"loss": 0.5}
    for name in ("metrics", "extra", "train_config"):
        with pytest.raises(AttributeError):
            setattr(model, name, {})


def test_a_model_without_train_config_saves_none(tmp_path):
    pw.save(models.build(VectorCVAEConfig()), tmp_path / "v.safetensors")
    _, meta = checkpoint.read(tmp_path / "v.safetensors")
    assert meta["train_config"] is None and meta["config_class"] == "VectorCVAEConfig"
    back = pw.load(tmp_path / "v.safetensors")
    assert back.train_config is None and back.metrics == {} and back.extra == {}


def test_a_pre_0_2_file_keeps_its_sigma_range(tiny_config, tmp_path):
    """Files written before 0.2 kept the denoiser's sigma range in the training config."""
    model = models.build(tiny_config())
    pw.save(model, tmp_path / "m.safetensors")
    tensors, meta = checkpoint.read(tmp_path / "m.safetensors")
    mc = {k: v for k, v in meta["model_config"].items() if k not in ("sigma_min", "sigma_max")}
    tc = {k: v for k, v in TrainConfig().to_dict().items() if k not in ("lr_schedule", "model")}
    tc.update(sigma_min=0.3, sigma_max=0.7, model=mc)
    old = {"kind": "pwae", "model_config": mc, "train_config": tc}       # no config_class either
    checkpoint.write(tmp_path / "old.safetensors", tensors, old)
    back = pw.load(tmp_path / "old.safetensors")
    assert (back.op.sigma_min, back.op.sigma_max) == (0.3, 0.7)
    assert (back.train_config.model.sigma_min, back.train_config.model.sigma_max) == (0.3, 0.7)


@pytest.mark.parametrize("spoil, match", [
    (lambda t, m: m["model_config"].update(width=16), "do not fit"),
    (lambda t, m: m.pop("model_config"), "not a model"),
    (lambda t, m: m["model_config"].update(kind="gan"), "unknown model kind"),
])
def test_load_refuses_files_that_are_not_this_model(tiny_config, tmp_path, spoil, match):
    pw.save(models.build(tiny_config()), tmp_path / "m.safetensors")
    tensors, meta = checkpoint.read(tmp_path / "m.safetensors")
    spoil(tensors, meta)
    checkpoint.write(tmp_path / "bad.safetensors", tensors, meta)
    with pytest.raises(ValueError, match=match):
        pw.load(tmp_path / "bad.safetensors")

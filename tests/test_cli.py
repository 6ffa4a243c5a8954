"""The command line (``python -m pwae_core``): flags become the config, bad input exits 2
with a one-line message. In-process (``main(argv)``); the subprocess path is exercised by
tests/runs/test_train.py (kill and resume)."""
import json

import pytest
import torch

from pwae_core import __main__ as cli
from pwae_core.runs import presets
from pwae_core.runs.loop import FitResult


@pytest.fixture
def fake_fit(monkeypatch):
    """Replace training by a recorder: [(cfg, out, resume, progress)], devices in .devices."""
    calls = type("Calls", (list,), {})()

    def fit(cfg, out=None, resume=False, progress=True, device=None):
        calls.append((cfg, out, resume, progress))
        devices.append(device)
        return FitResult(None, [{"step": cfg.steps, "total": 1.5}], 2.34)
    devices = calls.devices = []
    monkeypatch.setattr(cli, "fit", fit)
    return calls


def test_train_flags_override_the_preset_in_train_and_model_config(fake_fit, capsys, tmp_path):
    out = tmp_path / "m.safetensors"
    assert cli.main(["train", "mnist-denoise", "--steps", "5", "--lr", "0.01", "--lr-schedule", "cosine",
                     "--d1", "3", "--sigma-min", "0.3", "--sigma-max", "0.6", "--decoder-sees-p", "no",
                     "--noise-x", "4", "--decoder-sees-y", "yes", "--out", str(out), "--resume", "--quiet"]) == 0
    (cfg, got_out, resume, progress), = fake_fit
    preset = presets.train_config("mnist-denoise", "pwae")
    assert (cfg.steps, cfg.lr, cfg.lr_schedule, cfg.lambda_wae) == (5, 0.01, "cosine", preset.lambda_wae)
    assert (cfg.model.d1, cfg.model.d2, cfg.model.sigma_min, cfg.model.sigma_max) == (3, 48, 0.3, 0.6)
    assert cfg.model.decoder_sees_p is False and cfg.model.noise_x == 4 and cfg.model.decoder_sees_y and str(got_out) == str(out) and resume and not progress
    assert json.loads(capsys.readouterr().out) == {"out": str(out), "train_seconds": 2.3,
                                                   "last": {"step": 5, "total": 1.5}}


def test_train_defaults_to_the_shipped_checkpoint_path(fake_fit):
    assert cli.main(["train", "mnist-inpaint", "--kind", "cvae", "--quiet"]) == 0
    cfg, out, resume, _ = fake_fit[0]
    assert out == presets.default_path("mnist-inpaint", "cvae") and cfg.model.kind == "cvae"
    assert not resume and fake_fit.devices == ["cpu"]


def test_train_passes_the_device_and_refuses_unknown_ones(fake_fit, capsys):
    assert cli.main(["train", "mnist-inpaint", "--device", "mps", "--quiet"]) == 0
    assert fake_fit.devices == ["mps"]
    with pytest.raises(SystemExit):
        cli.main(["train", "mnist-inpaint", "--device", "tpu"])
    assert "invalid choice: 'tpu'" in capsys.readouterr().err


def test_a_missing_device_is_a_clean_error(capsys, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    out = str(tmp_path / "m.safetensors")
    assert cli.main(["train", "mnist-inpaint", "--device", "cuda", "--out", out, "--quiet"]) == 2
    assert "no CUDA GPU" in capsys.readouterr().err


@pytest.mark.parametrize("args, msg", [
    (["train", "mnist-denoise", "--kind", "classifier"], "classifier is trained with"),
    (["train", "translate-digits", "--lambda-es", "2"], "translate-digits does not take --lambda-es"),
    (["train", "translate-faces", "--kind", "cvae"], "does not take --kind"),
    (["train", "translate-digits", "--attribute", "Male"], "--attribute picks the face domains"),
    (["train", "mnist-denoise", "--data-dir", "x"], "--data-dir is a flag of the translate-* tasks"),
    (["train", "mnist-inpaint", "--lambda-map", "1"], "--lambda-map is a flag of the translate-*"),
    (["train", "translate-digits", "--lambda-map", "-1"], "lambda_map must be >= 0"),
    (["train", "translate-digits", "--steps", "0"], "steps must be >= 1"),
    (["evaluate", "does/not/exist.safetensors"], "not found"),
    (["evaluate", str(presets.CHECKPOINTS / "mnist-inpaint.safetensors"), "--draw", "-1"], "draw must be >= 0"),
    (["train", "mnist-denoise", "--noise-x", "-2"], "noise_x must be >= 0"),
    (["experiment", "posterior", "--quick", "--sigma", "-1"], "sigma must be in"),
    (["experiment", "sphere", "--quick", "--seeds", "0"], "seeds must be"),
    (["experiment", "sphere", "--quick", "--epochs", "-2"], "epochs, dim and jobs must be >= 1"),
])
def test_bad_input_exits_2_with_a_message(args, msg, capsys, tmp_path):
    out = ["--out", str(tmp_path / ("o.safetensors" if args[0] == "train" else "res"))]
    assert cli.main(args + out) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and msg in err and err.count("\n") == 1


def test_a_model_error_from_training_exits_2(tmp_path, capsys):
    """An unknown divergence reaches models.build inside fit: the CLI reports it."""
    import torch
    n = torch.get_num_threads()
    try:
        assert cli.main(["train", "mnist-denoise", "--divergence", "kl", "--steps", "1",
                         "--out", str(tmp_path / "m.safetensors"), "--quiet"]) == 2
    finally:
        torch.set_num_threads(n)
    assert "unknown divergence 'kl'" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["train", "mnist-denoise", "--decoder-sees-p", "maybe"],
                                  ["train", "mnist-deblur"], ["experiment", "table9"]])
def test_flags_argparse_refuses_exit_2(args, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(args)
    assert e.value.code == 2 and "error" in capsys.readouterr().err

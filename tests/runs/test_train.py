"""Image-model training (runs.train): augmentation, FitResult and files, the sigma range from
the model config, exact resume after a SIGKILL at a known step, and a quality smoke test."""
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import pwae_core as pw
from pwae_core import checkpoint, data, masks, operators
from pwae_core.runs import presets
from pwae_core.runs.loop import FitResult
from pwae_core.runs.train import fit, shift_augment, state_path, stroke_augment

ROOT = Path(__file__).resolve().parents[2]
TINY_MODEL = dict(d1=4, d2=6, d3=2, width=8)
TINY_FLAGS = ["--d1", "4", "--d2", "6", "--d3", "2", "--width", "8", "--batch-size", "32",
              "--threads", "1"]


def _tiny(task="mnist-inpaint", **train):
    """The preset config of a task with a tiny model, as the CLI builds it from TINY_FLAGS."""
    cfg = presets.train_config(task, "pwae")
    return dataclasses.replace(cfg, **{"batch_size": 32, "threads": 1, **train},
                               model=dataclasses.replace(cfg.model, **TINY_MODEL))


@pytest.fixture
def restore_threads():
    """fit() sets torch's thread count from its config; put the test session's back."""
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_stroke_augment_thickens_about_its_share(share):
    from pwae_core import domains
    x = torch.rand(400, 1, 28, 28) * (torch.rand(400, 1, 28, 28) > 0.9)
    y = stroke_augment(x, share, torch.Generator().manual_seed(0))
    thick = (y.flatten(1) == domains.thicken(x).flatten(1)).all(1)
    plain = (y.flatten(1) == x.flatten(1)).all(1)
    assert (thick | plain).all()
    assert abs(thick.float().mean().item() - share) < 0.08


def test_shift_augment_moves_content_but_keeps_mass():
    x = torch.zeros(64, 1, 28, 28)
    x[:, :, 10:18, 10:18] = 1
    y = shift_augment(x, torch.Generator().manual_seed(0))
    assert torch.equal(y.sum((1, 2, 3)), x.sum((1, 2, 3)))
    assert not torch.equal(y, x)
    moved = [(y[i, 0].nonzero().min(0).values - 10).abs().max() for i in range(64)]
    assert max(moved) == 2                                     # at most max_shift pixels


def test_state_file_lives_beside_the_model_file(tmp_path):
    assert state_path(tmp_path / "m.safetensors") == tmp_path / "m.state.safetensors"


def test_fit_returns_the_result_and_writes_model_and_state(tmp_path, restore_threads):
    cfg = _tiny(steps=4, batch_size=8, checkpoint_every=2)
    steps = []
    run = fit(cfg, tmp_path / "m.safetensors", progress=False, on_step=steps.append)
    assert isinstance(run, FitResult) and steps == [1, 2, 3, 4]
    assert [h["step"] for h in run.history] == [4] and isinstance(run.history[0]["step"], int)
    assert set(run.history[0]) == {"step", "rec_x", "agree", "wae", "moments", "es", "fid", "rec_y", "total"}
    assert run.model.info.train_config == cfg and not run.model.training
    back = pw.load(tmp_path / "m.safetensors")
    assert back.train_config == cfg and back.metrics["history"] == run.history
    assert back.metrics["train_seconds"] == round(run.seconds, 1)
    assert checkpoint.read(state_path(tmp_path / "m.safetensors"))[1]["step"] == 4


def test_resume_refuses_other_settings_but_not_more_steps(tmp_path, restore_threads):
    out = tmp_path / "m.safetensors"
    fit(_tiny(steps=2, batch_size=8, checkpoint_every=2), out, progress=False)
    with pytest.raises(ValueError, match="other settings \\(lambda_es, lr\\)"):
        fit(_tiny(steps=4, batch_size=8, lr=0.5, lambda_es=0.0), out, resume=True, progress=False)
    run = fit(_tiny(steps=4, batch_size=8, checkpoint_every=2), out, resume=True, progress=False)
    assert [h["step"] for h in run.history] == [2, 4]            # continued, not restarted


def test_training_draws_sigma_from_the_model_configs_range(monkeypatch, restore_threads):
    seen = []
    real = operators.Denoise.sample_params
    monkeypatch.setattr(operators.Denoise, "sample_params",
                        lambda self, x, g=None: seen.append((self.sigma_min, self.sigma_max)) or real(self, x, g))
    cfg = _tiny("mnist-denoise", steps=2, batch_size=8)
    cfg.model.sigma_min, cfg.model.sigma_max = 0.3, 0.4
    run = fit(cfg, progress=False)
    assert seen and set(seen) == {(0.3, 0.4)}
    assert (run.model.op.sigma_min, run.model.op.sigma_max) == (0.3, 0.4)


def test_an_unknown_schedule_fails_before_training(tmp_path, restore_threads):
    with pytest.raises(ValueError, match="lr_schedule"):
        fit(_tiny(steps=2, lr_schedule="linear"), tmp_path / "m.safetensors", progress=False)
    assert not (tmp_path / "m.safetensors").exists()


KILL = """
import json, os, signal, sys
from pwae_core.config import TrainConfig
from pwae_core.runs.train import fit
cfg, out, kill_at = TrainConfig.from_dict(json.loads(sys.argv[1])), sys.argv[2], int(sys.argv[3])
def on_step(step):
    if step == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
fit(cfg, out, progress=False, on_step=on_step)
"""


@pytest.mark.slow
def test_sigkill_at_a_known_step_then_resume_is_exact(tmp_path, restore_threads):
    """Killed right after the checkpoint of step 60 (of 100, every 20): the CLI's --resume
    starts at step 60 (its progress bar opens at 60/100), reaches step 100, and ends with the
    weights of an uninterrupted run of the same config."""
    cfg, out = _tiny(steps=100, checkpoint_every=20), tmp_path / "m.safetensors"
    killed = subprocess.run([sys.executable, "-c", KILL, json.dumps(cfg.to_dict()), str(out), "60"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr                    # SIGKILL, not an error
    state = checkpoint.read(state_path(out))[1]
    assert state["step"] == 60 and not out.exists()
    resumed = subprocess.run([sys.executable, "-m", "pwae_core", "train", "mnist-inpaint", "--steps", "100",
                              "--checkpoint-every", "20", "--out", str(out), "--resume", *TINY_FLAGS],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    frames = [f for f in resumed.stderr.replace("\r", "\n").splitlines() if "/100" in f]
    assert frames and "60/100" in frames[0]                          # steps 1..60 are not retrained
    model = pw.load(out)
    assert model.train_config == cfg
    steps = [h["step"] for h in model.metrics["history"]]
    assert steps == sorted(set(steps)) and steps[-1] == 100
    assert model.metrics["history"][:1] == state["history"]          # step 50's row, from the first run
    assert json.loads(resumed.stdout)["last"]["step"] == 100
    ref = fit(cfg, tmp_path / "ref.safetensors", progress=False)     # uninterrupted, same config
    assert ref.history == model.metrics["history"]
    a, b = checkpoint.read(out)[0], checkpoint.read(tmp_path / "ref.safetensors")[0]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_training_smoke_reaches_loose_quality_bar(restore_threads):
    """300 small steps: the conditional mean beats the trivial all-zero estimate clearly."""
    cfg = _tiny(steps=300, batch_size=64, checkpoint_every=10**9, threads=2)
    cfg.model.width = 16
    run = fit(cfg, progress=False)
    model = run.model
    x, _ = data.mnist("test")
    x = x[:200]
    y = model.observe(x, mask=masks.named_mask("box"))
    mean = model.posterior(y, 16, torch.Generator().manual_seed(0)).mean
    err, zero_err = ((mean - x) ** 2).mean(), (x ** 2).mean()
    assert err < 0.5 * zero_err, (err, zero_err)
    assert run.history[-1]["total"] < run.history[0]["total"]

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import pwae_core as pw
from pwae_core import checkpoint, data, masks
from pwae_core.train import fit, shift_augment, state_path

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--d1", "4", "--d2", "6", "--d3", "2", "--width", "8", "--batch-size", "32",
        "--threads", "1"]


def _cli(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return [sys.executable, "-m", "pwae_core", *args], env


def test_shift_augment_moves_content_but_keeps_mass():
    x = torch.zeros(64, 1, 28, 28)
    x[:, :, 10:18, 10:18] = 1
    y = shift_augment(x, torch.Generator().manual_seed(0))
    assert torch.equal(y.sum((1, 2, 3)), x.sum((1, 2, 3)))
    assert not torch.equal(y, x)


def test_sigkill_then_resume_continues_from_last_checkpoint(tmp_path):
    out = tmp_path / "m.safetensors"
    cmd, env = _cli("train", "mnist-inpaint", "--steps", "400", "--checkpoint-every", "20",
                    "--out", str(out), "--quiet", *TINY)
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    sp = state_path(out)
    deadline = time.time() + 120
    while time.time() < deadline:  # wait until at least two checkpoints were written
        if sp.exists() and checkpoint.read(sp)[1]["step"] >= 40:
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = checkpoint.read(sp)[1]["step"]
    assert 40 <= killed_at < 400 and not out.exists()
    cmd, env = _cli("train", "mnist-inpaint", "--steps", "400", "--checkpoint-every", "20",
                    "--out", str(out), "--quiet", "--resume", *TINY)
    res = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    history = pw.load(out).metrics["history"]
    steps = [h["step"] for h in history]
    assert steps == sorted(set(steps)) and steps[-1] == 400  # no step trained twice
    # exact resume: same weights as an uninterrupted run of the same config
    ref = tmp_path / "ref.safetensors"
    cmd, env = _cli("train", "mnist-inpaint", "--steps", "400", "--checkpoint-every", "20",
                    "--out", str(ref), "--quiet", *TINY)
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, timeout=300)
    a, b = checkpoint.read(out)[0], checkpoint.read(ref)[0]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_training_smoke_reaches_loose_quality_bar(tiny_config):
    """300 small steps: the conditional mean beats the trivial all-zero estimate clearly."""
    cfg = pw.presets.train_config("mnist-inpaint", "pwae")
    cfg.steps, cfg.batch_size, cfg.checkpoint_every = 300, 64, 10**9
    cfg.model = tiny_config("pwae", "mnist-inpaint")
    cfg.model.width = 16
    model = fit(cfg, progress=False)
    x, _ = data.mnist("test")
    x = x[:200]
    y = model.observe(x, mask=masks.named_mask("box"))
    mean = model.posterior(y, 16, torch.Generator().manual_seed(0))["mean"]
    err, zero_err = ((mean - x) ** 2).mean(), (x ** 2).mean()
    assert err < 0.5 * zero_err, (err, zero_err)
    assert model.metrics["history"][-1]["total"] < model.metrics["history"][0]["total"]


@pytest.mark.parametrize("args,msg", [
    (["train", "mnist-denoise", "--divergence", "kl", "--steps", "1"], "unknown divergence"),
    (["train", "mnist-denoise", "--kind", "classifier"], "classifier is trained with"),
    (["evaluate", "does/not/exist.safetensors"], "not found"),
])
def test_cli_bad_input_exits_2_with_message(args, msg, tmp_path):
    cmd, env = _cli(*args, *(["--out", str(tmp_path / "o.safetensors")] if args[0] == "train" else []))
    res = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and msg in res.stderr, res.stderr


def test_training_noise_range_comes_from_the_config(tiny_config, monkeypatch):
    seen = []
    from pwae_core import operators
    real = operators.Denoise.sample_params
    monkeypatch.setattr(operators.Denoise, "sample_params",
                        lambda self, x, g=None: seen.append((self.sigma_min, self.sigma_max)) or real(self, x, g))
    cfg = pw.presets.train_config("mnist-denoise", "pwae")
    cfg.steps, cfg.batch_size, cfg.sigma_min, cfg.sigma_max = 2, 8, 0.3, 0.4
    cfg.model = tiny_config()
    fit(cfg, progress=False)
    assert seen and set(seen) == {(0.3, 0.4)}

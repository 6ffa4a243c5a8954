"""The shipped checkpoints load with their training record and meet the acceptance bars on
held-out test digits (a 200-digit subset, marked slow; ``python -m pwae_core evaluate`` runs
the full 1,000 x 64 protocol)."""
import pytest
import torch

import pwae_core as pw
from pwae_core.runs import evaluate, presets

N_INPUTS, N_SAMPLES = 200, 32


@pytest.fixture(scope="module")
def test_digits():
    x, labels = pw.data.mnist("test")
    return x[:N_INPUTS], labels[:N_INPUTS]


@pytest.mark.parametrize("task", ["mnist-denoise", "mnist-inpaint"])
def test_shipped_models_load_with_their_training_record(task):
    for kind in ("pwae", "cvae", "mse"):
        m = pw.load(presets.default_path(task, kind))
        assert m.config.task == task and m.config.kind == kind and m.train_config is not None
        assert m.train_config.task == task and m.train_config.model == m.config
        assert m.metrics["train_seconds"] <= 600  # trained in at most 10 minutes
        # the reconstruction error fell (one logged batch every 50 steps; with one noise
        # level per batch the total swings with sigma, so average the last five)
        h = m.metrics["history"]
        assert sum(e["rec_x"] for e in h[-5:]) / 5 < 0.7 * h[0]["rec_x"]


@pytest.mark.slow
@pytest.mark.parametrize("setting", evaluate.DENOISE_SETTINGS + evaluate.INPAINT_SETTINGS,
                         ids=evaluate.setting_name)
def test_pwae_samples_beat_the_point_estimate(setting, test_digits):
    task = "mnist-denoise" if "sigma" in setting else "mnist-inpaint"
    x, labels = test_digits
    torch.manual_seed(0)
    pwae, mse = (pw.load(presets.default_path(task, k)) for k in ("pwae", "mse"))
    r = evaluate.evaluate(pwae, x, labels, setting, N_SAMPLES, seed=11)
    ref = evaluate.evaluate(mse, x, labels, setting, 1, seed=11)
    assert r["energy_score"] < ref["energy_score"]
    assert 0.85 <= r["coverage"] <= 0.99
    if "mask" in setting:
        assert r["obs_rmse"] <= 0.05

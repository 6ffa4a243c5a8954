"""The digits explorer (the app's digits tab) on the shipped models."""
import numpy as np
import pytest
import torch

import pwae_core as pw
from pwae_core import digits_view as D


@pytest.fixture(scope="module")
def models():
    return D.load_digit_models()


@pytest.fixture(scope="module")
def digit():
    return pw.data.mnist("test")[0][7, 0].numpy()


@pytest.mark.parametrize("task, kw", [("denoise", {"sigma": 0.5}), ("inpaint", {"mask": D.preset_mask("left half")})])
def test_panel_has_every_picture_and_a_histogram_of_all_samples(models, digit, task, kw):
    p = D.digits_panel(models, digit, task, n=16, seed=3, **kw)
    for key in ("observation", "map", "mean"):
        assert p[key].shape == (224, 224, 3) and p[key].dtype == np.uint8
    assert p["std"].shape[0] == 224 and p["classes"].sum() == 16
    assert p["samples"].shape == (2 * 84, 8 * 86, 3)              # 16 tiles of 84 px, 2 px gaps


def test_sigma_changes_what_the_model_sees_and_the_spread(models, digit):
    lo, hi = (D.digits_panel(models, digit, "denoise", sigma=s, n=32) for s in (0.2, 1.0))
    assert not np.array_equal(lo["observation"], hi["observation"])
    assert hi["std_mean"] > lo["std_mean"]


def test_same_seed_same_panel(models, digit):
    a, b = (D.digits_panel(models, digit, "denoise", sigma=0.5, n=8, seed=5) for _ in range(2))
    assert np.array_equal(a["samples"], b["samples"])


@pytest.mark.parametrize("kw, match", [
    ({"task": "denoise", "sigma": 3.0}, "trained range"), ({"task": "denoise", "sigma": float("nan")}, "number"),
    ({"task": "inpaint", "mask": None}, "draw over"), ({"task": "inpaint", "mask": np.ones((28, 28))}, "hides nothing"),
    ({"task": "deblur"}, "task must be"), ({"task": "denoise", "n": 0}, "sample count"),
    ({"task": "denoise", "n": 2.5}, "sample count"), ({"task": "denoise", "seed": -1}, "seed"),
])
def test_bad_requests_raise_clear_errors(models, digit, kw, match):
    with pytest.raises(ValueError, match=match):
        D.digits_panel(models, digit, **{"sigma": 0.5, **kw})


def test_full_mask_gives_prior_samples_with_a_note(models, digit):
    p = D.digits_panel(models, digit, "inpaint", mask=np.zeros((28, 28), np.float32), n=8)
    assert p["notes"] and p["classes"].sum() == 8


def test_principal_directions_are_orthonormal_and_move_the_sample(models, digit):
    p = D.digits_panel(models, digit, "denoise", sigma=0.8, n=4)
    V = D.top_directions(models["denoise"], p["state"], k=3)
    assert torch.allclose(V @ V.T, torch.eye(3), atol=1e-5)
    f0, f1 = (D.eps_frame(models["denoise"], p["state"], V[0], e) for e in (0.0, 2.5))
    assert np.abs(f0.astype(int) - f1.astype(int)).mean() > 1
    with pytest.raises(ValueError):
        D.eps_frame(models["denoise"], p["state"], V[0], float("inf"))


def test_missing_checkpoint_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m pwae_core train"):
        D.load_digit_models(tmp_path)

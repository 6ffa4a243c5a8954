"""The digits explorer (views.digits, the app's digits tab) on the shipped models."""
import numpy as np
import pytest
import torch

import pwae_core as pw
from pwae_core import viz
from pwae_core.models import Condition
from pwae_core.views import digits as D

VIRIDIS_0 = [68, 1, 84]        # the heat map's colour of std 0
TINT = [18, 40, 90]            # a hidden black pixel: 0.45 * (40, 90, 200)


@pytest.fixture(scope="module")
def models():
    return D.load_digit_models()


@pytest.fixture(scope="module")
def digit():
    return pw.data.mnist("test")[0][7, 0].numpy()


def test_the_shipped_models_and_their_sigma_range(models):
    assert set(models) == {"denoise", "inpaint", "classifier"}
    assert models["denoise"].config.task == "mnist-denoise" and models["inpaint"].config.task == "mnist-inpaint"
    assert D.sigma_range(models) == (models["denoise"].op.sigma_min, models["denoise"].op.sigma_max) == (0.1, 1.1)
    assert D.sigma_range({}) == (0.1, 1.1)                     # the config's defaults without one


def test_denoising_panel(models, digit):
    p = D.digits_panel(models, digit, "denoise", sigma=0.5, n=16, seed=3)
    for key in ("observation", "map", "mean"):                       # 1x: the page scales them up
        assert p[key].shape == (28, 28, 3) and p[key].dtype == np.uint8
    obs = p["observation"]
    assert (obs[..., 0] == obs[..., 1]).all() and (obs[..., 1] == obs[..., 2]).all()   # grey, no tint
    state = p["state"]
    assert isinstance(state["cond"], Condition) and state["sigma"] == 0.5
    assert torch.equal(state["cond"].obs, models["denoise"].obs_from_y(state["y"], 0.5))
    assert p["samples"].shape == (2 * 29, 8 * 29) and p["classes"].sum() == 16   # grey mosaic, 1x
    assert p["std"].shape == (224, 224 + 2 + 16 + 44 + 2, 3) and p["std_max"] >= p["std_mean"] > 0
    assert "16 conditional samples, 8 per row" in p["samples_html"] and "data:image/png;base64," in p["samples_html"]
    assert int(np.argmax(p["classes"])) == int(pw.data.mnist("test")[1][7])   # the samples read as the digit


def test_inpainting_panel_is_certain_where_it_sees_and_uncertain_where_it_does_not(models, digit):
    p = D.digits_panel(models, digit, "inpaint", mask=D.preset_mask("left half"), n=16, seed=3)
    obs, std = p["observation"], p["std"][:, :224]                        # heat map without its bar
    assert (obs[:, :14] == TINT).all(axis=-1).mean() > 0.9                # hidden half tinted blue
    assert np.array_equal(obs[:, 14:], viz.gray(digit, 1)[:, 14:])        # observed half as it is
    assert (std[:, 112:] == VIRIDIS_0).all()                              # observed: std 0 exactly
    assert (std[:, :112] != VIRIDIS_0).any(axis=-1).mean() > 0.2          # hidden: samples disagree
    assert np.array_equal(p["map"][:, 14:], obs[:, 14:])                  # data consistency


def test_sigma_changes_what_the_model_sees_and_the_spread(models, digit):
    lo, hi = (D.digits_panel(models, digit, "denoise", sigma=s, n=32) for s in (0.2, 1.0))
    assert not np.array_equal(lo["observation"], hi["observation"])
    assert hi["std_mean"] > lo["std_mean"]


def test_same_seed_same_panel(models, digit):
    a, b = (D.digits_panel(models, digit, "denoise", sigma=0.5, n=8, seed=5) for _ in range(2))
    c = D.digits_panel(models, digit, "denoise", sigma=0.5, n=8, seed=6)
    assert np.array_equal(a["samples"], b["samples"]) and not np.array_equal(a["samples"], c["samples"])


def test_many_samples_are_laid_out_8_per_row_in_a_scrolling_box(models, digit):
    p = D.digits_panel(models, digit, "denoise", sigma=0.5, n=65)
    assert p["samples"].shape == (9 * 29, 8 * 29) and p["n"] == 65
    assert (p["samples"][8 * 29:, 29:] == 255).all()                      # the last row: one sample
    assert "scroll for more" in p["samples_html"]


def test_one_sample_gets_a_note(models, digit):
    p = D.digits_panel(models, digit, "denoise", sigma=0.5, n=1)
    assert any("no spread" in note for note in p["notes"]) and p["std_max"] == 1e-3


# the view's own checks; sigma / n / seed values are checks.number / checks.whole (test_checks.py)
@pytest.mark.parametrize("kw, match", [
    ({"task": "denoise", "sigma": 3.0}, r"sigma must be a number in \[0.1, 1.1\]"),
    ({"task": "inpaint", "mask": None}, "draw over"),
    ({"task": "inpaint", "mask": np.ones((28, 28))}, "hides nothing"),
    ({"task": "deblur"}, "task must be"),
    ({"task": "denoise", "n": 0}, "sample count"),
    ({"task": "denoise", "seed": -1}, "seed"),
])
def test_bad_requests_raise_clear_errors(models, digit, kw, match):
    with pytest.raises(ValueError, match=match):
        D.digits_panel(models, digit, **{"sigma": 0.5, **kw})


def test_unknown_preset_mask():
    assert (D.preset_mask("centre box") == 0).sum() == 196
    for bad in ("top half", ["left half"], None):
        with pytest.raises(ValueError, match="the mask preset must be one of"):
            D.preset_mask(bad)


def test_masks_of_a_request_join_strokes_and_preset():
    digit = np.zeros((28, 28), np.float32)
    assert D.mask_for("denoise", None, "left half") is None
    assert D.mask_for("inpaint", None, "drawn") is None                     # nothing to hide yet
    editor = D.editor_value(digit, hide=D.preset_mask("centre box"))        # the preset painted
    assert editor["layers"][0].shape == (280, 280, 4) and editor["background"].shape == (280, 280, 4)
    both = D.mask_for("inpaint", editor, "left half")
    assert np.array_equal(both, np.minimum(D.preset_mask("centre box"), D.preset_mask("left half")))
    again = D.editor_value(digit, editor, D.preset_mask("right half"))      # strokes are kept
    assert np.array_equal(D.mask_for("inpaint", again, "drawn"),
                          np.minimum(D.preset_mask("centre box"), D.preset_mask("right half")))


def test_full_mask_gives_prior_samples_with_a_note(models, digit):
    p = D.digits_panel(models, digit, "inpaint", mask=np.zeros((28, 28), np.float32), n=8)
    assert p["notes"] == ["The mask hides the whole digit: these are samples of the prior."]
    assert p["classes"].sum() == 8 and (p["observation"] == TINT).all()
    assert (p["std"][:, :224] != VIRIDIS_0).any(axis=-1).mean() > 0.2


def test_principal_directions_frames_and_strips(models, digit):
    model = models["denoise"]
    p = D.digits_panel(models, digit, "denoise", sigma=0.8, n=4)
    V = D.top_directions(model, p["state"], k=3)
    assert torch.allclose(V @ V.T, torch.eye(3), atol=1e-5)
    f0, f1 = (D.eps_frame(model, p["state"], V[0], e) for e in (0.0, 2.5))
    assert np.array_equal(f0, viz.gray(p["map"][..., 0] / 255, 8))   # eps = 0 is the most likely estimate
    assert np.abs(f0.astype(int) - f1.astype(int)).mean() > 1
    with pytest.raises(ValueError, match="eps"):
        D.eps_frame(model, p["state"], V[0], float("inf"))


def test_the_scrub_holds_every_frame_and_shows_the_sliders(models, digit):
    model = models["denoise"]
    p = D.digits_panel(models, digit, "denoise", sigma=0.5, n=4)
    v = D.top_directions(model, p["state"], 1)[0]
    html = D.scrub_html(model, p["state"], v, eps_now=1.5)
    assert 'data-n="61"' in html and "eps = 1.5" in html and html.count('class="thumb"') == 7
    assert "background-position:75.0000% 0" in html                       # frame 45 of 0..60
    labels = [int(x.split("</span>")[0]) for x in html.split("<span>")[1:]]
    assert labels == [-3, -2, -1, 0, 1, 2, 3]
    frames = model.along(p["state"]["cond"], D.eps_grid(), v)[0]         # the sprite's frames
    assert frames.shape == (61, 1, 28, 28) and torch.allclose(D.eps_grid()[[0, 30, 60]], torch.tensor([-3., 0., 3.]))
    v_list, scrub = D.direction(model, p["state"], "principal 1", 0, 0, 0.0)
    assert np.allclose(v_list, v.numpy(), atol=1e-6) and 'data-n="61"' in scrub
    with pytest.raises(ValueError, match="the direction must be one of"):
        D.direction(model, p["state"], "principal 9", 0, 0)


def test_random_direction_is_a_seeded_unit_vector():
    a, b, c = D.random_direction(16, 3), D.random_direction(16, 3), D.random_direction(16, 4)
    assert a.shape == (16,) and torch.equal(a, b) and not torch.equal(a, c)
    assert a.norm().item() == pytest.approx(1, abs=1e-6)


def test_missing_checkpoint_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m pwae_core train mnist-denoise"):
        D.load_digit_models(tmp_path)

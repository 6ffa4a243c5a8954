"""Evaluation of conditional image models (runs.evaluate): same observations for every
model, the metrics, the markdown table, the JSON report and the example figure."""
import json

import numpy as np
import pytest
import torch

from pwae_core import viz
from pwae_core.models import build
from pwae_core.runs import evaluate

VIRIDIS_0 = [68, 1, 84]        # the heat map's colour of std 0


def _data(n=12):
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g)


def _model(tiny_config, kind, task="mnist-inpaint"):
    """A tiny model whose decoders output inside (0, 1), so samples differ."""
    torch.manual_seed(0)
    m = build(tiny_config(kind, task)).eval()
    with torch.no_grad():
        for dec in ("dec_x", "dec"):
            if hasattr(m, dec):
                getattr(m, dec).net[-1].bias.fill_(0.5)
    return m


def test_settings_of_each_task():
    assert [evaluate.setting_name(s) for s in evaluate.settings_for("mnist-denoise")] == \
        ["sigma=0.25", "sigma=0.5", "sigma=1.0"]
    assert [evaluate.setting_name(s) for s in evaluate.settings_for("mnist-inpaint")] == \
        ["mask=left", "mask=right", "mask=box", "mask=strokes"]
    with pytest.raises(ValueError, match="no evaluation settings"):
        evaluate.settings_for("mnist-classifier")


def test_point_estimate_energy_score_is_its_l2_error_and_psnr_its_mse(tiny_config):
    model = _model(tiny_config, "mse", "mnist-denoise")
    x, labels = _data()
    r = evaluate.evaluate(model, x, labels, {"sigma": 0.5}, n_samples=8, seed=3, batch=5)
    obs = evaluate.observations(model, x, {"sigma": 0.5}, seed=3)
    est = model.map_x_given_y(obs["y"], sigma=0.5)
    assert r["energy_score"] == pytest.approx((est - x).flatten(1).norm(dim=1).mean().item(), abs=1e-3)
    assert r["psnr"] == pytest.approx(10 * np.log10(1 / ((est - x) ** 2).mean().item()), abs=1e-2)
    # std 0: only exact hits are covered
    assert r["coverage"] == pytest.approx(((est - x).abs() == 0).float().mean().item(), abs=1e-4)
    assert set(r) == {"energy_score", "psnr", "coverage", "coverage_fg"}


def test_same_observations_for_every_model(tiny_config):
    x, _ = _data()
    a, b = (_model(tiny_config, k) for k in ("pwae", "cvae"))
    oa = evaluate.observations(a, x, {"mask": "strokes"}, seed=5)
    ob = evaluate.observations(b, x, {"mask": "strokes"}, seed=5)
    assert torch.equal(oa["y"], ob["y"]) and oa["sigma"] is None
    assert len({m.sum().item() for m in oa["y"][:, 1]}) > 1  # a different stroke mask per image
    left = evaluate.observations(a, x, {"mask": "left"})["y"]
    assert (left[:, 1, :, :14] == 0).all() and (left[:, 1, :, 14:] == 1).all()


def test_compare_reports_every_setting_and_metric(tiny_config, tmp_path):
    x, labels = _data(6)
    clf = build(tiny_config("classifier")).eval()
    models = {k: _model(tiny_config, k) for k in ("pwae", "mse")}
    res = evaluate.compare(models, x, labels, "mnist-inpaint", n_samples=4, classifier=clf)
    assert list(res) == ["mask=left", "mask=right", "mask=box", "mask=strokes"]
    for per_model in res.values():
        assert list(per_model) == ["pwae", "mse"]
        for r in per_model.values():
            assert set(r) == {"energy_score", "psnr", "coverage", "coverage_fg", "obs_rmse",
                              "multi_class", "mean_class_acc"}
            assert 0 <= r["coverage"] <= 1 and r["obs_rmse"] == 0      # hard data consistency
    assert res["mask=left"]["mse"]["multi_class"] == 0                  # a point mass: 1 class
    md = evaluate.markdown(res).splitlines()
    assert len(md) == 2 + 4 * 2 and md[0].startswith("| setting | model | ES ↓ | PSNR(mean) ↑")
    assert md[2].startswith("| mask=left | pwae | ") and md[-1].startswith("| mask=strokes | mse | ")
    paths = evaluate.write_report(res, tmp_path, "r")
    assert json.loads(open(paths["json"]).read()) == res
    assert open(paths["md"]).read() == evaluate.markdown(res) + "\n"


@pytest.mark.parametrize("kind, rows", [("pwae", 4), ("mse", 3)])
def test_figure_shows_truth_observation_estimates_std_and_samples(tiny_config, kind, rows):
    """Rows of 84 px tiles (28 px at scale 3) after a 110 px label column: truth | y;
    MAP | mean | std; 8 samples; and the eps * v strip for the PWAE only."""
    x, _ = _data(2)
    model = _model(tiny_config, kind)
    img = np.asarray(evaluate.figure(model, x, {"mask": "left"}))
    assert img.shape == (rows * (84 + 4), 110 + 8 * 86, 3)
    assert np.array_equal(img[:84, 110:194], viz.gray(x[0], 3))                     # truth
    y = x[0, :, :, :].clone()
    y[..., :14] = 0
    assert np.array_equal(img[:84, 196:280], viz.gray(y, 3))                         # observed pixels
    std = img[88:172, 282:366]                                                       # std heat map
    assert (std[:, 42:] == VIRIDIS_0).all()                       # observed right half: std 0
    assert (std[:, :42] != VIRIDIS_0).any() == (kind == "pwae")   # hidden half: the PWAE spreads

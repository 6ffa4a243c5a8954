import torch

from pwae_core import evaluate
from pwae_core.model import build


def _data(n=12):
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g)


def test_point_estimate_energy_score_is_its_l2_error(tiny_config):
    model = build(tiny_config("mse", "mnist-denoise")).eval()
    x, labels = _data()
    r = evaluate.evaluate(model, x, labels, {"sigma": 0.5}, n_samples=8, seed=3)
    obs = evaluate.observations(model, x, {"sigma": 0.5}, seed=3)
    err = (model.map_x_given_y(obs["y"], sigma=0.5) - x).flatten(1).norm(dim=1).mean()
    assert abs(r["energy_score"] - err.item()) < 1e-3


def test_same_observations_for_every_model(tiny_config):
    x, _ = _data()
    a, b = (build(tiny_config(k, "mnist-inpaint")) for k in ("pwae", "cvae"))
    oa = evaluate.observations(a, x, {"mask": "strokes"}, seed=5)
    ob = evaluate.observations(b, x, {"mask": "strokes"}, seed=5)
    assert torch.equal(oa["y"], ob["y"])
    assert len({m.sum().item() for m in oa["y"][:, 1]}) > 1  # a different stroke mask per image


def test_compare_reports_every_setting_and_metric(tiny_config, tmp_path):
    x, labels = _data(6)
    clf = build(tiny_config("classifier")).eval()
    models = {k: build(tiny_config(k, "mnist-inpaint")).eval() for k in ("pwae", "mse")}
    res = evaluate.compare(models, x, labels, "mnist-inpaint", n_samples=4, classifier=clf)
    assert list(res) == ["mask=left", "mask=right", "mask=box", "mask=strokes"]
    for per_model in res.values():
        for r in per_model.values():
            assert {"energy_score", "psnr", "coverage", "obs_rmse", "multi_class"} <= set(r)
            assert 0 <= r["coverage"] <= 1
    md = evaluate.markdown(res)
    assert md.count("\n") == 1 + 4 * 2
    paths = evaluate.write_report(res, tmp_path, "r")
    assert paths["json"].exists() and paths["md"].read_text().startswith("| setting")
    img = evaluate.figure(models["pwae"], x, {"mask": "left"})
    assert img.size[0] > 200 and img.size[1] > 100

"""The optimal-transport views (views.ot, the app's sphere and posterior tabs) on the shipped
seed-0 models: what each plotly figure draws and the scores beside it."""
import numpy as np
import pytest
import torch

from pwae_core import gmm as G
from pwae_core import metrics
from pwae_core.views import ot


@pytest.fixture(scope="module")
def views():
    return ot.load_ot_models()


def test_the_shipped_models_and_their_measures(views):
    assert set(views["sphere"]) == set(ot.SPHERE_SETTINGS)
    post = views["posterior"]
    assert post["prior"].dim == 2 and post["F"].shape == (1, 2) and post["sigma"] == 0.1
    assert torch.allclose(post["PWAE"].F, post["F"])


@pytest.mark.parametrize("show_exact", [True, False])
def test_sphere_view_draws_both_samples_and_the_maps(views, show_exact):
    model = views["sphere"]["10,10"]
    fig, scores = ot.sphere_view(model, n=40, show_exact=show_exact, seed=2)
    names = [t.name for t in fig.data]
    exact = ["exact minibatch OT"] if show_exact else []
    assert names == [None, "x ~ mu", "y ~ nu", "learned map x -> M(x)"] + exact
    assert type(fig.data[0]).__name__ == "Surface"                       # the unit sphere
    gen = torch.Generator().manual_seed(2)
    mu = G.GMM.from_dict(model.extra["mu"])
    x = G.sphere_sample(mu, 40, gen)
    pts = np.stack([fig.data[1].x, fig.data[1].y, fig.data[1].z], 1)
    assert np.allclose(pts, x.numpy(), atol=1e-6) and len(fig.data[2].x) == 40
    seg = np.stack([fig.data[3].x, fig.data[3].y, fig.data[3].z], 1).reshape(40, 3, 3)
    assert np.allclose(seg[:, 0], x.numpy(), atol=1e-6) and np.isnan(seg[:, 2]).all()   # x, M(x), gap
    assert np.allclose(seg[:, 1], model.transport_xy(x).numpy(), atol=1e-6)
    assert np.allclose(np.linalg.norm(seg[:, 1], axis=1), 1, atol=1e-5)                 # on the sphere
    assert set(scores) == {"MG", "cost", "ED", "ED_map"} and scores["MG"] >= 0 and scores["ED"] > 0


def test_the_collapsed_setting_scores_a_far_worse_ed(views):
    _, good = ot.sphere_view(views["sphere"]["10,10"], n=20)
    _, collapsed = ot.sphere_view(views["sphere"]["0,0"], n=20)
    assert collapsed["ED"] > 10 * good["ED"]


def test_posterior_view_draws_the_closed_form_the_line_and_both_models(views):
    post = views["posterior"]
    fig, scores = ot.posterior_view(post, y=0.3, n=256)
    assert [t.name for t in fig.data] == ["closed-form p(x | y)", "F x = y", "PWAE", "cVAE"]
    assert fig.data[0].showlegend and fig.layout.xaxis.title.text == "x1" and fig.layout.yaxis.title.text == "x2"
    contour, line = fig.data[0], fig.data[1]
    exact = G.closed_form_posterior(post["prior"], post["F"], post["sigma"], [0.3])
    g, dens = G.density_grid(exact, 2.5)
    assert np.allclose(contour.z, dens) and np.allclose(contour.x, g)
    ends = np.stack([line.x, line.y], 1)
    assert np.allclose(ends @ post["F"].numpy().T, 0.3, atol=1e-6)
    for name in ("PWAE", "cVAE"):
        trace = fig.data[[t.name for t in fig.data].index(name)]
        assert len(trace.x) == 256
        s = torch.tensor(np.stack([trace.x, trace.y], 1), dtype=torch.float32)
        truth = exact.sample(256, torch.Generator().manual_seed(1))
        assert scores[name] >= 0 and float(metrics.energy_distance(s, truth)) < 0.5  # near the posterior
    assert fig.layout.yaxis.scaleanchor == "x"


@pytest.mark.parametrize("call", [lambda v: ot.posterior_view(v["posterior"], y=9.0),
                                  lambda v: ot.sphere_view(v["sphere"]["10,10"], n=5)],
                         ids=["y", "n"])
def test_bad_controls_are_value_errors(views, call):
    with pytest.raises(ValueError, match="must be a (whole )?number in"):
        call(views)


def test_missing_checkpoint_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m pwae_core experiment sphere --checkpoints"):
        ot.load_ot_models(tmp_path)

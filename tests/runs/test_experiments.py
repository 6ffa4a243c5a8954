"""The coupling PWAE paper's tables (runs.experiments, runs.reproduce): the scores, the
reference rows, the markdown, bad options, and the --quick commands end to end."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

import pwae_core as pw
from pwae_core import gmm as G
from pwae_core import metrics
from pwae_core.__main__ import main
from pwae_core.config import CouplingConfig
from pwae_core.models import CouplingPWAE
from pwae_core.runs import experiments as E
from pwae_core.runs import reproduce


def _sphere_model():
    torch.manual_seed(0)
    return CouplingPWAE(CouplingConfig(dim_x=3, dim_y=3, sphere=True, prior="uniform"))


def test_sphere_scores_average_the_models_scores_over_fresh_batches():
    mu, nu = E.sphere_measures(0)
    m = _sphere_model()
    got = E.sphere_scores(m, mu, nu, batches=3, batch=64, seed=2)
    gen = torch.Generator().manual_seed(10_002)
    rows = [m.scores(G.sphere_sample(mu, 64, gen), G.sphere_sample(nu, 64, gen), gen) for _ in range(3)]
    assert got == pytest.approx({k: np.mean([r[k] for r in rows]) for k in ("MG", "ED")})


def test_exact_row_has_zero_monge_gap_and_the_sampling_floor_of_ed():
    mu, nu = E.sphere_measures(0)
    small, large = (E.exact_scores(mu, nu, batches=2, batch=b, seed=0) for b in (32, 256))
    assert small["MG"] == large["MG"] == 0
    assert 0 < large["ED"] < small["ED"]              # two samples of one law: ED ~ 1 / batch


def test_posterior_problem_data_and_observations():
    prior, F = E.posterior_problem(3)
    assert prior.dim == 2 and F.shape == (1, 2) and F.norm().item() == pytest.approx(1, abs=1e-6)
    x, y, (xp, yp) = E.posterior_data(prior, F, 0.1, 4000, seed=0)
    assert x.shape == (4000, 2) and y.shape == (4000, 1) and xp.shape == (4000, 2)
    assert float((yp - xp @ F.T).std()) == pytest.approx(0.1, rel=0.05)     # pairs: y = F x + noise
    assert not torch.equal(y, yp)                                            # PWAE data: unpaired
    y_obs = E.observations(prior, F, 0.1, 5, seed=0)
    assert y_obs.shape == (5, 1) and torch.equal(y_obs, E.observations(prior, F, 0.1, 5, seed=0))


class _ClosedForm:
    """A 'model' that samples the exact posterior (or, with ``wrong``, the prior)."""

    def __init__(self, prior, F, sigma, wrong=False):
        self.prior, self.F, self.sigma, self.wrong = prior, F, sigma, wrong

    def sample_x_given_y(self, ys, n, gen):
        dists = [self.prior if self.wrong else G.closed_form_posterior(self.prior, self.F, self.sigma, y)
                 for y in ys]
        return torch.stack([d.sample(n, gen) for d in dists])


def test_conditional_ed_of_the_exact_posterior_is_at_the_noise_floor():
    prior, F = E.posterior_problem(0)
    y_obs = E.observations(prior, F, 0.1, 4, seed=0)
    eds, floor = E.conditional_eds(_ClosedForm(prior, F, 0.1), prior, F, 0.1, y_obs, 256, seed=0)
    bad, _ = E.conditional_eds(_ClosedForm(prior, F, 0.1, wrong=True), prior, F, 0.1, y_obs, 256, seed=0)
    assert len(eds) == len(floor) == 4 and all(f > 0 for f in floor)
    assert np.mean(eds) < 2 * np.mean(floor) < np.mean(bad)


def test_unconditional_eds_score_both_marginals_of_a_coupling_and_x_of_a_cvae():
    prior, F = E.posterior_problem(0)
    torch.manual_seed(0)
    pwae = CouplingPWAE(CouplingConfig(dim_x=2, dim_y=1, cost="c_F", stochastic=True), F)
    cvae = pw.models.VectorCVAE(pw.VectorCVAEConfig(dim_x=2, dim_y=1))
    a = E.unconditional_eds(pwae, prior, F, 0.1, batches=2, batch=64, seed=0)
    b = E.unconditional_eds(cvae, prior, F, 0.1, batches=2, batch=64, seed=0)
    assert set(a) == {"ED_x", "ED_y", "ED_uncond"} and a["ED_uncond"] == pytest.approx((a["ED_x"] + a["ED_y"]) / 2)
    assert set(b) == {"ED_x", "ED_uncond"} and b["ED_uncond"] == b["ED_x"]


def test_markdown_labels_the_settings_and_reports_mean_and_std():
    stats = lambda v: {"mean": v, "std": 0.5, "runs": [v]}             # noqa: E731
    result = {"experiment": "sphere", "seeds": [0, 1], "seconds": 12.0, "protocol": {"epochs": 2},
              "rows": {"10,10 paper": {k: stats(1.0) for k in ("MG", "ED", "MG+10ED", "seconds")},
                       "10,10 untied": {"MG": stats(2.0)},                # results before 0.3
                       "exact": {"MG": stats(0.0), "ED": stats(0.25)}}}
    lines = E.markdown(result).splitlines()
    assert lines[0] == "| model | MG | ED | MG+10ED | seconds |"
    assert lines[2] == "| lambda_joint, lambda_wae = 10,10 (the paper's optimisation) | 1.000 ± 0.500 | " \
                       "1.000 ± 0.500 | 1.000 ± 0.500 | 1.000 ± 0.500 |"
    assert lines[3].startswith("| lambda_joint, lambda_wae = 10,10 (independent init) | 2.000")
    assert lines[4] == "| exact | 0.000 ± 0.500 | 0.250 ± 0.500 | n/a | n/a |"
    assert "seeds [0, 1]" in lines[-1] and "wall time 12 s" in lines[-1]


@pytest.mark.parametrize("call, match", [
    (lambda: E.sphere_table(seeds=0, quick=True, progress=False), "seeds must be"),
    (lambda: E.sphere_table(seeds=[], quick=True, progress=False), "seeds must be"),
    (lambda: E.sphere_table(seeds=1, epochs=0, quick=True, progress=False), "epochs, dim and jobs"),
    (lambda: E.sphere_table(seeds=1, dim=0, quick=True, progress=False), "epochs, dim and jobs"),
    (lambda: E.posterior_table(seeds=1, jobs=0, quick=True, progress=False), "epochs, dim and jobs"),
    (lambda: E.posterior_table(seeds=1, sigma=0.0, quick=True, progress=False), "sigma must be in"),
    (lambda: reproduce.run("table9"), "unknown experiment 'table9'"),
])
def test_bad_options_fail_before_any_training(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_sphere_quick_writes_table_figure_and_checkpoints(tmp_path):
    assert main(["experiment", "sphere", "--quick", "--seeds", "1", "--out", str(tmp_path),
                 "--checkpoints", str(tmp_path / "ck")]) == 0
    res = json.loads((tmp_path / "sphere.json").read_text())
    rows = res["rows"]
    assert set(rows) == {"0,0", "10,0", "10,10", "10,10 paper", "exact"}
    assert rows["exact"]["MG"]["mean"] < 1e-6
    # without the marginal terms the decoders collapse: far worse generative fit
    assert rows["0,0"]["ED"]["mean"] > 3 * rows["10,10"]["ED"]["mean"]
    assert "MG+10ED" in (tmp_path / "sphere.md").read_text()
    png = np.asarray(Image.open(tmp_path / "sphere.png"))
    assert png.shape[:2] == (506, 990)                               # 9 x 4.6 inches at 110 dpi
    m = pw.load(tmp_path / "ck" / "sphere-10-10.safetensors")
    assert m.metrics["experiment"] == "sphere" and m.metrics["protocol"] == res["protocol"]
    x = G.sphere_sample(G.GMM.from_dict(m.extra["mu"]), 20)
    assert torch.allclose(m.transport_xy(x).norm(dim=1), torch.ones(20), atol=1e-5)
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == [
        "sphere-0-0.safetensors", "sphere-10-0.safetensors", "sphere-10-10-paper.safetensors",
        "sphere-10-10.safetensors"]


@pytest.mark.slow
def test_posterior_quick_reports_noise_floor_and_both_models(tmp_path):
    # --jobs 2: models come back from spawned processes (they must pickle, c_F cost included)
    assert main(["experiment", "posterior", "--quick", "--seeds", "1", "--jobs", "2", "--out",
                 str(tmp_path), "--checkpoints", str(tmp_path / "ck"), "--no-figures"]) == 0
    res = json.loads((tmp_path / "posterior.json").read_text())
    rows = res["rows"]
    assert set(rows) == {"PWAE", "cVAE beta=1"} and res["protocol"]["threads"] == 1
    for r in rows.values():
        assert 0 < r["floor"]["mean"] < r["ED_cond"]["mean"]
    assert "ED_y" in rows["PWAE"] and "ED_y" not in rows["cVAE beta=1"]
    assert not (tmp_path / "posterior.png").exists()
    cvae = pw.load(tmp_path / "ck" / "posterior-cvae-beta1.safetensors")
    pwae = pw.load(tmp_path / "ck" / "posterior-pwae.safetensors")
    assert cvae.sample_x_given_y(torch.zeros(3, 1), 4).shape == (3, 4, 2)
    prior = G.GMM.from_dict(pwae.extra["prior"])
    F = torch.tensor(pwae.extra["F"])
    assert torch.equal(pwae.F, F) and pwae.extra["sigma"] == 0.1 and prior.dim == 2
    assert metrics.energy_distance(pwae.sample_joint(256)[0], prior.sample(256)) < 1.0

"""Seed 002 protocols in --quick mode: the commands run end to end and write what they say."""
import json

import torch

import pwae_core as pw
from pwae_core import experiments as E
from pwae_core import gmm as G
from pwae_core.__main__ import main


def test_exact_ot_map_is_a_permutation_with_zero_monge_gap():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(64, 3, generator=g), torch.randn(64, 3, generator=g) + 1
    mapped = E.exact_ot_map(x, y)
    assert sorted(map(tuple, mapped.tolist())) == sorted(map(tuple, y.tolist()))
    assert abs(float(pw.metrics.monge_gap(x, mapped))) < 1e-6
    assert float(pw.metrics.monge_gap(x, y)) > 0.01          # the identity pairing is not optimal


def test_sphere_quick_writes_table_figure_and_checkpoints(tmp_path):
    assert main(["experiment", "sphere", "--quick", "--seeds", "1", "--out", str(tmp_path),
                 "--checkpoints", str(tmp_path / "ck")]) == 0
    res = json.loads((tmp_path / "sphere.json").read_text())
    rows = res["rows"]
    assert set(rows) == {"0,0", "10,0", "10,10", "10,10 untied", "exact"}
    assert rows["exact"]["MG"]["mean"] < 1e-6
    # without the marginal terms the decoders collapse: far worse generative fit
    assert rows["0,0"]["ED"]["mean"] > 3 * rows["10,10"]["ED"]["mean"]
    assert (tmp_path / "sphere.png").stat().st_size > 10_000
    assert "MG+10ED" in (tmp_path / "sphere.md").read_text()
    m = pw.load(tmp_path / "ck" / "sphere-10-10.safetensors")
    x = G.sphere_sample(G.GMM.from_dict(m.extra["mu"]), 20)
    assert torch.allclose(m.transport_xy(x).norm(dim=1), torch.ones(20), atol=1e-5)


def test_posterior_quick_reports_noise_floor_and_both_models(tmp_path):
    # --jobs 2: models come back from spawned processes (they must pickle, c_F cost included)
    assert main(["experiment", "posterior", "--quick", "--seeds", "1", "--jobs", "2", "--out",
                 str(tmp_path), "--checkpoints", str(tmp_path / "ck"), "--no-figures"]) == 0
    rows = json.loads((tmp_path / "posterior.json").read_text())["rows"]
    assert set(rows) == {"PWAE", "cVAE beta=1"}
    for r in rows.values():
        assert 0 < r["floor"]["mean"] < r["ED_cond"]["mean"]
    assert "ED_y" in rows["PWAE"] and "ED_y" not in rows["cVAE beta=1"]
    cvae = pw.load(tmp_path / "ck" / "posterior-cvae-beta1.safetensors")
    assert cvae.sample_x_given_y(torch.zeros(3, 1), 4).shape == (3, 4, 2)


def test_experiment_cli_reports_bad_names_and_values(capsys, tmp_path):
    assert main(["experiment", "posterior", "--quick", "--sigma", "-1", "--out", str(tmp_path)]) == 2
    assert "sigma" in capsys.readouterr().err

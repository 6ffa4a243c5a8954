"""``python -m pwae_core evaluate`` (runs.report) on tiny saved models: what it compares and
the files it writes (JSON, markdown, one figure per setting)."""
import json

import pytest
import torch
from PIL import Image

import pwae_core as pw
from pwae_core.models import build
from pwae_core.runs import report


@pytest.fixture
def saved(tiny_config, tmp_path):
    torch.manual_seed(0)
    paths = {}
    for kind in ("pwae", "cvae", "mse", "classifier"):
        paths[kind] = pw.save(build(tiny_config(kind, "mnist-inpaint")), tmp_path / f"{kind}.safetensors")
    return paths


@pytest.mark.parametrize("raw", [False, True])
def test_evaluate_checkpoint_writes_the_report_of_every_setting(saved, tmp_path, raw):
    out = tmp_path / "res"
    rep = report.evaluate_checkpoint(saved["pwae"], [saved["cvae"], saved["mse"]], saved["classifier"],
                                     n_samples=3, n_inputs=4, out=out, raw=raw)
    stem = "pwae-raw" if raw else "pwae"
    assert rep["task"] == "mnist-inpaint" and rep["n_inputs"] == 4 and rep["classifier"]
    assert list(rep["results"]) == ["mask=left", "mask=right", "mask=box", "mask=strokes"]
    assert all(list(r) == ["pwae", "cvae", "mse"] for r in rep["results"].values())
    assert all("multi_class" in m for r in rep["results"].values() for m in r.values())
    # raw: no hard data consistency, so the observed pixels are the decoders' own
    assert all((m["obs_rmse"] > 0) == raw for r in rep["results"].values() for m in r.values())
    assert json.loads((out / f"{stem}.json").read_text()) == rep["results"]
    assert (out / f"{stem}.md").read_text().count("| mask=") == 12
    for name in ("left", "right", "box", "strokes"):
        png = out / f"{stem}-mask-{name}.png"
        assert rep["files"][f"mask-{name}"] == str(png) and Image.open(png).size == (798, 352)


def test_a_second_model_of_the_same_kind_is_named_by_its_file(saved, tiny_config, tmp_path):
    other = pw.save(build(tiny_config("pwae", "mnist-inpaint")), tmp_path / "pwae-b.safetensors")
    rep = report.evaluate_checkpoint(saved["pwae"], [other], None, n_samples=2, n_inputs=2,
                                     out=tmp_path / "res")
    assert list(rep["results"]["mask=left"]) == ["pwae", "pwae-b"] and not rep["classifier"]


def test_a_second_draw_scores_other_observations_and_reports_the_latent_split(saved, tmp_path):
    kw = dict(baselines=[], classifier=None, n_samples=2, n_inputs=60, out=tmp_path / "res")
    first = report.evaluate_checkpoint(saved["pwae"], draw=0, **kw)
    second = report.evaluate_checkpoint(saved["pwae"], draw=1, **kw)
    assert second["draw"] == 1 and (tmp_path / "res" / "pwae-draw1.json").exists()
    es = lambda rep: [r["pwae"]["energy_score"] for r in rep["results"].values()]  # noqa: E731
    assert es(first) != es(second)
    assert list(second["latent_split"]) == list(second["results"])
    assert all(-1 < s["r2"] <= 1 and s["spread"] >= 0 for s in second["latent_split"].values())
    assert first["latent_split"] != second["latent_split"]
    with pytest.raises(ValueError, match="draw must be >= 0"):
        report.evaluate_checkpoint(saved["pwae"], draw=-1, **kw)

"""Translation scores (runs.translation): the true map scores perfectly, the identity map
scores as the identity reference, and the exact OT assignment is the cheapest matching."""
import json

import pytest
import torch

from pwae_core import domains
from pwae_core.runs import translation


class _Known:
    """Stand-in model: x -> thicken(x) (the true map), y -> y (the identity)."""

    def transport_xy(self, x):
        return domains.thicken(x.view(-1, 1, 28, 28)).flatten(1)

    def transport_yx(self, y):
        return y.clone()


class _Digits:
    def predict(self, im):                          # reads the class from a planted pixel
        return im[:, 0, 0, :21].argmax(1) // 2


@pytest.fixture(scope="module")
def pair():
    p = domains.thick_digits()
    k = 200
    x = p.x_test[:k].clone()
    lab = p.labels_test[:k]
    x.view(-1, 28, 28)[:, :2, :] = 0
    x.view(-1, 28, 28)[torch.arange(k), 0, 2 * lab + 1] = 1.0     # thickened: 2 lab .. 2 lab + 2
    y = domains.thicken(x.view(-1, 1, 28, 28)).flatten(1)
    return domains.DomainPair(p.x, p.y, x, y, lab)


def test_the_true_map_is_perfect_and_the_identity_matches_its_reference(pair):
    s = translation.scores(_Known(), pair, _Digits())
    assert s["xy"]["model"]["mse"] == 0 and s["xy"]["model"]["classes_kept"] == 1.0
    assert s["yx"]["model"] == s["yx"]["identity"]
    assert s["xy"]["identity"]["psnr"] < 25                  # thick vs thin differs
    assert s["xy"]["identity"]["cost"] == 0 and s["xy"]["identity"]["classes_kept"] == 1.0


def test_the_exact_assignment_is_the_cheapest_matching(pair):
    s = translation.scores(_Known(), pair)
    true_pairing = s["xy"]["model"]["cost"]                  # sum |x_i - y_i|^2 per image
    assert s["exact_cost"] <= true_pairing + 1e-6
    assert s["xy"]["exact_ot"]["cost"] == pytest.approx(s["exact_cost"])
    assert s["yx"]["exact_ot"]["cost"] == pytest.approx(s["exact_cost"])
    assert "classes_kept" not in s["xy"]["model"]


# -- the training task ------------------------------------------------------------------

from pwae_core import models                                   # noqa: E402
from pwae_core.config import TranslationConfig                 # noqa: E402


def _small_pair(n=64, k=32):
    g = torch.Generator().manual_seed(3)
    x = torch.rand(n, 784, generator=g) * (torch.rand(n, 784, generator=g) > 0.8)
    y = domains.thicken(torch.rand(n, 1, 28, 28, generator=g) * (torch.rand(n, 1, 28, 28, generator=g) > 0.9)).flatten(1)
    xt = x[:k]
    return domains.DomainPair(x, y, xt, domains.thicken(xt.view(-1, 1, 28, 28)).flatten(1),
                              torch.zeros(k, dtype=torch.long), name="tiny")


def _tiny(steps=6, **kw):
    return translation.task_config("translate-digits", steps=steps, checkpoint_every=2, threads=1,
                                   width=4, d_latent=4, batch_size=8, **kw)


def test_task_config_routes_options_and_refuses_unknown_ones():
    cfg = translation.task_config("translate-faces", steps=5, lr=3e-4, attribute="Male")
    assert (cfg.steps, cfg.attribute, cfg.coupling.lr, cfg.coupling.net) == (5, "Male", 3e-4, "conv64")
    assert cfg.coupling.dim_x == 3 * 64 * 64 and not cfg.coupling.stochastic
    with pytest.raises(ValueError, match="unknown translation settings"):
        translation.task_config("translate-digits", lambda_es=1.0)
    with pytest.raises(ValueError, match="unknown translation task"):
        translation.task_config("translate-cats")
    assert TranslationConfig.from_dict(cfg.to_dict()) == cfg


def test_train_saves_a_model_that_loads_with_its_config_and_scores(tmp_path):
    out = tmp_path / "t.safetensors"
    run = translation.train(_tiny(), out=out, progress=False, pair=_small_pair())
    back = models.load(out)
    assert back.info.train_config == _tiny() and back.info.extra["trained_on"] == "tiny"
    assert set(back.metrics["test"]) == {"exact_cost", "xy", "yx"}
    assert run.checks == back.metrics["test"] and len(run.history) >= 1
    x = _small_pair().x_test
    assert torch.equal(back.transport_xy(x), run.model.transport_xy(x))


def test_resume_after_an_interruption_is_exact(tmp_path):
    pair, full, cut = _small_pair(), tmp_path / "full.safetensors", tmp_path / "cut.safetensors"
    translation.train(_tiny(), out=full, progress=False, pair=pair)

    def stop_at_4(step):
        if step == 4:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        translation.train(_tiny(), out=cut, progress=False, pair=pair, on_step=stop_at_4)
    assert not cut.exists()
    translation.train(_tiny(), out=cut, resume=True, progress=False, pair=pair)
    a, b = models.load(full).state_dict(), models.load(cut).state_dict()
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    with pytest.raises(ValueError, match="other settings"):
        translation.train(_tiny(lr=5e-4), out=cut, resume=True, progress=False, pair=pair)


def test_the_report_regenerates_the_table_from_a_model_file(tmp_path, capsys):
    from pwae_core import __main__ as cli
    ckpt = tmp_path / "t.safetensors"
    translation.train(_tiny(steps=2), out=ckpt, progress=False, pair=_small_pair())
    assert cli.main(["evaluate", str(ckpt), "--out", str(tmp_path / "res")]) == 0
    table = capsys.readouterr().out
    assert table.count("| xy |") == 3 and table.count("| yx |") == 3 and "classes_kept" in table
    saved = json.loads((tmp_path / "res" / "t.json").read_text())
    assert set(saved["test"]) == {"exact_cost", "xy", "yx"} and "thick" in saved["data"]
    assert (tmp_path / "res" / "t.png").stat().st_size > 0
    with pytest.raises(ValueError, match="not a translation model"):
        translation.report(translation.STROKES_CLASSIFIER, tmp_path)


def test_the_figure_shows_one_test_digit_per_class(pair):
    labels = torch.randint(0, 10, (300,), generator=torch.Generator().manual_seed(0))
    pick = translation._one_per_class(labels, 10)
    assert sorted(labels[pick].tolist()) == list(range(10)) and len(set(pick.tolist())) == 10
    assert translation._one_per_class(labels, 12)[10:].tolist() == [
        i for i in range(len(labels)) if i not in pick.tolist()][:2]
    assert translation._one_per_class(None, 3).tolist() == [0, 1, 2]
    picture = translation.figure(_Known(), pair)
    assert picture.shape == (6 * 28, 10 * 28) and picture.dtype.name == "uint8"
    few = domains.DomainPair(pair.x, pair.y, pair.x_test[:3], pair.y_test[:3], pair.labels_test[:3])
    assert translation.figure(_Known(), few).shape == (6 * 28, 3 * 28)

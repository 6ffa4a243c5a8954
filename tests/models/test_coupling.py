"""The coupling PWAE (models.coupling): shapes, loss (4), costs (named, c_F, a user callable),
scores, bad input and model files. Training is tested in tests/runs/test_fitting.py."""
import pytest
import torch

import pwae_core as pw
from pwae_core import costs, metrics
from pwae_core.config import CouplingConfig
from pwae_core.models.coupling import CouplingPWAE

L1 = lambda u, v: (u - v).abs().sum(1)  # noqa: E731  a per-pair cost (B,)


def model(**kw):
    torch.manual_seed(0)
    return CouplingPWAE(CouplingConfig(**{"dim_x": 3, "dim_y": 3, **kw}))


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def test_maps_and_samples_have_the_documented_shapes():
    m = model(stochastic=True)
    x = torch.randn(5, 3, generator=_gen(1))
    assert m.transport_xy(x).shape == (5, 3) and m.transport_yx(x).shape == (5, 3)
    assert m.sample_x_given_y(x, 7).shape == (5, 7, 3)
    assert m.sample_y_given_x(x, 2).shape == (5, 2, 3)
    assert torch.equal(m.map_x_given_y(x), m.transport_yx(x))
    xs, ys = m.sample_joint(11)
    assert xs.shape == (11, 3) and ys.shape == (11, 3)


def test_stochastic_samples_vary_and_deterministic_ones_do_not():
    y = torch.randn(2, 3, generator=_gen(1))
    assert model(stochastic=True).sample_x_given_y(y, 8, _gen(0)).std(1).min() > 0
    assert model().sample_x_given_y(y, 8).std(1).max() == 0


def test_sphere_decoders_and_uniform_prior():
    m = model(sphere=True, prior="uniform")
    xs, ys = m.sample_joint(100, _gen(0))
    assert torch.allclose(xs.norm(dim=1), torch.ones(100), atol=1e-5)
    assert torch.allclose(ys.norm(dim=1), torch.ones(100), atol=1e-5)
    z = m.prior(1000, _gen(1))
    assert z.min() >= 0 and z.max() <= 1 and abs(float(z.mean()) - 0.5) < 0.05


def test_tied_initialisation_starts_with_equal_maps():
    x = torch.randn(4, 3, generator=_gen(1))
    tied, untied = model(), model(tie_init=False)
    assert torch.equal(tied.encode_x(x), tied.encode_y(x))
    assert not torch.equal(untied.encode_x(x), untied.encode_y(x))


PLAIN = dict(teacher=0.0, joint_anneal=1.0)     # loss (4) itself: no teacher, no annealing


def test_loss_is_equation_4():
    m = model(lambda_joint=3.0, lambda_wae=2.0, **PLAIN)
    g = _gen(0)
    x, y = torch.randn(64, 3, generator=_gen(1)), torch.randn(64, 3, generator=_gen(2))
    t = m.loss(x, y, g)
    want = t["coupling"] + 3 * (t["rec_x"] + t["rec_y"] + 2 * (t["wae_x"] + t["wae_y"]))
    assert torch.allclose(t["total"], want) and "teacher" not in t
    t0 = model(lambda_joint=0.0, **PLAIN).loss(x, y, g)
    assert torch.equal(t0["total"], t0["coupling"])


def test_lambda_map_adds_the_maps_pushforward_divergences_in_data_space():
    m = model(lambda_joint=3.0, lambda_wae=2.0, lambda_map=5.0, **PLAIN)
    x, y = torch.randn(64, 3, generator=_gen(1)), 2 + torch.randn(64, 3, generator=_gen(2))
    t = m.loss(x, y, _gen(0))
    with torch.no_grad():
        assert torch.allclose(t["map_y"], metrics.energy_distance(m.transport_xy(x), y))
        assert torch.allclose(t["map_x"], metrics.energy_distance(m.transport_yx(y), x))
    want = t["coupling"] + 3 * (t["rec_x"] + t["rec_y"] + 2 * (t["wae_x"] + t["wae_y"])
                                + 5 * (t["map_x"] + t["map_y"]))
    assert torch.allclose(t["total"], want) and t["map_y"] > 0.5
    assert "map_x" not in model(**PLAIN).loss(x, y, _gen(0))


@pytest.mark.parametrize("sphere", [False, True])
def test_shared_decodings_equal_the_terms_decoded_one_by_one(sphere):
    m = model(lambda_map=2.0, teacher=3.0, sphere=sphere)
    x, y = torch.randn(24, 3, generator=_gen(1)), torch.randn(24, 3, generator=_gen(2))
    t = m.loss(x, y, _gen(0), frac=0.1)
    zx, zy, z = m.encode_x(x), m.encode_y(y), m.prior(24, _gen(0))
    sq = lambda a, b: ((a - b) ** 2).sum(1).mean()                 # noqa: E731
    assert torch.allclose(t["coupling"], ((m.decode_x(z) - m.decode_y(z)) ** 2).sum(1).mean())
    assert torch.allclose(t["rec_x"], sq(m.decode_x(zx), x)) and torch.allclose(t["rec_y"], sq(m.decode_y(zy), y))
    assert torch.allclose(t["map_x"], metrics.energy_distance(m.decode_x(zy), x))
    assert torch.allclose(t["teacher"], m._teacher(x, y, m.decode_y(zx), m.decode_x(zy)))


def test_lambda_joint_anneals_and_the_teacher_fades_out():
    m = model(lambda_joint=3.0, lambda_wae=2.0, joint_anneal=100.0, teacher=5.0, teacher_until=0.5)
    x, y = torch.randn(16, 3, generator=_gen(1)), torch.randn(16, 3, generator=_gen(2))
    joint = lambda t: t["rec_x"] + t["rec_y"] + 2 * (t["wae_x"] + t["wae_y"])  # noqa: E731
    at = {f: m.loss(x, y, _gen(0), frac=f) for f in (0.0, 0.25, 0.5, 1.0)}
    assert torch.allclose(at[0.0]["total"], at[0.0]["coupling"] + 3 * joint(at[0.0]) + 5 * at[0.0]["teacher"])
    assert torch.allclose(at[0.25]["total"], at[0.25]["coupling"] + 3 * 100 ** 0.25 * joint(at[0.25])
                          + 2.5 * at[0.25]["teacher"])
    assert "teacher" not in at[0.5] and "teacher" not in at[1.0]
    assert torch.allclose(at[1.0]["total"], at[1.0]["coupling"] + 300 * joint(at[1.0]))


def test_the_teacher_pairs_each_minibatch_by_exact_ot():
    m = model(teacher=1.0)
    x, y = torch.randn(16, 3, generator=_gen(1)), torch.randn(16, 3, generator=_gen(2))
    j = metrics.exact_ot_pairs(x, y)
    zx, zy = m.encode_x(x), m.encode_y(y)
    want = ((m.decode_y(zx) - y[j]) ** 2).sum(1).mean() + ((m.decode_x(zy[j]) - x) ** 2).sum(1).mean()
    assert torch.allclose(m._teacher(x, y, m.decode_y(zx), m.decode_x(zy)), want)
    assert float(metrics.monge_gap(x, y[j])) < 1e-5                 # the pairs are OT-optimal


@pytest.mark.parametrize("kw", [{"teacher": -1.0}, {"teacher_until": 1.5}, {"joint_anneal": 0.0}])
def test_bad_teacher_and_annealing_settings_are_refused(kw):
    with pytest.raises(ValueError, match="teacher must be >= 0"):
        model(**kw)


def test_joint_warmup_ramps_lambda_joint():
    m = model(joint_warmup=0.5, lambda_joint=4.0, **PLAIN)
    x, y = torch.randn(32, 3, generator=_gen(1)), torch.randn(32, 3, generator=_gen(2))
    at = {f: m.loss(x, y, _gen(0), frac=f) for f in (0.0, 0.25, 1.0)}
    joint = lambda t: t["rec_x"] + t["rec_y"] + m.config.lambda_wae * (t["wae_x"] + t["wae_y"])  # noqa: E731
    assert torch.equal(at[0.0]["total"], at[0.0]["coupling"])
    assert torch.allclose(at[0.25]["total"], at[0.25]["coupling"] + 2.0 * joint(at[0.25]))
    assert torch.allclose(at[1.0]["total"], at[1.0]["coupling"] + 4.0 * joint(at[1.0]))


def test_c_F_cost_uses_the_operator():
    F = torch.tensor([[1.0, 2.0]])
    m = CouplingPWAE(CouplingConfig(dim_x=2, dim_y=1, cost="c_F"), F)
    x, y = torch.tensor([[1.0, 1.0]]), torch.tensor([[1.0]])
    assert torch.allclose(m.cost(x, y), torch.tensor([4.0]))


def test_a_user_callable_cost_is_given_to_the_constructor_or_use_cost():
    cfg = CouplingConfig(dim_x=2, dim_y=2, cost="callable")
    x, y = torch.randn(5, 2, generator=_gen(1)), torch.randn(5, 2, generator=_gen(2))
    assert torch.equal(CouplingPWAE(cfg, cost=L1).cost(x, y), L1(x, y))
    m = CouplingPWAE(cfg)
    assert m.use_cost(L1) is m and torch.equal(m.cost(x, y), L1(x, y))


@pytest.mark.parametrize("call, match", [
    (lambda: CouplingPWAE(CouplingConfig(dim_x=2, dim_y=3)), "dim_x == dim_y"),
    (lambda: CouplingPWAE(CouplingConfig(dim_x=2, dim_y=1, cost="c_F"), torch.ones(2, 2)),
     r"F must have shape \(dim_y, dim_x\) = \(1, 2\)"),
    (lambda: CouplingPWAE(CouplingConfig(dim_x=2, dim_y=2, cost="manhattan")), "unknown cost"),
    (lambda: CouplingPWAE(CouplingConfig(dim_x=2, dim_y=2, divergence="kl")), "unknown divergence"),
    (lambda: model().use_cost(L1), "configured with cost 'callable'"),
    (lambda: CouplingPWAE(CouplingConfig(dim_x=2, dim_y=2, cost="callable")).use_cost("l1"),
     "takes a callable"),
    (lambda: CouplingPWAE(CouplingConfig(dim_x=2, dim_y=2, cost="callable")).cost(
        torch.zeros(1, 2), torch.zeros(1, 2)), "use_cost"),
    (lambda: CouplingPWAE(CouplingConfig(dim_x=2, dim_y=2, cost="callable"),
                          cost=lambda u, v: (u - v) ** 2).cost(torch.zeros(3, 2), torch.zeros(3, 2)),
     r"shape \(B,\)"),
])
def test_bad_models_and_costs_are_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("bad, match", [(torch.zeros(4, 2), r"x must have shape \(N, 3\)"),
                                        (torch.full((4, 3), float("inf")), "x contains NaN")],
                         ids=["wrong-d", "inf"])
def test_maps_route_bad_input_to_value_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        model().transport_xy(bad)


def test_bad_sample_count_is_a_value_error():
    with pytest.raises(ValueError, match="n must be"):
        model().sample_joint(0)


@pytest.mark.parametrize("cost", ["sqeuclidean", "c_F", "callable"])
def test_scores_are_the_monge_gap_of_both_maps_and_the_ed_of_both_marginals(cost):
    """MG = mean of MG(x -> M_xy(x)) and MG(y -> M_yx(y)) under the model's own cost (with
    its arguments in (x, y) order both ways); ED = mean of both marginals' energy distance."""
    d_y = 1 if cost == "c_F" else 3
    F = torch.tensor([[0.6, 0.8, 0.0]])
    kw = {"c_F": dict(F=F), "callable": dict(cost=L1)}.get(cost, {})
    torch.manual_seed(0)
    m = CouplingPWAE(CouplingConfig(dim_x=3, dim_y=d_y, cost=cost), **kw)
    x, y = torch.randn(64, 3, generator=_gen(1)), torch.randn(64, d_y, generator=_gen(2))
    got = m.scores(x, y, _gen(3))
    xs, ys = m.sample_joint(64, _gen(3))
    fn = costs.get(L1 if cost == "callable" else cost, F)
    mg = (metrics.monge_gap(x, m.transport_xy(x), fn)
          + metrics.monge_gap(y, m.transport_yx(y), lambda a, b: fn(b, a)))
    ed = metrics.energy_distance(x, xs) + metrics.energy_distance(y, ys)
    tx, ty = m.transport_xy(x), m.transport_yx(y)
    cost_maps = fn(x, tx).mean() + fn(ty, y).mean()
    ed_map = metrics.energy_distance(tx, y) + metrics.energy_distance(ty, x)
    assert set(got) == {"MG", "cost", "ED", "ED_map"}
    assert got["cost"] == pytest.approx(0.5 * float(cost_maps), rel=1e-6)
    assert got["ED_map"] == pytest.approx(0.5 * float(ed_map), rel=1e-6)
    assert got["MG"] == pytest.approx(0.5 * float(mg), abs=1e-6) and got["MG"] > -1e-6
    assert got["ED"] == pytest.approx(0.5 * float(ed), rel=1e-6) and got["ED"] > 0


def test_round_trip_keeps_maps_F_and_extra(tmp_path):
    F = torch.tensor([[0.6, 0.8]])
    torch.manual_seed(0)
    m = CouplingPWAE(CouplingConfig(dim_x=2, dim_y=1, cost="c_F", stochastic=True), F)
    m.info.extra = {"sigma": 0.1}
    pw.save(m, tmp_path / "c.safetensors")
    back = pw.load(tmp_path / "c.safetensors")
    y = torch.randn(4, 1, generator=_gen(1))
    assert isinstance(back, pw.CouplingPWAE) and back.extra == {"sigma": 0.1}
    assert torch.equal(back.F, F) and torch.equal(back.transport_yx(y), m.transport_yx(y))
    assert torch.equal(back.sample_x_given_y(y, 3, _gen(0)), m.sample_x_given_y(y, 3, _gen(0)))


def test_a_callable_cost_is_not_saved_and_loading_says_so(tmp_path):
    m = CouplingPWAE(CouplingConfig(dim_x=2, dim_y=2, cost="callable"), cost=L1)
    pw.save(m, tmp_path / "c.safetensors")
    back = pw.load(tmp_path / "c.safetensors")
    with pytest.raises(ValueError, match="callable cost.*use_cost"):
        back.cost(torch.zeros(1, 2), torch.zeros(1, 2))
    x = torch.randn(3, 2, generator=_gen(1))
    assert torch.equal(back.use_cost(L1).cost(x, x + 1), torch.full((3,), 2.0))


@pytest.mark.parametrize("net, dim", [("conv28", 784), ("conv64", 3 * 64 * 64)])
def test_image_nets_map_flattened_images_into_the_pixel_range(net, dim):
    from pwae_core.models.networks import ImageEncoder
    cfg = CouplingConfig(dim_x=dim, dim_y=dim, net=net, d_latent=8, width=8)
    model = CouplingPWAE(cfg)
    assert isinstance(model.enc_x, ImageEncoder)
    x = torch.rand(5, dim, generator=torch.Generator().manual_seed(0))
    out = model.transport_xy(x)
    assert out.shape == (5, dim) and out.min() >= 0 and out.max() <= 1
    assert set(model.loss(x, x.flip(0), frac=0.0)) >= {"coupling", "rec_x", "teacher", "total"}


@pytest.mark.parametrize("kw, match", [
    (dict(net="resnet"), "net must be 'mlp' or one of"),
    (dict(net="conv28", dim_x=784, dim_y=10, cost="c_F"), "dim_x = dim_y = 784"),
    (dict(net="conv64", dim_x=784, dim_y=784), "dim_x = dim_y = 12288"),
    (dict(net="conv64", dim_x=12288, dim_y=12288, width=6), "multiple of 4"),
    (dict(net="conv28", dim_x=784, dim_y=784, width=7), "multiple of 2"),
    (dict(net="conv28", dim_x=784, dim_y=784, stochastic=True), "deterministic encoders"),
])
def test_bad_network_settings_are_refused(kw, match):
    with pytest.raises(ValueError, match=match):
        CouplingConfig(**kw)


def test_only_the_c_F_cost_keeps_an_F_and_old_files_with_zeros_still_load(tmp_path):
    from pwae_core import models
    plain = CouplingPWAE(CouplingConfig(dim_x=2, dim_y=2))
    assert plain.F is None and "F" not in plain.state_dict()
    old = dict(plain.state_dict(), F=torch.zeros(2, 2))          # what files before 0.3 held
    again = CouplingPWAE(CouplingConfig(dim_x=2, dim_y=2))
    again.load_state_dict(old)
    assert again.F is None
    with_F = CouplingPWAE(CouplingConfig(dim_x=2, dim_y=2, cost="c_F"), F=torch.eye(2))
    models.save(with_F, tmp_path / "f.safetensors")
    assert torch.equal(models.load(tmp_path / "f.safetensors").F, torch.eye(2))

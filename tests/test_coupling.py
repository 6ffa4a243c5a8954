"""Coupling paired WAE (seed 002): shapes, loss (4), bad input, checkpoints, and the
closed-form Gaussian OT map recovered by fit_coupling."""
import pytest
import torch

import pwae_core as pw
from pwae_core.config import CouplingConfig
from pwae_core.coupling import CouplingPWAE


def model(**kw):
    torch.manual_seed(0)
    return CouplingPWAE(CouplingConfig(**{"dim_x": 3, "dim_y": 3, **kw}))


def test_maps_and_samples_have_the_documented_shapes():
    m = model(stochastic=True)
    x = torch.randn(5, 3)
    assert m.transport_xy(x).shape == (5, 3) and m.transport_yx(x).shape == (5, 3)
    assert m.sample_x_given_y(x, 7).shape == (5, 7, 3)
    assert m.sample_y_given_x(x, 2).shape == (5, 2, 3)
    xs, ys = m.sample_joint(11)
    assert xs.shape == (11, 3) and ys.shape == (11, 3)


def test_stochastic_samples_vary_and_deterministic_ones_do_not():
    y = torch.randn(2, 3)
    assert model(stochastic=True).sample_x_given_y(y, 8).std(1).min() > 0
    assert model().sample_x_given_y(y, 8).std(1).max() == 0


def test_sphere_decoders_and_uniform_prior():
    m = model(sphere=True, prior="uniform")
    xs, ys = m.sample_joint(100)
    assert torch.allclose(xs.norm(dim=1), torch.ones(100), atol=1e-5)
    z = m.prior(1000)
    assert z.min() >= 0 and z.max() <= 1


def test_loss_is_equation_4():
    m = model(lambda_joint=3.0, lambda_wae=2.0)
    g = torch.Generator().manual_seed(0)
    t = m.loss(torch.randn(64, 3), torch.randn(64, 3), g)
    want = t["coupling"] + 3 * (t["rec_x"] + t["rec_y"] + 2 * (t["wae_x"] + t["wae_y"]))
    assert torch.allclose(t["total"], want)
    t0 = model(lambda_joint=0.0).loss(torch.randn(64, 3), torch.randn(64, 3), g)
    assert torch.equal(t0["total"], t0["coupling"])


def test_c_F_cost_uses_the_operator():
    F = torch.tensor([[1.0, 2.0]])
    m = CouplingPWAE(CouplingConfig(dim_x=2, dim_y=1, cost="c_F"), F)
    x, y = torch.tensor([[1.0, 1.0]]), torch.tensor([[1.0]])
    assert torch.allclose(m.cost(x, y), torch.tensor([4.0]))


def test_one_step_changes_weights_and_training_is_seeded():
    x, y = torch.randn(300, 2), torch.randn(300, 2) + 1
    a = pw.fit_coupling(x, y, steps=3, progress=False)
    b = pw.fit_coupling(x, y, steps=3, progress=False)
    torch.manual_seed(0)
    init = CouplingPWAE(CouplingConfig(dim_x=2, dim_y=2))
    for (k, pa), pb, p0 in zip(a.state_dict().items(), b.state_dict().values(), init.state_dict().values()):
        assert torch.equal(pa, pb), k
    assert any(not torch.equal(pa, p0) for pa, p0 in zip(a.parameters(), init.parameters()))


def test_callable_cost_matches_the_named_one():
    x, y = torch.randn(256, 2), torch.randn(256, 2)
    a = pw.fit_coupling(x, y, steps=5, progress=False)
    b = pw.fit_coupling(x, y, cost=lambda u, v: ((u - v) ** 2).sum(1), steps=5, progress=False)
    assert torch.allclose(a.transport_xy(x), b.transport_xy(x), atol=1e-6)


@pytest.mark.parametrize("x, y, kw, match", [
    (torch.randn(50, 2), torch.randn(50, 3), {}, "dim_x == dim_y"),
    (torch.full((50, 2), float("nan")), torch.randn(50, 2), {}, "NaN"),
    (torch.randn(0, 2), torch.randn(50, 2), {}, "N, d >= 1"),
    (torch.randn(50, 2), torch.randn(50, 2), {"cost": lambda u, v: (u - v) ** 2}, r"shape \(B,\)"),
    (torch.randn(50, 2), torch.randn(50, 2), {"cost": "l1"}, "unknown cost"),
    (torch.randn(50, 2), torch.randn(50, 1), {"cost": "c_F"}, "needs the operator F"),
    (torch.randn(50, 2), torch.randn(50, 1), {"cost": "c_F", "F": torch.ones(2, 2)}, "F must have shape"),
    (torch.randn(50, 2), torch.randn(50, 2), {"prior": "cauchy"}, "prior"),
    ("not numbers", torch.randn(50, 2), {}, "tensor or array"),
])
def test_fit_coupling_rejects_bad_input(x, y, kw, match):
    with pytest.raises(ValueError, match=match):
        pw.fit_coupling(x, y, steps=1, progress=False, **kw)


@pytest.mark.parametrize("bad", [torch.randn(4, 2), torch.randn(4), torch.full((4, 3), float("inf"))])
def test_maps_reject_bad_input(bad):
    with pytest.raises(ValueError):
        model().transport_xy(bad)


def test_checkpoint_round_trip_keeps_maps_and_extra(tmp_path):
    F = torch.tensor([[0.6, 0.8]])
    m = pw.fit_coupling(torch.randn(300, 2), torch.randn(300, 1), cost="c_F", F=F, stochastic=True,
                        steps=2, progress=False)
    m.extra = {"sigma": 0.1}
    pw.save(m, tmp_path / "c.safetensors")
    back = pw.load(tmp_path / "c.safetensors")
    y = torch.randn(4, 1)
    assert isinstance(back, pw.CouplingPWAE) and back.extra == {"sigma": 0.1}
    assert torch.equal(back.F, F) and torch.equal(back.transport_yx(y), m.transport_yx(y))


def test_a_callable_cost_is_not_restorable_and_says_so(tmp_path):
    m = pw.fit_coupling(torch.randn(64, 2), torch.randn(64, 2), cost=lambda u, v: (u - v).abs().sum(1),
                        steps=1, progress=False)
    pw.save(m, tmp_path / "c.safetensors")
    back = pw.load(tmp_path / "c.safetensors")
    with pytest.raises(ValueError, match="callable cost"):
        back.cost(torch.zeros(1, 2), torch.zeros(1, 2))


def _sqrtm(S):
    e, V = torch.linalg.eigh(S)
    return V @ torch.diag(e.sqrt()) @ V.T


def gaussian_ot_error(d: int, seed: int = 1) -> float:
    """Relative RMS error of the learned map D_y(E_x(x)) against the closed-form Gaussian OT
    map T(x) = m2 + A (x - m1), A = S1^-1/2 (S1^1/2 S2 S1^1/2)^1/2 S1^-1/2, on fresh x."""
    torch.manual_seed(seed)
    m1, m2 = 0.5 * torch.randn(d), 0.5 * torch.randn(d)
    Q1, Q2 = torch.linalg.qr(torch.randn(d, d))[0], torch.linalg.qr(torch.randn(d, d))[0]
    S1 = Q1 @ torch.diag(0.2 + 0.9 * torch.rand(d)) @ Q1.T
    S2 = Q2 @ torch.diag(0.2 + 0.9 * torch.rand(d)) @ Q2.T
    g = torch.Generator().manual_seed(seed)
    draw = lambda m, S, n: m + torch.randn(n, d, generator=g) @ torch.linalg.cholesky(S).T  # noqa: E731
    model = pw.fit_coupling(draw(m1, S1, 20_000), draw(m2, S2, 20_000), d_latent=d, epochs=40,
                            progress=False, **pw.fitting.GAUSSIAN_OT)
    r = _sqrtm(S1)
    A = torch.linalg.inv(r) @ _sqrtm(r @ S2 @ r) @ torch.linalg.inv(r)
    x = draw(m1, S1, 5000)
    T = m2 + (x - m1) @ A.T
    err = (model.transport_xy(x) - T).pow(2).sum(1).mean() / (T - m2).pow(2).sum(1).mean()
    return float(err.sqrt())


@pytest.mark.parametrize("d", [2, 5])
def test_recovers_the_closed_form_gaussian_ot_map(d):
    err = gaussian_ot_error(d)
    print(f"Gaussian OT map, d={d}: relative error {err:.3f}")
    assert err < 0.08

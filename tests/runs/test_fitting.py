"""Training on sample sets (runs.fitting): seeded couplings and vector cVAEs, their results,
their input checks, and the closed-form Gaussian OT map recovered by fit_coupling."""
import pytest
import torch

import pwae_core as pw
from pwae_core.config import CouplingConfig
from pwae_core.models import CouplingPWAE, VectorCVAE
from pwae_core.runs.fitting import GAUSSIAN_OT, fit_coupling_run, fit_cvae_run
from pwae_core.runs.loop import FitResult


def _data(n=300, dy=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 2, generator=g), torch.randn(n, dy, generator=g) + 1


def test_training_is_seeded_and_moves_every_weight_from_the_seeded_start():
    x, y = _data()
    a = pw.fit_coupling(x, y, steps=3, progress=False)
    b = pw.fit_coupling(x, y, steps=3, progress=False)
    torch.manual_seed(0)
    init = CouplingPWAE(CouplingConfig(dim_x=2, dim_y=2))
    for (k, pa), pb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(pa, pb), k
    moved = [not torch.equal(pa, p0) for pa, p0 in zip(a.parameters(), init.parameters())]
    assert all(moved)
    c = pw.fit_coupling(x, y, steps=3, seed=1, progress=False)
    assert not torch.equal(c.transport_xy(x), a.transport_xy(x))


def test_a_run_logs_one_history_row_per_epoch():
    x, y = _data()                                   # 300 samples, batch 256: 2 steps per epoch
    run = fit_coupling_run(x, y, epochs=3, progress=False)
    assert isinstance(run, FitResult) and isinstance(run.model, CouplingPWAE)
    assert [h["step"] for h in run.history] == [2, 4, 6] and run.seconds > 0
    assert set(run.history[0]) == {"step", "coupling", "rec_x", "rec_y", "wae_x", "wae_y", "total"}
    model = pw.fit_coupling(x, y, epochs=3, progress=False)
    assert set(model.metrics) == {"history", "train_seconds"} and model.metrics["history"] == run.history
    assert not model.training


def test_steps_cap_the_epochs():
    x, y = _data()
    assert fit_coupling_run(x, y, epochs=50, steps=3, progress=False).history[-1]["step"] == 3


def test_callable_cost_matches_the_named_one():
    x, y = _data(256)
    a = pw.fit_coupling(x, y, steps=5, progress=False)
    b = pw.fit_coupling(x, y, cost=lambda u, v: ((u - v) ** 2).sum(1), steps=5, progress=False)
    assert b.config.cost == "callable"
    assert torch.allclose(a.transport_xy(x), b.transport_xy(x), atol=1e-6)


def test_c_F_coupling_between_spaces_of_different_dimension():
    x, y = _data(dy=1)
    F = torch.tensor([[0.6, 0.8]])
    m = pw.fit_coupling(x, y, cost="c_F", F=F, stochastic=True, steps=2, progress=False)
    assert torch.equal(m.F, F) and m.sample_x_given_y(y[:4], 3).shape == (4, 3, 2)


def test_the_model_follows_the_inputs_dtype():
    x, y = (t.double() for t in _data())
    m = pw.fit_coupling(x, y, steps=1, progress=False)
    assert m.F.dtype == torch.float64 and m.transport_xy(x).dtype == torch.float64


def test_fit_cvae_trains_the_vector_baseline_on_pairs():
    x, _ = _data()
    y = x @ torch.tensor([[0.6], [0.8]])
    run = fit_cvae_run(x, y, epochs=2, beta=0.5, progress=False)
    assert isinstance(run.model, VectorCVAE) and run.model.config.beta == 0.5
    assert [h["step"] for h in run.history] == [2, 4]
    assert set(pw.fit_cvae(x, y, steps=1, progress=False).metrics) == {"history", "train_seconds"}


# fitting's own checks, then one case per layer it routes to (checks, costs, config, model, loop)
@pytest.mark.parametrize("fit, x, y, kw, match", [
    (pw.fit_coupling, torch.randn(50, 2), torch.randn(50, 1), {"cost": "c_F", "F": torch.ones(2, 2)},
     r"F must have shape \(dim_y, dim_x\) = \(1, 2\)"),
    (pw.fit_cvae, torch.randn(50, 2), torch.randn(40, 1), {}, "needs pairs"),
    (pw.fit_coupling, torch.full((50, 2), float("nan")), torch.randn(50, 2), {}, "x contains NaN"),
    (pw.fit_coupling, torch.randn(50, 2), torch.randn(50, 1), {"cost": "c_F"}, "needs the operator F"),
    (pw.fit_coupling, torch.randn(50, 2), torch.randn(50, 2), {"prior": "cauchy"}, "prior"),
    (pw.fit_coupling, torch.randn(50, 2), torch.randn(50, 3), {}, "dim_x == dim_y"),
    (pw.fit_coupling, torch.randn(50, 2), torch.randn(50, 2), {"cost": lambda u, v: (u - v) ** 2},
     r"shape \(B,\)"),
    (pw.fit_coupling, torch.randn(50, 2), torch.randn(50, 2), {"lr_schedule": "linear"}, "lr_schedule"),
], ids=["F-shape", "cvae-pairs", "checks", "costs", "config", "model", "cost-shape", "loop"])
def test_bad_input_is_refused_before_training(fit, x, y, kw, match):
    with pytest.raises(ValueError, match=match):
        fit(x, y, steps=1, progress=False, **kw)


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
                            progress=False, **GAUSSIAN_OT)
    r = _sqrtm(S1)
    A = torch.linalg.inv(r) @ _sqrtm(r @ S2 @ r) @ torch.linalg.inv(r)
    x = draw(m1, S1, 5000)
    T = m2 + (x - m1) @ A.T
    err = (model.transport_xy(x) - T).pow(2).sum(1).mean() / (T - m2).pow(2).sum(1).mean()
    return float(err.sqrt())


@pytest.mark.slow
@pytest.mark.parametrize("d", [2, 5])
def test_recovers_the_closed_form_gaussian_ot_map(d):
    err = gaussian_ot_error(d)
    print(f"Gaussian OT map, d={d}: relative error {err:.3f}")
    assert err < 0.08

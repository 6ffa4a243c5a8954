"""Training on sample sets (runs.fitting): seeded couplings and vector cVAEs, their results,
their input checks, the held-out checks, and the closed-form Gaussian OT map recovered by
fit_coupling's defaults on random pairs drawn fresh (not the ones the defaults were chosen on)."""
import numpy as np
import pytest
import torch

import pwae_core as pw
from pwae_core.config import CouplingConfig
from pwae_core.models import CouplingPWAE, VectorCVAE
from pwae_core import metrics
from pwae_core.runs.fitting import PAPER, fit_coupling_run, fit_cvae_run
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
    x, y = _data()                       # 300 samples (270 trained on), batch 256: 2 steps per epoch
    run = fit_coupling_run(x, y, epochs=3, batch_size=256, progress=False)
    assert isinstance(run, FitResult) and isinstance(run.model, CouplingPWAE)
    assert [h["step"] for h in run.history] == [2, 4, 6] and run.seconds > 0
    terms = {"step", "coupling", "rec_x", "rec_y", "wae_x", "wae_y", "teacher", "total"}
    assert set(run.history[0]) == terms | {"MG", "ED_map"}           # held-out checks every epoch
    model = pw.fit_coupling(x, y, epochs=3, batch_size=256, progress=False)
    assert set(model.metrics) == {"history", "train_seconds", "held_out"}
    assert model.metrics["history"] == run.history and not model.training
    paper = fit_coupling_run(x, y, epochs=3, progress=False, **PAPER)
    assert "teacher" not in paper.history[0]                         # weight 0: no term


def test_the_held_out_checks_are_on_samples_kept_out_of_training():
    x, y = _data(2000)
    run = fit_coupling_run(x, y, epochs=20, progress=False)
    held = run.checks
    assert held["held_out"] == 200 and set(held) == {"MG", "cost", "ED", "ED_map", "held_out", "attempts"}
    assert [h["step"] for h in run.history if "MG" in h] == list(range(8, 81, 8))  # 10 checks
    assert held["MG"] > -1e-6 and held["ED_map"] >= 0 and held["cost"] > 0
    assert held["ED_map"] < 0.05               # the learned map pushes held-out x onto y
    few = fit_coupling_run(*_data(150), epochs=1, progress=False)
    assert few.checks == {} and "MG" not in few.history[-1]      # under 200 samples: no hold-out


def test_a_flagged_fit_restarts_with_the_next_seed_and_warns_when_all_are_flagged():
    x, y = _data(1000)
    with pytest.warns(UserWarning, match=r"held-out Monge gap is .*% of the transport cost after 3"):
        run = fit_coupling_run(x, y, epochs=10, progress=False, restarts=2, restart_gap=1e-12)
    assert run.checks["attempts"] == 3 and run.model.config.seed == 2   # seeds 0, 1, 2
    assert [h["step"] for h in run.history][-1] == 20                   # the last attempt, whole
    first = fit_coupling_run(x, y, epochs=10, progress=False, restarts=0)
    assert first.checks["attempts"] == 1
    assert not torch.equal(first.model.transport_xy(x), run.model.transport_xy(x))


def test_an_unflagged_fit_keeps_its_first_attempt():
    x, y = _data(1000)
    run = fit_coupling_run(x, y, epochs=10, progress=False, restart_gap=1e6)
    assert run.checks["attempts"] == 1 and run.model.config.seed == 0


def test_stochastic_encoders_are_never_restarted():
    x, y = _data(1000)
    run = fit_coupling_run(x, y, epochs=2, progress=False, stochastic=True, restart_gap=1e-12)
    assert run.checks["attempts"] == 1 and run.model.config.seed == 0


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
    assert m.F is None and m._anchor.dtype == torch.float64 and m.transport_xy(x).dtype == torch.float64


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


def random_gaussian_pair(d: int, rng: np.random.Generator):
    """N(m1, S1), N(m2, S2) with m ~ N(0, I), S = Q diag(0.5 * 10^U(0, 1)) Q^T: samplers
    (n -> (n, d) float32) and the closed-form OT map (metrics.gaussian_ot_map on the exact
    moments, through samples with those moments)."""
    m1, m2 = rng.standard_normal(d), rng.standard_normal(d)
    S = [(q * (0.5 * 10 ** rng.uniform(0, 1, d))) @ q.T
         for q in (np.linalg.qr(rng.standard_normal((d, d)))[0] for _ in range(2))]
    draw = lambda m, s: (lambda n: torch.tensor(rng.multivariate_normal(m, s, n), dtype=torch.float32))  # noqa: E731
    return draw(m1, S[0]), draw(m2, S[1]), _exact_map(m1, S[0], m2, S[1])


def _exact_map(m1, S1, m2, S2):
    """T(x) = m2 + A (x - m1), A = S1^-1/2 (S1^1/2 S2 S1^1/2)^1/2 S1^-1/2."""
    w, V = np.linalg.eigh(S1)
    r, r_inv = (V * np.sqrt(w)) @ V.T, (V / np.sqrt(w)) @ V.T
    w2, V2 = np.linalg.eigh(r @ S2 @ r)
    A = torch.tensor(r_inv @ ((V2 * np.sqrt(w2)) @ V2.T) @ r_inv, dtype=torch.float32)
    return lambda x: torch.tensor(m2, dtype=torch.float32) + (x - torch.tensor(m1, dtype=torch.float32)) @ A


def relative_error(model, sx, T, n: int = 4000) -> float:
    """sqrt(E|T_hat(x) - T(x)|^2 / E|T(x) - E T|^2) on fresh x."""
    x = sx(n)
    t = T(x)
    err = (model.transport_xy(x) - t).pow(2).sum(1).mean() / (t - t.mean(0)).pow(2).sum(1).mean()
    return float(err.sqrt())


# The defaults were chosen on pairs drawn with seed 777 (README); these are drawn with 2718.
@pytest.mark.slow
@pytest.mark.parametrize("d", [2, 5])
def test_defaults_recover_the_gaussian_ot_map_on_fresh_random_pairs(d):
    errors = []
    for i in range(2):
        sx, sy, T = random_gaussian_pair(d, np.random.default_rng([2718, d, i]))
        model = pw.fit_coupling(sx(10_000), sy(10_000), epochs=25, seed=i, progress=False)
        errors.append(relative_error(model, sx, T))
    print(f"Gaussian OT map, d={d}: relative errors {np.round(errors, 3)}")
    assert max(errors) < 0.12                       # full budget (50 epochs, 20k): median 2-4%


def test_the_exact_map_helper_is_the_closed_form():
    sx, sy, T = random_gaussian_pair(3, np.random.default_rng(5))
    x = sx(20_000)
    A, b = metrics.gaussian_ot_map(x.double(), T(x).double())    # T is affine: recovered exactly
    assert torch.allclose(x[:5].double() @ A + b, T(x[:5]).double(), atol=1e-4)

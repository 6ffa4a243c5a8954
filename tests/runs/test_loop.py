"""The one training loop (runs.loop): schedules, history, callbacks, exact resume."""
import math

import pytest
import torch

from pwae_core.runs import loop


def _problem(seed=0):
    """A small least-squares model and a deterministic loss per step (batch = f(step))."""
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 1)
    X = torch.randn(64, 3, generator=torch.Generator().manual_seed(1))
    t = X @ torch.tensor([1.0, -2.0, 0.5]) + 0.3

    def loss_at(step):
        idx = torch.arange(8) + (8 * step) % 56
        err = ((model(X[idx])[:, 0] - t[idx]) ** 2).mean()
        return {"total": err, "err": err.detach()}
    return model, loss_at


@pytest.mark.parametrize("name, points", [
    ("constant", [(0, 100, 1.0), (99, 100, 1.0)]),
    ("cosine", [(0, 100, 1.0), (50, 100, 0.5), (100, 100, 0.0)]),
    ("warmup-cosine", [(0, 1000, 1 / 200), (199, 1000, 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * 0.199))),
                       (1000, 1000, 0.05)]),
])
def test_schedules_closed_forms(name, points):
    f = loop.schedule(name)
    for step, total, want in points:
        assert f(step, total) == pytest.approx(want, abs=1e-12)


def test_unknown_schedule_is_a_value_error():
    with pytest.raises(ValueError, match="unknown lr_schedule 'linear'.*constant.*cosine.*warmup-cosine"):
        loop.schedule("linear")
    model, loss_at = _problem()
    with pytest.raises(ValueError, match="lr_schedule"):
        loop.optimise(model, loss_at, 3, 0.1, "linear", progress=False)


def test_optimise_logs_history_sets_the_lr_and_calls_back_every_step():
    model, loss_at = _problem()
    seen = []
    res = loop.optimise(model, loss_at, 10, 0.05, "cosine", log_every=4, progress=False,
                        on_step=lambda step, opt, r: seen.append((step, opt.param_groups[0]["lr"])))
    assert isinstance(res, loop.FitResult) and res.model is model and not model.training
    assert [h["step"] for h in res.history] == [4, 8, 10]
    assert all(set(h) == {"step", "total", "err"} and isinstance(h["total"], float) for h in res.history)
    assert [s for s, _ in seen] == list(range(1, 11))
    # the lr used at step t (seen after it) is lr * schedule(t - 1, steps)
    assert [lr for _, lr in seen] == pytest.approx([0.05 * loop.schedule("cosine")(t, 10) for t in range(10)])
    assert res.seconds > 0
    assert res.history[-1]["total"] < res.history[0]["total"]


def test_resume_continues_exactly_where_the_run_stopped():
    full_model, full_loss = _problem()
    full = loop.optimise(full_model, full_loss, 12, 0.05, log_every=3, progress=False)
    model, loss_at = _problem()
    kept = {}

    def stop_at_5(step, opt, r):
        if step == 5:
            kept["resume"] = loop.Resume(step, opt, list(r.history), r.seconds)
            raise KeyboardInterrupt                                      # an interrupted run

    with pytest.raises(KeyboardInterrupt):
        loop.optimise(model, loss_at, 12, 0.05, log_every=3, on_step=stop_at_5, progress=False)
    resumed = loop.optimise(model, loss_at, 12, 0.05, log_every=3, resume=kept["resume"], progress=False)
    assert [h["step"] for h in resumed.history] == [3, 6, 9, 12]
    assert resumed.history == full.history
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), full_model.parameters()))
    assert resumed.seconds >= kept["resume"].seconds


def test_a_non_finite_loss_stops_the_run():
    model = torch.nn.Linear(1, 1)
    with pytest.raises(FloatingPointError, match="loss became nan at step 1"):
        loop.optimise(model, lambda step: {"total": model.weight.sum() * float("nan")}, 5, 0.1,
                      progress=False)

"""pwae_core.costs: per-pair transport costs (B,), their cost matrices, and the lookup."""
import pytest
import torch

from pwae_core import costs


def _pts(seed, n, d):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("name", ["sqeuclidean", "euclidean"])
def test_cost_of_a_point_with_itself_is_exactly_zero(name):
    x = _pts(0, 7, 3)
    c = costs.get(name)(x, x.clone())
    assert c.shape == (7,) and torch.equal(c, torch.zeros(7, dtype=torch.float64))
    assert torch.equal(costs.matrix(name, x, x).diagonal(), torch.zeros(7, dtype=torch.float64))


def test_named_costs_by_hand():
    x, y = torch.tensor([[0.0, 0.0], [1.0, 1.0]]), torch.tensor([[3.0, 4.0], [1.0, 2.0]])
    assert torch.equal(costs.euclidean(x, y), torch.tensor([5.0, 1.0]))
    assert torch.equal(costs.sqeuclidean(x, y), torch.tensor([25.0, 1.0]))


def test_c_F_by_hand():
    F = torch.tensor([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])             # (d_y, d_x) = (2, 3)
    x = torch.tensor([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    y = torch.tensor([[1.0, 1.0], [2.0, -1.0]])
    # F x_1 = (3, 2): |(3, 2) - (1, 1)|^2 = 4 + 1; F x_2 = 0: |(-2, 1)|^2 = 5
    assert torch.equal(costs.c_F(F)(x, y), torch.tensor([5.0, 5.0]))
    assert torch.equal(costs.get("c_F", F)(x, y), torch.tensor([5.0, 5.0]))
    assert torch.equal(costs.c_F(F)(x, x @ F.T), torch.zeros(2))       # y = F x costs nothing


def test_get_returns_callables_as_given_and_names_from_the_registry():
    fn = lambda u, v: (u - v).abs().sum(1)                            # noqa: E731
    assert costs.get(fn) is fn
    assert costs.get("sqeuclidean") is costs.sqeuclidean and costs.get("euclidean") is costs.euclidean


@pytest.mark.parametrize("cost", ["sqeuclidean", "euclidean", "c_F", "callable"])
def test_matrix_equals_the_per_pair_cost_on_every_pair(cost):
    x, y = _pts(1, 6, 3), _pts(2, 4, 3 if cost != "c_F" else 2)
    F = _pts(3, 2, 3) if cost == "c_F" else None
    fn = (lambda u, v: (u - v).abs().sum(1)) if cost == "callable" else costs.get(cost, F)
    C = costs.matrix(fn if cost == "callable" else cost, x, y, F=F)
    loop = torch.stack([torch.stack([fn(x[i:i + 1], y[j:j + 1])[0] for j in range(4)])
                        for i in range(6)])
    assert C.shape == (6, 4) and torch.allclose(C, loop, atol=1e-12)


def test_matrix_of_a_callable_is_the_same_in_chunks(monkeypatch):
    x, y = _pts(4, 9, 2), _pts(5, 5, 2)
    fn = lambda u, v: ((u - v) ** 4).sum(1)                            # noqa: E731
    whole = costs.matrix(fn, x, y)
    monkeypatch.setattr(costs, "_CHUNK_ELEMENTS", 10)                  # 2 rows of 5 pairs at a time
    assert torch.equal(costs.matrix(fn, x, y), whole)


@pytest.mark.parametrize("call, match", [
    (lambda: costs.get("manhattan"), "unknown cost 'manhattan'"),
    (lambda: costs.get(None), "unknown cost"),
    (lambda: costs.get("c_F"), "needs the operator F"),
    (lambda: costs.matrix("c_F", torch.zeros(2, 2), torch.zeros(2, 1)), "needs the operator F"),
    (lambda: costs.checked(lambda u, v: (u - v) ** 2, torch.zeros(3, 2), torch.zeros(3, 2)),
     r"shape \(B,\) = \(3,\), got \(3, 2\)"),
    (lambda: costs.checked(lambda u, v: 1.0, torch.zeros(3, 2), torch.zeros(3, 2)), "got float"),
    (lambda: costs.matrix(lambda u, v: u.sum(), torch.zeros(3, 2), torch.zeros(2, 2)), r"shape \(B,\)"),
    (lambda: costs.matrix(lambda u, v: (u - v).sum(1) / 0, torch.ones(3, 2), torch.zeros(2, 2)),
     "NaN or infinite"),
])
def test_bad_costs_raise_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_checked_passes_a_good_cost_through():
    x, y = _pts(6, 5, 2), _pts(7, 5, 2)
    assert torch.equal(costs.checked(costs.sqeuclidean, x, y), costs.sqeuclidean(x, y))

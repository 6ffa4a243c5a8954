r"""Transport costs c(x, y), defined once: the coupling PWAE's loss, the Monge gap, the exact
OT map and the linear operator all take their cost from here.

A cost is a function of pairs, ``c(x (B, d_x), y (B, d_y)) -> (B,)``:

    sqeuclidean   c(x, y) = |x - y|^2
    euclidean     c(x, y) = |x - y|
    c_F           c(x, y) = |F x - y|^2      (inverse problems, coupling PWAE paper Sec. 3;
                                              needs F of shape (d_y, d_x))

or any callable with that signature. ``get(cost, F)`` resolves a name or a callable
(``ValueError`` on unknown names); ``matrix(cost, x, y)`` gives the (N, M) cost matrix
C[i, j] = c(x_i, y_j).
"""
from __future__ import annotations

from typing import Callable

import torch

Cost = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
_EXACT = "donot_use_mm_for_euclid_dist"   # exact differences: c(x, x) == 0
_CHUNK_ELEMENTS = 1 << 22                  # callable costs: pairs evaluated at once


def sqeuclidean(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """c(x, y) = |x - y|^2: (B, d), (B, d) -> (B,)."""
    return ((x - y) ** 2).sum(1)


def euclidean(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """c(x, y) = |x - y|: (B, d), (B, d) -> (B,)."""
    return (x - y).norm(dim=1)


def c_F(F: torch.Tensor) -> Cost:
    """c_F(x, y) = |F x - y|^2 for F (d_y, d_x): (B, d_x), (B, d_y) -> (B,)."""
    def cost(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return ((x @ F.to(x).T - y) ** 2).sum(1)
    return cost


COSTS = {"sqeuclidean": sqeuclidean, "euclidean": euclidean, "c_F": c_F}


def get(cost, F=None) -> Cost:
    """A cost function from a name in ``COSTS`` or a callable; "c_F" needs ``F`` (d_y, d_x)."""
    if callable(cost):
        return cost
    if cost not in COSTS:
        raise ValueError(f"unknown cost {cost!r}; choose one of {sorted(COSTS)} or pass a callable "
                         "(x (B, d_x), y (B, d_y)) -> (B,)")
    if cost == "c_F":
        if F is None:
            raise ValueError("cost 'c_F' needs the operator F (d_y, d_x)")
        return c_F(torch.as_tensor(F))
    return COSTS[cost]


def checked(cost: Cost, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """c(x, y) with its output checked: a tensor of shape (B,) = (x.shape[0],)."""
    c = cost(x, y)
    if not torch.is_tensor(c) or tuple(c.shape) != (x.shape[0],):
        shape = tuple(c.shape) if torch.is_tensor(c) else type(c).__name__
        raise ValueError(f"cost must return a tensor of shape (B,) = ({x.shape[0]},), got {shape}")
    return c


def matrix(cost, x: torch.Tensor, y: torch.Tensor, F=None) -> torch.Tensor:
    """Cost matrix C[i, j] = c(x_i, y_j): x (N, d_x), y (M, d_y) -> (N, M), finite.

    Named Euclidean costs use ``torch.cdist`` (exact mode); other costs are evaluated on
    all pairs, in row chunks of about ``_CHUNK_ELEMENTS`` pairs."""
    if cost in ("sqeuclidean", "euclidean"):
        C = torch.cdist(x, y, compute_mode=_EXACT)
        C = C.pow(2) if cost == "sqeuclidean" else C
    else:
        C = _pairs(get(cost, F), x, y)
    if not torch.isfinite(C).all():
        raise ValueError("the cost matrix holds NaN or infinite values")
    return C


def _pairs(fn: Cost, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    n, m = x.shape[0], y.shape[0]
    rows = max(1, _CHUNK_ELEMENTS // m)
    out = []
    for start in range(0, n, rows):
        xs = x[start:start + rows]                                    # (r, d_x)
        xr, yr = xs.repeat_interleave(m, 0), y.repeat(xs.shape[0], 1)  # (r m, d_x), (r m, d_y)
        out.append(checked(fn, xr, yr).view(xs.shape[0], m))
    return torch.cat(out)

"""Unpaired image translation with the coupling PWAE (deterministic conv encoders, squared
cost: D_y(E_x(x)) approximates the Monge map from one image domain to the other).

``fit_digits`` trains it on ``domains.thick_digits`` (digits -> thickened digits);
``scores`` compares the learned maps, both ways, with the true partners of the test digits,
beside two references: the identity map and the exact OT assignment between the two test
sets (POT network simplex, ``metrics.exact_ot_pairs``).
"""
from __future__ import annotations

import torch

from .. import domains, metrics
from .fitting import fit_coupling_run
from .loop import FitResult

# The translation preset: conv nets on 28x28, a 16-D latent, batch 256, one fit (restarts
# are not measured on images yet).
DIGITS = dict(net="conv28", d_latent=16, width=32, batch_size=256, epochs=60, restarts=0)


def fit_digits(pair: domains.DomainPair | None = None, progress: bool = True,
               **options) -> FitResult:
    """Train the translation model on an unpaired ``DomainPair`` (default: thick digits)
    with ``DIGITS`` overridden by ``options`` (``CouplingConfig`` fields)."""
    pair = pair or domains.thick_digits()
    return fit_coupling_run(pair.x, pair.y, progress=progress, **{**DIGITS, **options})


def _images(a: torch.Tensor) -> torch.Tensor:
    return a.view(-1, 1, 28, 28)                                    # (K, 784) -> (K, 1, 28, 28)


def _direction(moved, truth, source, labels, classifier) -> dict:
    """PSNR / MSE of moved (K, 784) against the true partners, its cost, kept classes."""
    out = {"psnr": float(metrics.psnr(_images(moved), _images(truth)).mean()),
           "mse": float(((moved - truth) ** 2).mean()),
           "cost": float(((moved - source) ** 2).sum(1).mean())}
    if classifier is not None:
        out["classes_kept"] = float((classifier.predict(_images(moved)) == labels).float().mean())
    return out


@torch.no_grad()
def scores(model, pair: domains.DomainPair, classifier=None) -> dict:
    """{"xy", "yx"} x {"model", "identity", "exact_ot"} -> psnr, mse, cost (sum over pixels of
    the squared move, per image) and, with a digit ``classifier``, the share of test digits
    whose class it still reads after the move; plus "exact_cost", the per-image exact OT
    cost between the two test sets."""
    x, y, lab = pair.x_test, pair.y_test, pair.labels_test
    j = metrics.exact_ot_pairs(x, y)                                # x_i <-> y_j(i)
    inv = torch.empty_like(j)
    inv[j] = torch.arange(len(j))                                   # y_k <-> x_inv(k)
    out = {"exact_cost": float(((x - y[j]) ** 2).sum(1).mean())}
    for name, src, dst, moved, ot_moved in (
            ("xy", x, y, model.transport_xy(x), y[j]),
            ("yx", y, x, model.transport_yx(y), x[inv])):
        out[name] = {"model": _direction(moved, dst, src, lab, classifier),
                     "identity": _direction(src, dst, src, lab, classifier),
                     "exact_ot": _direction(ot_moved, dst, src, lab, classifier)}
    return out

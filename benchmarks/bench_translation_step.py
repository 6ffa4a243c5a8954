"""Time of one training step (loss, backward, Adam) of the translation presets: the coupling
PWAE's loss as it is (every decoding computed once, shared by the teacher and lambda_map
terms) against a baseline in the same process in which each term decodes its own latents
(what the loss did before), and against one decoder call per side on the stacked latents.

    python benchmarks/bench_translation_step.py [--repeats 20] [--threads 2] [--task translate-digits]

Prints p50 / p95 per step and the ratio to the baseline, for the teacher phase (the first
80% of training: the teacher and lambda_map terms need both maps) and after it.
"""
from __future__ import annotations

import argparse

import torch

from pwae_core import metrics, models
from pwae_core.runs import translation
from timing import timed


def separate_loss(m, x, y, frac: float) -> torch.Tensor:
    """The baseline: the same total as ``m.loss`` (for the presets: no joint_warmup), each
    term decoding its own latents."""
    c = m.config
    ramp = c.joint_anneal ** frac
    weight = c.teacher * max(0.0, 1 - frac / c.teacher_until)
    sq = lambda a, b: ((a - b) ** 2).sum(1).mean()               # noqa: E731
    zx, zy = m.encode_x(x), m.encode_y(y)
    z = m.prior(len(x))
    marg = (sq(m.decode_x(zx), x) + sq(m.decode_y(zy), y)
            + c.lambda_wae * (m.divergence(zx, z) + m.divergence(zy, z)))
    if c.lambda_map > 0:
        marg = marg + c.lambda_map * (m.divergence(m.decode_x(zy), x) + m.divergence(m.decode_y(zx), y))
    total = m.cost(m.decode_x(z), m.decode_y(z)).mean() + ramp * c.lambda_joint * marg
    if weight > 0:
        j = metrics.exact_ot_pairs(x, y)
        total = total + weight * (sq(m.decode_y(zx), y[j]) + sq(m.decode_x(zy[j]), x))
    return total


def stacked_loss(m, x, y, frac: float) -> torch.Tensor:
    """``m.loss`` with its decodings done by one call per decoder on the stacked latents."""
    def stacked(z, zx, zy, cross):
        parts_x, parts_y = [z, zx] + [zy] * cross, [z, zy] + [zx] * cross
        dx = m.decode_x(torch.cat(parts_x)).split([len(p) for p in parts_x])
        dy = m.decode_y(torch.cat(parts_y)).split([len(p) for p in parts_y])
        return dx, dy
    m._decodings = stacked
    try:
        return m.loss(x, y, frac=frac)["total"]
    finally:
        del m._decodings


def step_fn(m, opt, loss, x, y, frac):
    def step():
        opt.zero_grad(set_to_none=True)
        loss(m, x, y, frac).backward()
        opt.step()
    return step


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", default="translate-digits", choices=sorted(translation.TASKS))
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    cfg = translation.task_config(a.task)
    c = cfg.coupling
    m = models.build(c)
    opt = torch.optim.Adam(m.parameters(), lr=1e-4)
    x, y = torch.rand(c.batch_size, c.dim_x), torch.rand(c.batch_size, c.dim_y)
    print(f"{a.task}: batch {c.batch_size}, teacher {c.teacher}, lambda_map {c.lambda_map}, "
          f"{a.threads} threads, {a.repeats} steps each")
    for frac in (0.1, 0.9):
        rows = [(name, *timed(step_fn(m, opt, fn, x, y, frac), a.repeats, warmup=2))
                for name, fn in (("each term decodes (baseline)", separate_loss),
                                 ("shared decodings (model.loss)",
                                  lambda m, x, y, f: m.loss(x, y, frac=f)["total"]),
                                 ("stacked, one call per decoder", stacked_loss))]
        for name, p50, p95 in rows:
            print(f"frac {frac}: {name:<31} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
                  f"x {p50 / rows[0][1]:4.2f}")


if __name__ == "__main__":
    main()

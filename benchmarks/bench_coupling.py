"""Where the time of the coupling PWAE paper's protocols goes (the sphere and the GMM).

    python benchmarks/bench_coupling.py [--threads 2]
    python benchmarks/bench_coupling.py --fit [--dim 5] [--n 20000] [--repeats 1]

Prints medians over repeats (after a warm-up) of
  1. one full training step (forward + backward + Adam) of the sphere model and of the
     stochastic c_F posterior model, batch 256;
  2. its parts: the two StatDiv (energy distance) terms forward+backward, the network
     forward+backward without them;
  3. evaluation: one exact-OT Monge gap at n = 512 (POT emd), one energy distance at 512,
with ratios to the full step measured in the same process.

``--fit``: wall time of a whole ``fit_coupling`` with its defaults (teacher, batch 512, 50
epochs) on n samples per side of a random Gaussian pair in --dim, against the paper's
optimisation (``fitting.PAPER``) in the same process; median over --repeats.
"""
from __future__ import annotations

import argparse

import torch

from pwae_core import divergences, gmm, metrics
from pwae_core.config import CouplingConfig
from pwae_core.models import CouplingPWAE
from pwae_core.runs.fitting import PAPER, fit_coupling
from timing import timed


def median_ms(fn, repeats: int = 30) -> float:
    return timed(fn, repeats)[0]


def step_fn(model, x, y, gen, opt):
    def step():
        t = model.loss(x, y, gen)
        opt.zero_grad(set_to_none=True)
        t["total"].backward()
        opt.step()
    return step


def parts(model, x, y, gen) -> dict:
    z = model.prior(256, gen)
    zx = model.encode_x(x).detach().requires_grad_()
    zy = model.encode_y(y).detach().requires_grad_()
    statdiv = lambda: (divergences.energy(zx, z) + divergences.energy(zy, z)).backward()  # noqa: E731

    def nets():
        zx2, zy2 = model.encode_x(x, generator=gen), model.encode_y(y, generator=gen)
        out = model.decode_x(z).sum() + model.decode_y(z).sum()
        (out + model.decode_x(zx2).sum() + model.decode_y(zy2).sum()).backward()
    return {"StatDiv x2 (fwd+bwd)": median_ms(statdiv), "networks (fwd+bwd)": median_ms(nets)}


def models():
    gen = torch.Generator().manual_seed(0)
    mu, nu = gmm.random_gmm(3, seed=0), gmm.random_gmm(3, seed=1)
    sph = CouplingPWAE(CouplingConfig(dim_x=3, dim_y=3, prior="uniform", sphere=True))
    yield "sphere", sph, gmm.sphere_sample(mu, 256, gen), gmm.sphere_sample(nu, 256, gen), gen
    prior, F = gmm.random_gmm(2, seed=0), gmm.random_operator(1, 2)
    post = CouplingPWAE(CouplingConfig(dim_x=2, dim_y=1, stochastic=True, cost="c_F"), F)
    x = prior.sample(256, gen)
    yield "posterior", post, x, x @ F.T + 0.1 * torch.randn(256, 1, generator=gen), gen


def whole_fits(dim: int, n: int, repeats: int) -> None:
    """Seconds of fit_coupling (defaults, then PAPER) on a random Gaussian pair (dim, n)."""
    gen = torch.Generator().manual_seed(0)
    A = torch.randn(dim, dim, generator=gen)
    x = torch.randn(n, dim, generator=gen)
    y = torch.randn(n, dim, generator=gen) @ A + torch.randn(dim, generator=gen)
    attempts = []

    def fit(**kw):
        def run():
            model = fit_coupling(x, y, progress=False, **kw)
            attempts.append(model.info.metrics["held_out"].get("attempts", 1))
        return run
    ours = timed(fit(), repeats, warmup=0)[0] / 1e3
    paper = timed(fit(**PAPER), repeats, warmup=0)[0] / 1e3
    print(f"fit_coupling, {n:,} samples per side in {dim}-D, 50 epochs: defaults {ours:.1f} s "
          f"(attempts {attempts[:repeats]}), the paper's optimisation {paper:.1f} s "
          f"(ratio {ours / paper:.2f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--fit", action="store_true", help="time whole fits instead of steps")
    ap.add_argument("--dim", type=int, default=5)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.fit:
        return whole_fits(a.dim, a.n, a.repeats)
    print(f"threads {torch.get_num_threads()}; medians in ms")
    for name, model, x, y, gen in models():
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        full = median_ms(step_fn(model, x, y, gen, opt))
        print(f"{name}: training step {full:.2f} ms (9,800 steps = {9.8 * full:.0f} s)")
        for part, ms in parts(model, x, y, gen).items():
            print(f"  {part:<22} {ms:6.2f} ms  ({ms / full:.0%} of a step)")
    gen = torch.Generator().manual_seed(1)
    a, b = torch.randn(512, 3, generator=gen), torch.randn(512, 3, generator=gen)
    mg, ed = median_ms(lambda: metrics.monge_gap(a, b), 10), median_ms(lambda: metrics.energy_distance(a, b))
    print(f"evaluation: Monge gap (exact OT, n=512) {mg:.1f} ms, energy distance (n=512) {ed:.2f} ms;"
          f" one model's 100 batches x 2 directions: {0.2 * mg:.1f} s")


if __name__ == "__main__":
    main()

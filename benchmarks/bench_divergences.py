"""Speed and ranking benchmark of pwae_core.divergences (CPU, 2 threads).

    python benchmarks/bench_divergences.py

1. Forward+backward time, median over repeats after one warm-up call, for
   n in (128, 256, 512) x d in (2, 16, 56), with the ratio to ``energy`` from the same run.
   Slow cells stop after ~BUDGET_S seconds (at least MIN_REPEATS); the repeat count is printed.
2. Ranking table: mean over 10 seeds of D(x, y), y ~ N(0, I), x = same N(0, I) (fresh),
   shrunk 0.8 N(0, I), shifted N(0.5, I), n = 128; a good divergence has same < shrunk, shifted.
"""
from __future__ import annotations

import statistics
import time

import torch

from pwae_core import divergences

REPEATS, MIN_REPEATS, BUDGET_S = 20, 5, 3.0
NS, DS = (128, 256, 512), (2, 16, 56)


def time_fwd_bwd(fn, x: torch.Tensor, y: torch.Tensor) -> tuple[float, int]:
    """Median seconds of fn(x, y).backward() over up to REPEATS calls after one warm-up."""
    fn(x, y).backward()
    times = []
    start = time.perf_counter()
    while len(times) < REPEATS and (len(times) < MIN_REPEATS or time.perf_counter() - start < BUDGET_S):
        x.grad = y.grad = None
        t0 = time.perf_counter()
        fn(x, y).backward()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)


def speed_table() -> None:
    """Print ms per forward+backward and the ratio to energy, one row per (n, d)."""
    names = list(divergences.DIVERGENCES)
    print("forward+backward, median ms (ratio to energy) [repeats]")
    print(f"{'n':>5} {'d':>4} " + " ".join(f"{k:>22}" for k in names))
    for n in NS:
        for d in DS:
            g = torch.Generator().manual_seed(n * 100 + d)
            x = torch.randn(n, d, generator=g).requires_grad_(True)
            y = (0.8 * torch.randn(n, d, generator=g)).requires_grad_(True)
            res = {k: time_fwd_bwd(fn, x, y) for k, fn in divergences.DIVERGENCES.items()}
            base = res["energy"][0]
            cells = [f"{1e3 * t:9.2f} ({t / base:6.1f}x) [{r:2d}]" for t, r in res.values()]
            print(f"{n:>5} {d:>4} " + " ".join(f"{c:>22}" for c in cells), flush=True)


def ranking_table(d: int, n: int = 128, seeds: int = 10) -> None:
    """Print mean (std) of D(same), D(shrunk), D(shifted) and per-seed correct-ranking counts."""
    print(f"\nranking at d={d}, n={n}, mean (std) over {seeds} seeds; "
          "ok = #seeds with same < shrunk / same < shifted")
    print(f"{'':>9} {'same':>17} {'shrunk':>17} {'shifted':>17} {'ok':>7}  verdict")
    for name, fn in divergences.DIVERGENCES.items():
        vals = torch.zeros(seeds, 3, dtype=torch.float64)
        for s in range(seeds):
            g = torch.Generator().manual_seed(s)
            y = torch.randn(n, d, generator=g)
            xs = (torch.randn(n, d, generator=g), 0.8 * torch.randn(n, d, generator=g),
                  torch.randn(n, d, generator=g) + 0.5)
            vals[s] = torch.tensor([fn(x, y).item() for x in xs], dtype=torch.float64)
        mean, std = vals.mean(0), vals.std(0)
        cells = [f"{m:9.4f} ({sd:.4f})" for m, sd in zip(mean.tolist(), std.tolist())]
        ok = f"{int((vals[:, 0] < vals[:, 1]).sum())}/{int((vals[:, 0] < vals[:, 2]).sum())}"
        verdict = "ok" if mean[0] < mean[1] and mean[0] < mean[2] else "MISRANKS"
        print(f"{name:>9} " + " ".join(f"{c:>17}" for c in cells) + f" {ok:>7}  {verdict}", flush=True)


def main() -> None:
    torch.set_num_threads(2)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, float32, CPU")
    t0 = time.perf_counter()
    speed_table()
    ranking_table(16)
    ranking_table(56)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()

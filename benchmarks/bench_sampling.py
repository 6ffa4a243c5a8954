"""Sampling latency for one input: 64 samples + mean + std (the app's digits panel) and a
single eps*v frame, median and p95 over repeats, with the ratio to one MSE-network forward
pass measured in the same process. Uses the shipped checkpoints.

    python benchmarks/bench_sampling.py [--repeats 200]
"""
import argparse

import torch

import pwae_core as pw
from pwae_core import masks
from pwae_core.runs import presets
from timing import timed


def bench_task(task, repeats):
    model, mse = (pw.load(presets.default_path(task, k)) for k in ("pwae", "mse"))
    x, _ = pw.data.mnist("test")
    kw = {"sigma": 0.5} if task == "mnist-denoise" else {}
    y = model.observe(x[:1], sigma=0.5) if kw else model.observe(x[:1], mask=masks.named_mask("left"))
    v = torch.randn(model.d1)
    cond = model.condition(y, **kw)
    rows = {"MSE net forward (baseline)": lambda: mse.map_x_given_y(y, **kw),
            "64 samples + mean + std": lambda: model.posterior(y, 64, **kw),
            "one eps*v frame": lambda: model.direction_x_given_y(y, 1.0, v, **kw),
            "one eps*v frame, encoded once": lambda: model.along(cond, 1.0, v),
            "61 eps*v frames, encoded once": lambda: model.along(cond, torch.linspace(-3, 3, 61), v)}
    res = {name: timed(fn, repeats, warmup=5) for name, fn in rows.items()}
    base = res["MSE net forward (baseline)"][0]
    for name, (p50, p95) in res.items():
        print(f"{task:15s} {name:31s} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  x{p50 / base:6.1f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=200)
    a = ap.parse_args()
    torch.set_num_threads(2)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    for task in ("mnist-denoise", "mnist-inpaint"):
        bench_task(task, a.repeats)


if __name__ == "__main__":
    main()

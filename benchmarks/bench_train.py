"""Training throughput per model: median ms/step and pairs/s over repeats, with the ratio
to the MSE network (the cheapest model) measured in the same process.

    python benchmarks/bench_train.py [--steps 20] [--repeats 5]
"""
import argparse
import statistics
import time

import torch

from pwae_core import data, models
from pwae_core.runs import presets
from pwae_core.runs.loop import optimise
from pwae_core.runs.train import shift_augment


def time_steps(task, kind, steps, repeats):
    """Median seconds per training step (minibatch draw, augmentation, loss, Adam)."""
    cfg = presets.train_config(task, kind)
    torch.manual_seed(0)
    model = models.build(cfg.model)
    images, labels = data.mnist("train")
    gen = torch.Generator().manual_seed(0)

    def loss_at(step):
        idx = torch.randint(0, len(images), (cfg.batch_size,), generator=gen)
        return model.loss(shift_augment(images[idx], gen), labels[idx], cfg, gen)

    optimise(model, loss_at, 5, cfg.lr, cfg.lr_schedule, progress=False)   # warm-up
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        optimise(model, loss_at, steps, cfg.lr, cfg.lr_schedule, progress=False)
        runs.append((time.perf_counter() - t) / steps)
    return statistics.median(runs), cfg.batch_size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(2)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, batch from presets")
    print(f"{'task':15s} {'model':6s} {'ms/step':>9s} {'pairs/s':>9s} {'x MSE net':>10s}")
    for task in ("mnist-denoise", "mnist-inpaint"):
        base, _ = time_steps(task, "mse", a.steps, a.repeats)
        for kind in ("mse", "cvae", "pwae"):
            sec, bs = (base, 128) if kind == "mse" else time_steps(task, kind, a.steps, a.repeats)
            print(f"{task:15s} {kind:6s} {sec * 1e3:9.1f} {bs / sec:9.0f} {sec / base:10.2f}")


if __name__ == "__main__":
    main()

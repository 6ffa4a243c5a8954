"""What every benchmark here shares: median and p95 of a callable after a warm-up.

The scripts import it as a sibling (``python benchmarks/NAME.py`` puts this folder first on
the import path)."""
from __future__ import annotations

import statistics
import time


def timed(fn, repeats: int, warmup: int = 1) -> tuple[float, float]:
    """(p50, p95) in ms of ``fn()`` over ``repeats`` calls, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        t.append(1e3 * (time.perf_counter() - t0))
    t.sort()
    return statistics.median(t), t[min(len(t) - 1, int(0.95 * len(t)))]

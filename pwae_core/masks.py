"""Inpainting masks, 1 = observed pixel, 0 = hidden.

Training draws from a mixture (``random_masks``): left/right/top/bottom halves, boxes,
brush strokes, pixel dropout, and a few fully hidden images (unconditional samples).
Evaluation uses named masks (``named_mask``): 'left', 'right', 'top', 'bottom', 'box'
(centre 14x14 at 28x28), 'strokes' (seeded random brush strokes).
"""
from __future__ import annotations

import functools

import numpy as np
import torch

KINDS = ("left", "right", "top", "bottom", "box", "strokes", "dropout", "all")
_PROBS = np.array([0.12, 0.12, 0.08, 0.08, 0.22, 0.24, 0.12, 0.02])


def half(kind: str, size=(28, 28)) -> np.ndarray:
    """Mask hiding one half: kind in left/right/top/bottom -> (H, W) float32."""
    h, w = size
    m = np.ones((h, w), np.float32)
    sl = {"left": (slice(None), slice(0, w // 2)), "right": (slice(None), slice(w // 2, None)),
          "top": (slice(0, h // 2), slice(None)), "bottom": (slice(h // 2, None), slice(None))}
    if kind not in sl:
        raise ValueError(f"unknown half {kind!r}; choose left, right, top or bottom")
    m[sl[kind]] = 0
    return m


def box(top: int, left: int, height: int, width: int, size=(28, 28)) -> np.ndarray:
    """Mask hiding the rectangle [top, top+height) x [left, left+width) -> (H, W)."""
    m = np.ones(size, np.float32)
    m[max(top, 0):top + height, max(left, 0):left + width] = 0
    return m


def strokes(rng: np.random.Generator, size=(28, 28), n_strokes=None) -> np.ndarray:
    """1-3 brush strokes (random walks of discs, radius 1.5-3 px) hidden -> (H, W)."""
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    hidden = np.zeros(size, bool)
    for _ in range(n_strokes or rng.integers(1, 4)):
        r = rng.uniform(1.5, 3.0)
        p = rng.uniform([4, 4], [h - 4, w - 4])
        v = rng.normal(size=2)
        for _ in range(rng.integers(4, 10)):
            v = 0.7 * v + rng.normal(size=2)
            p = np.clip(p + 2.0 * v / (np.linalg.norm(v) + 1e-6), 0, [h - 1, w - 1])
            hidden |= (yy - p[0]) ** 2 + (xx - p[1]) ** 2 <= r * r
    return (~hidden).astype(np.float32)


@functools.lru_cache(maxsize=4)
def _stroke_bank(size=(28, 28), n=2048, seed=1234) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([strokes(rng, size) for _ in range(n)])  # (n, H, W)


def _one(kind: str, rng: np.random.Generator, size) -> np.ndarray:
    h, w = size
    if kind in ("left", "right", "top", "bottom"):
        return half(kind, size)
    if kind == "box":
        bh, bw = rng.integers(h // 4, 2 * h // 3 + 1, size=2)
        return box(rng.integers(0, h - bh + 1), rng.integers(0, w - bw + 1), bh, bw, size)
    if kind == "strokes":
        bank = _stroke_bank(tuple(size))
        return bank[rng.integers(len(bank))]
    if kind == "dropout":
        return (rng.random(size) > rng.uniform(0.3, 0.9)).astype(np.float32)
    return np.zeros(size, np.float32)  # "all": nothing observed


def random_masks(batch: int, size=(28, 28), generator=None) -> torch.Tensor:
    """A training batch of masks from the mixture over KINDS -> (B, 1, H, W) float32."""
    seed = torch.randint(0, 2**31 - 1, (1,), generator=generator).item()
    rng = np.random.default_rng(seed)
    kinds = rng.choice(len(KINDS), size=batch, p=_PROBS / _PROBS.sum())
    size = tuple(int(s) for s in size)
    return torch.from_numpy(np.stack([_one(KINDS[k], rng, size) for k in kinds]))[:, None]


def named_mask(name: str, size=(28, 28), seed: int = 0) -> np.ndarray:
    """Evaluation masks: left/right/top/bottom halves, 'box' (centre half-size), 'strokes'."""
    h, w = size
    if name == "box":
        return box(h // 4, w // 4, h // 2, w // 2, size)
    if name == "strokes":
        return strokes(np.random.default_rng(10_000 + seed), size)
    return half(name, size)

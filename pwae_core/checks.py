"""Input validation, defined once: every public entry point converts and checks its inputs
here, and every mistake is a ``ValueError`` that names the argument and what was expected.

    to_tensor(a, name)            array / list / number / tensor -> tensor
    floats(a, name)               -> floating tensor, finite
    same_device(*tensors)         -> one promoted dtype, one device
    points(t, name)               (N,) -> (N, 1); (N, *shape) -> (N, prod(shape)); N >= 1
    samples(a, name, dim)         vector samples (N, d), float, finite (1-D means (N, 1))
    cloud(t, name)                a strict (N, d) floating tensor (latent divergences)
    images(x, name)               (B, 1, H, W) finite tensor
    sample_count(n, limit)        whole number in [1, limit]
    number(v, name, lo, hi)       a finite number in [lo, hi] from an int, float or numeric string
    whole(v, name, lo, hi)        the same, and a whole number
"""
from __future__ import annotations

import math

import numpy as np
import torch

NUMERIC = (np.ndarray, list, tuple, float, int, np.floating, np.integer)


def to_tensor(a, name: str) -> torch.Tensor:
    """numpy array / list / number / tensor -> tensor (float32 unless already a tensor)."""
    if isinstance(a, NUMERIC) and not isinstance(a, bool):
        try:
            a = torch.as_tensor(np.asarray(a, dtype=np.float32))
        except (TypeError, ValueError) as e:
            raise ValueError(f"{name} must be numeric, got {type(a).__name__}") from e
    if not torch.is_tensor(a):
        raise ValueError(f"{name} must be a tensor or array, got {type(a).__name__}")
    return a


def floats(a, name: str) -> torch.Tensor:
    """A floating tensor (integers become the default float dtype) with finite entries."""
    if isinstance(a, bool) or a is None or isinstance(a, str):
        raise ValueError(f"{name} must be a tensor or array, got {type(a).__name__}")
    try:
        t = torch.as_tensor(a)                    # keeps float64 arrays in float64
    except (TypeError, ValueError, RuntimeError) as e:
        raise ValueError(f"{name} must be numeric, got {type(a).__name__}") from e
    if not t.is_floating_point():
        t = t.to(torch.get_default_dtype())
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    return t


def same_device(*pairs) -> list[torch.Tensor]:
    """``floats`` of each ``(value, name)`` pair, cast to one promoted dtype on one device."""
    ts = [floats(x, name) for x, name in pairs]
    if len({t.device for t in ts}) > 1:
        names = ", ".join(f"{n} on {t.device}" for t, (_, n) in zip(ts, pairs))
        raise ValueError(f"expected all inputs on one device, got {names}")
    dtype = ts[0].dtype
    for t in ts[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    return [t.to(dtype) for t in ts]


def points(t: torch.Tensor, name: str) -> torch.Tensor:
    """Point set (N, D): 1-D (N,) -> (N, 1); (N, *shape) -> (N, prod(shape)); N >= 1."""
    if t.ndim == 0:
        raise ValueError(f"{name} must be a point set (N, D), got a scalar")
    if t.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one point, got shape {tuple(t.shape)}")
    return t.reshape(t.shape[0], -1) if t.ndim != 1 else t[:, None]


def samples(a, name: str, dim: int | None = None) -> torch.Tensor:
    """Vector samples: array/tensor (N, d) (1-D means (N, 1)) -> float tensor, finite, N, d >= 1."""
    a = to_tensor(a, name)
    a = a[:, None] if a.dim() == 1 else a
    if a.dim() != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"{name} must have shape (N, d) with N, d >= 1, got {tuple(a.shape)}")
    if dim is not None and a.shape[1] != dim:
        raise ValueError(f"{name} must have shape (N, {dim}), got {tuple(a.shape)}")
    a = a if a.is_floating_point() else a.float()
    if not torch.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def cloud(t, name: str) -> None:
    """A finite floating tensor of shape (N, d), N, d >= 1 (no conversion: divergences are
    called inside training loops, where a silent copy would cut the gradient)."""
    if not isinstance(t, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape (N, d), got {type(t).__name__}")
    if not t.is_floating_point():
        raise ValueError(f"{name} must have a floating dtype, got {t.dtype}")
    if t.ndim != 2 or t.shape[0] == 0 or t.shape[1] == 0:
        raise ValueError(f"{name} must have shape (N, d) with N, d >= 1, got {tuple(t.shape)}")
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} must be finite, got NaN or inf entries")


def images(x, name: str = "x") -> None:
    """A finite tensor of shape (B, 1, H, W)."""
    if not torch.is_tensor(x) or x.dim() != 4 or x.shape[1] != 1:
        shape = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
        raise ValueError(f"{name} must be a tensor of shape (B, 1, H, W), got {shape}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values")


def sample_count(n, limit: int) -> int:
    """A whole number of samples in [1, limit] (bools refused) -> int; ValueError otherwise."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= limit:
        raise ValueError(f"n must be an integer in [1, {limit}], got {n!r}")
    return int(n)


def number(v, name: str, lo: float, hi: float) -> float:
    """A finite number in [lo, hi] from an int, float or numeric string -> float."""
    x = v
    if isinstance(v, str) and len(v) <= 40:
        try:
            x = float(v)
        except ValueError:
            pass
    ok = not isinstance(x, bool) and isinstance(x, (int, float, np.integer, np.floating))
    if not ok or not math.isfinite(float(x)) or not lo <= float(x) <= hi:
        raise ValueError(f"{name} must be a number in [{_num(lo)}, {_num(hi)}], got {short(v)}")
    return float(x)


def whole(v, name: str, lo: int, hi: int) -> int:
    """A whole number in [lo, hi] (2.0 is fine, 2.5 is not) -> int."""
    try:
        f = number(v, name, lo, hi)
    except ValueError:
        f = None
    if f is None or not f.is_integer():
        raise ValueError(f"{name} must be a whole number in [{lo}, {hi}], got {short(v)}")
    return int(f)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def short(v, limit: int = 40) -> str:
    """repr(v) cut to ``limit`` characters (a 1 MB string is never echoed back)."""
    r = repr(v)
    return r if len(r) <= limit else r[:limit] + f"... ({len(r)} characters)"

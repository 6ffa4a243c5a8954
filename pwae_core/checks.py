"""Input conversion shared by every public entry point: arrays, lists and scalars become
tensors, anything else gets a ``ValueError`` naming the argument."""
from __future__ import annotations

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


def sample_count(n, limit: int) -> int:
    """A whole number of samples in [1, limit] (bools refused) -> int; ValueError otherwise."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= limit:
        raise ValueError(f"n must be an integer in [1, {limit}], got {n!r}")
    return int(n)

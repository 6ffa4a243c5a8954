"""Two unpaired image domains with known partners, for translation (Monge maps between
image sets): MNIST digits and the same digits with thickened strokes.

The translation model never sees pairs: the two training domains are disjoint halves of the
train split. On the test split every digit x has a known true partner thicken(x), so a
learned map can be scored against the truth (``runs.translation``).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional as Fn

from . import data


def thicken(images: torch.Tensor, size: int = 3) -> torch.Tensor:
    """Grey-level dilation: each pixel becomes the max over its size x size window
    (odd size >= 1; 1 is the identity). images (N, 1, H, W) in [0, 1] -> same shape."""
    if size < 1 or size % 2 == 0:
        raise ValueError(f"thicken: size must be an odd integer >= 1, got {size}")
    return Fn.max_pool2d(images, size, stride=1, padding=size // 2)


@dataclass
class DomainPair:
    """x, y: unpaired training images of the two domains, flattened (N, 784), (M, 784);
    x_test, y_test: test images with y_test[i] the true partner of x_test[i] (K, 784);
    labels_test (K,) their digit classes."""
    x: torch.Tensor
    y: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    labels_test: torch.Tensor
    name: str = "digits -> thick digits"


def thick_digits(root=None, size: int = 3, seed: int = 0) -> DomainPair:
    """MNIST (``data.mnist``, bundled digits unless ``root``) vs the same digits thickened by
    ``thicken(size)``: a seeded permutation of the train split gives its first half to the
    plain domain and the second half (thickened) to the other, so no digit is in both."""
    images, _ = data.mnist("train", root=root)
    perm = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    half = len(images) // 2
    x, y = images[perm[:half]], thicken(images[perm[half:]], size)
    x_test, labels = data.mnist("test", root=root)
    return DomainPair(x.flatten(1), y.flatten(1), x_test.flatten(1),
                      thicken(x_test, size).flatten(1), labels)


def take(images, idx: torch.Tensor) -> torch.Tensor:
    """Rows ``idx`` of a domain's training images as float (B, D) in [0, 1]: a float tensor
    (N, D), a uint8 tensor (N, D) (kept small in memory), or a streamed source with
    ``take(idx)`` (read from disk per batch, ``FaceFolder``)."""
    if not isinstance(images, torch.Tensor):
        return images.take(idx)
    rows = images[idx]
    return rows.float() / 255 if rows.dtype == torch.uint8 else rows

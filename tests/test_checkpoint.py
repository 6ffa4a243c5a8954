"""Tests for pwae_core.checkpoint: round trip, atomic writes, refusal of pickle files."""
import json
import os
import pickle

import numpy as np
import pytest
import torch

from pwae_core import checkpoint


def _tensors():
    g = torch.Generator().manual_seed(0)
    w = torch.randn(4, 6, generator=g)
    return {
        "w": w,
        "w_t": w.t(),                          # non-contiguous view sharing storage with w
        "step": torch.tensor(7, dtype=torch.int64),
        "half": torch.randn(3, generator=g).to(torch.float16),
        "mask": torch.tensor([True, False]),
    }


META = {"config": {"d1": 16, "lr": 2e-3, "x_shape": [1, 28, 28]}, "note": "héllo", "none": None}


def test_round_trip(tmp_path):
    path = checkpoint.write(tmp_path / "deep" / "dir" / "m.safetensors", _tensors(), META)
    tensors, meta = checkpoint.read(path)
    assert meta == META
    assert tensors.keys() == _tensors().keys()
    for k, t in _tensors().items():
        assert tensors[k].dtype == t.dtype and torch.equal(tensors[k], t)
    assert os.listdir(path.parent) == ["m.safetensors"]


def test_overwrite_and_empty(tmp_path):
    path = tmp_path / "m.safetensors"
    checkpoint.write(path, _tensors(), META)
    checkpoint.write(path, {}, {})
    assert checkpoint.read(path) == ({}, {})


@pytest.mark.parametrize("tensors, meta", [
    ({"a": torch.zeros(2)}, {"bad": object()}),
    ({"a": [1, 2]}, {}),
    ([torch.zeros(2)], {}),
    ({"a": torch.zeros(2)}, "meta"),
])
def test_write_bad_input(tmp_path, tensors, meta):
    with pytest.raises(ValueError):
        checkpoint.write(tmp_path / "m.safetensors", tensors, meta)
    assert os.listdir(tmp_path) == []


def test_failed_write_keeps_old_file_and_no_temp(tmp_path, monkeypatch):
    path = checkpoint.write(tmp_path / "m.safetensors", {"a": torch.ones(3)}, {"v": 1})
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk on fire"):
        checkpoint.write(path, {"a": torch.zeros(3)}, {"v": 2})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.safetensors"]


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        checkpoint.read(tmp_path / "nope.safetensors")


@pytest.mark.parametrize("use_zip", [True, False])
def test_torch_save_refused(tmp_path, use_zip):
    path = tmp_path / "m.pt"
    torch.save({"a": torch.ones(2)}, path, _use_new_zipfile_serialization=use_zip)
    with pytest.raises(ValueError, match="pickle files are refused"):
        checkpoint.read(path)


class _Exploit:
    """Unpickling this would run ``os.system("touch <marker>")``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL, 0])
def test_malicious_pickle_refused_and_not_executed(tmp_path, protocol):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps(_Exploit(marker), protocol=protocol))
    with pytest.raises(ValueError):
        checkpoint.read(path)
    assert not marker.exists()


def test_malicious_torch_save_refused_and_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"x": _Exploit(marker)}, path)
    with pytest.raises(ValueError, match="execute"):
        checkpoint.read(path)
    assert not marker.exists()


def _valid_bytes():
    from safetensors.torch import save
    return save({"a": torch.arange(100.0)}, metadata={"pwae_format": "1", "meta": "{}"})


@pytest.mark.parametrize("content", [
    b"",
    bytes(range(256)) * 4,
    np.random.default_rng(0).bytes(1000),
    _valid_bytes()[:-10],
    _valid_bytes()[:20],
    _valid_bytes()[:5],
], ids=["empty", "byte-ramp", "random", "truncated-data", "truncated-header", "5-bytes"])
def test_not_safetensors(tmp_path, content):
    path = tmp_path / "m.safetensors"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="safetensors"):
        checkpoint.read(path)


def _safetensors_file(path, metadata):
    from safetensors.torch import save_file
    save_file({"a": torch.zeros(1)}, str(path), metadata=metadata)
    return path


@pytest.mark.parametrize("metadata, match", [
    (None, "not a pwae checkpoint"),
    ({"other": "x"}, "not a pwae checkpoint"),
    ({"pwae_format": "2", "meta": "{}"}, "unsupported"),
    ({"pwae_format": "1"}, "meta"),
    ({"pwae_format": "1", "meta": "{not json"}, "JSON"),
    ({"pwae_format": "1", "meta": json.dumps([1, 2])}, "JSON object"),
])
def test_bad_metadata(tmp_path, metadata, match):
    path = _safetensors_file(tmp_path / "m.safetensors", metadata)
    with pytest.raises(ValueError, match=match):
        checkpoint.read(path)

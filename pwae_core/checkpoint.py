"""Checkpoint files: safetensors tensors plus JSON metadata; never pickle.

File format (version ``FORMAT_VERSION`` = "1"): a plain safetensors file whose string
metadata (``__metadata__``) is ``{"pwae_format": "1", "meta": json.dumps(meta)}``.
``read`` never calls ``torch.load`` or ``pickle``: a pickle or ``torch.save`` zip is
refused with a ValueError because loading it could execute arbitrary code.

API: ``write(path, tensors, meta)`` / ``read(path) -> (tensors, meta)``. Models are saved
and rebuilt by ``models.save`` / ``models.load`` on top of these; this module knows no model.
``SHIPPED`` is the folder of the checkpoints that ship with the project.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as _safetensors_bytes

FORMAT_KEY = "pwae_format"
META_KEY = "meta"
FORMAT_VERSION = "1"
SUPPORTED_VERSIONS = ("1",)
SHIPPED = Path(__file__).resolve().parent.parent / "checkpoints"

_ZIP_MAGIC = b"PK\x03\x04"          # torch.save (default, zip-based) files
_PICKLE_PROTO = 0x80                 # pickle protocol >= 2 opcode, legacy torch.save


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------

def write(path, tensors: dict[str, torch.Tensor], meta: dict) -> Path:
    """Atomically write ``tensors`` and the JSON-serialisable dict ``meta`` to ``path``.

    Tensors are detached, copied to CPU and made contiguous. The bytes go to a temp file in
    the target folder (created if missing), are flushed and fsynced, then ``os.replace``-d
    onto ``path``: readers see the old file or the new one, never a partial file.
    Returns ``path`` as a Path.
    """
    path = Path(path)
    payload = _encode(tensors, meta)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600 files
        os.replace(tmp, path)
    except BaseException:
        _remove_quietly(tmp)
        raise
    _fsync_dir(path.parent)
    return path


def _encode(tensors: dict[str, torch.Tensor], meta: dict) -> bytes:
    """safetensors bytes of ``tensors`` with metadata ``{pwae_format, meta: json}``."""
    if not isinstance(tensors, dict):
        raise ValueError(f"tensors must be a dict[str, Tensor], got {type(tensors).__name__}")
    if not isinstance(meta, dict):
        raise ValueError(f"meta must be a dict, got {type(meta).__name__}")
    for name, t in tensors.items():
        if not isinstance(name, str) or not isinstance(t, torch.Tensor):
            raise ValueError(f"tensors must map str -> Tensor, got {name!r}: {type(t).__name__}")
    try:
        meta_json = json.dumps(meta, allow_nan=True)
    except (TypeError, ValueError) as e:
        raise ValueError(f"meta must be JSON-serialisable: {e}") from e
    cpu = {k: _cpu_contiguous(t) for k, t in tensors.items()}
    return _safetensors_bytes(cpu, metadata={FORMAT_KEY: FORMAT_VERSION, META_KEY: meta_json})


def _cpu_contiguous(t: torch.Tensor) -> torch.Tensor:
    """A detached, contiguous CPU copy (copies also break storage sharing between entries)."""
    return t.detach().to("cpu").clone(memory_format=torch.contiguous_format)


def _remove_quietly(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


def _fsync_dir(folder: Path) -> None:
    """fsync a folder so the rename itself is durable (best effort; no-op where unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------

def read(path) -> tuple[dict[str, torch.Tensor], dict]:
    """Load ``(tensors, meta)`` from a file written by ``write``; tensors are on the CPU.

    Raises FileNotFoundError if ``path`` does not exist; ValueError if the file is a pickle
    or ``torch.save`` file (refused: loading it can execute code), is not a valid
    safetensors file (random bytes, truncated, empty), is not a pwae checkpoint, has an
    unsupported format version, or holds invalid JSON meta.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    if path.is_dir():
        raise IsADirectoryError(f"checkpoint path is a folder, expected a file: {path}")
    _refuse_pickle(path)
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except SafetensorError as e:
        raise ValueError(f"{path} is not a valid safetensors file ({e})") from e
    return tensors, _parse_metadata(path, metadata)


def _refuse_pickle(path: Path) -> None:
    """ValueError if the first bytes look like a zip (``torch.save``) or a pickle stream."""
    with open(path, "rb") as f:
        head = f.read(8)
    if not head:
        raise ValueError(f"{path} is empty, expected a safetensors checkpoint")
    is_zip = head.startswith(_ZIP_MAGIC)
    is_pickle = len(head) >= 2 and head[0] == _PICKLE_PROTO and 2 <= head[1] <= 5
    if is_zip or is_pickle:
        kind = "a zip archive (torch.save format)" if is_zip else "a pickle stream"
        raise ValueError(f"{path} is {kind}, not a safetensors checkpoint; pickle files are "
                         "refused because loading them can execute arbitrary code")


def _parse_metadata(path: Path, metadata: dict) -> dict:
    """Check ``pwae_format`` and decode the JSON ``meta`` dict from safetensors metadata."""
    version = metadata.get(FORMAT_KEY)
    if version is None:
        raise ValueError(f"{path} is a safetensors file but not a pwae checkpoint "
                         f"(no {FORMAT_KEY!r} metadata)")
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"{path}: unsupported pwae checkpoint format version {version!r}; "
                         f"this code reads versions {SUPPORTED_VERSIONS}")
    if META_KEY not in metadata:
        raise ValueError(f"{path}: pwae checkpoint without {META_KEY!r} metadata")
    try:
        meta = json.loads(metadata[META_KEY])
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: {META_KEY!r} metadata is not valid JSON ({e})") from e
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: {META_KEY!r} metadata must be a JSON object, "
                         f"got {type(meta).__name__}")
    return meta

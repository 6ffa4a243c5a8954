"""Devices and multi-process training (runs.distributed): the device names and their errors,
the shard of a global batch, and two CPU processes under torchrun (gloo) that stay identical
to each other and to one process on the same global batch, and resume exactly."""
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from pwae_core import models
from pwae_core.runs import distributed, presets
from pwae_core.runs.train import fit

ROOT = Path(__file__).resolve().parents[2]


def tiny_config(steps: int):
    """A small classifier run: per-sample loss (cross entropy), so that 2 processes on halves
    of a batch of 16 take exactly the step of one process on all 16."""
    cfg = presets.train_config("mnist-classifier", "classifier")
    return dataclasses.replace(cfg, steps=steps, batch_size=16, lr_schedule="constant",
                               threads=1, checkpoint_every=3,
                               model=dataclasses.replace(cfg.model, width=8))


def _torchrun(folder: Path, steps: int, *flags) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
           "--standalone", str(ROOT / "tests/runs/ddp_worker.py"), str(folder), str(steps),
           *flags]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def _close(a: dict, b: dict, atol=1e-5) -> bool:
    return a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=atol) for k in a)


@pytest.mark.slow
def test_two_processes_stay_identical_and_match_one_process_on_the_global_batch(tmp_path):
    _torchrun(tmp_path, 6)
    r0, r1 = (load_file(tmp_path / f"rank{r}.safetensors") for r in (0, 1))
    assert all(torch.equal(r0[k], r1[k]) for k in r0)               # replicas stay identical
    alone = fit(tiny_config(6), progress=False).model.state_dict()
    assert _close(r0, alone)                                       # = one process, batch 16
    start = tiny_config(6)
    torch.manual_seed(start.seed)
    init = models.build(start.model).state_dict()
    assert not _close(r0, init, atol=1e-4)                           # and it did train
    assert (tmp_path / "model.safetensors").exists() and not list(tmp_path.glob("*.tmp*"))


@pytest.mark.slow
def test_a_two_process_run_resumes_exactly_and_refuses_another_process_count(tmp_path):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    whole.mkdir(), parts.mkdir()
    _torchrun(whole, 6)
    _torchrun(parts, 3)                                  # state written at step 3
    _torchrun(parts, 6, "--resume")                      # steps may change on resume
    a, b = load_file(whole / "rank0.safetensors"), load_file(parts / "rank0.safetensors")
    assert _close(a, b, atol=1e-6)
    with pytest.raises(ValueError, match="written by 2 process"):
        fit(tiny_config(9), out=parts / "model.safetensors", resume=True, progress=False)


def test_the_shard_of_a_global_batch():
    b = torch.arange(12).view(6, 2)
    ctx = distributed.Context(rank=1, world=3)
    assert torch.equal(distributed.shard(b, ctx), b[2:4])
    assert distributed.shard(b, distributed.Context()) is b
    with pytest.raises(ValueError, match="batch_size 6 must be a multiple of the number of processes"):
        distributed.shard(b, distributed.Context(rank=0, world=4))


@pytest.mark.parametrize("name, match", [
    ("tpu", r"unknown device 'tpu'; choose from \('cpu', 'cuda', 'mps'\)"),
    pytest.param("cuda", "no CUDA GPU", marks=pytest.mark.skipif(
        torch.cuda.is_available(), reason="this machine has a GPU")),
])
def test_device_names_and_missing_devices_get_clear_errors(name, match):
    with pytest.raises(ValueError, match=match):
        distributed.device(name)
    assert distributed.device(None) == distributed.device("cpu") == torch.device("cpu")


def test_alone_the_loss_is_the_models_own():
    calls = []

    class M(torch.nn.Module):
        def loss(self, *a):
            calls.append(a)
            return {"total": torch.zeros(())}

    fn = distributed.loss_fn(M(), distributed.Context(), "cfg", "gen")
    fn(torch.ones(1))
    assert calls[0][1:] == ("cfg", "gen")


@pytest.mark.slow
def test_translation_trains_under_torchrun_and_rank_0_writes_the_files(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    out = tmp_path / "t.safetensors"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone",
           "-m", "pwae_core", "train", "translate-digits", "--steps", "2", "--width", "4",
           "--d-latent", "4", "--batch-size", "8", "--threads", "1", "--quiet", "--out", str(out)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count('"out"') == 1                        # only rank 0 reports
    m = models.load(out)
    assert m.train_config.task == "translate-digits" and m.metrics["test"]["xy"]
    from pwae_core import checkpoint
    assert checkpoint.read(out.with_name("t.state.safetensors"))[1]["world"] == 2

"""Run by tests/runs/test_distributed.py under torchrun: trains a tiny classifier with
runs.train.fit and writes this process's weights to <dir>/rank<R>.safetensors.

    torchrun --nproc_per_node 2 tests/runs/ddp_worker.py DIR STEPS [--resume]
"""
import os
import sys

from safetensors.torch import save_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from tests.runs.test_distributed import tiny_config  # noqa: E402
from pwae_core.runs.train import fit  # noqa: E402

if __name__ == "__main__":
    folder, steps = sys.argv[1], int(sys.argv[2])
    run = fit(tiny_config(steps), out=os.path.join(folder, "model.safetensors"),
              resume="--resume" in sys.argv, progress=False)
    rank = os.environ["RANK"]
    save_file({k: v.contiguous() for k, v in run.model.state_dict().items()},
              os.path.join(folder, f"rank{rank}.safetensors"))

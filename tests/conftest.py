import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
torch.set_num_threads(int(os.environ.get("PWAE_TEST_THREADS", "2")))


@pytest.fixture
def tiny_config():
    """A small ModelConfig factory: fast to build and to step."""
    from pwae_core.config import ModelConfig

    def make(kind="pwae", task="mnist-denoise"):
        return ModelConfig(kind=kind, task=task, d1=4, d2=6, d3=2, width=8)
    return make

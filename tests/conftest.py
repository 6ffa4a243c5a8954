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


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """The Gradio app served in-process on a free local port: (app module, url)."""
    import os
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ["GRADIO_TEMP_DIR"] = str(tmp_path_factory.mktemp("gradio"))
    import app
    _, url, _ = app.demo.launch(server_name="127.0.0.1", server_port=_free_port(),
                                prevent_thread_lock=True, quiet=True)
    yield app, url
    app.demo.close()

"""Shared fixtures. The package is installed (``pip install -e .``); nothing edits sys.path.

Markers (pyproject.toml): ``slow`` (trains for more than a few seconds, runs a full
evaluation or starts subprocess training) and ``browser`` (drives a real Chromium).
``python -m pytest -m "not slow and not browser"`` is the quick run.
"""
import importlib.util
import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
torch.set_num_threads(int(os.environ.get("PWAE_TEST_THREADS", "2")))


def pytest_collection_modifyitems(items):
    """Tests that serve the app run last. Once the in-process server has answered requests,
    CPU training in the same process runs about twice as slowly (measured on 2 cores: the
    Gaussian OT fits took 36 s instead of 18 s), so nothing else runs while it is up."""
    items.sort(key=lambda item: "app_server" in getattr(item, "fixturenames", ()))


@pytest.fixture
def tiny_config():
    """A small ModelConfig factory: fast to build and to step."""
    from pwae_core.config import ModelConfig

    def make(kind="pwae", task="mnist-denoise", **kw):
        return ModelConfig(kind=kind, task=task, d1=4, d2=6, d3=2, width=8, **kw)
    return make


@pytest.fixture
def observe_y():
    """y for a conditional image model: B random images, noisy at sigma 0.5 (denoising) or
    with the left half hidden (inpainting)."""
    from pwae_core import masks

    def make(model, B=3):
        x = torch.rand(B, 1, 28, 28, generator=torch.Generator().manual_seed(0))
        if model.op.name == "denoise":
            return model.observe(x, torch.Generator().manual_seed(1), sigma=0.5)
        return model.observe(x, mask=masks.named_mask("left"))
    return make


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_app():
    """The app module (``app.py`` at the repository root, not part of the package), imported
    once by file path and registered as ``sys.modules["app"]``."""
    if "app" not in sys.modules:
        spec = importlib.util.spec_from_file_location("app", ROOT / "app.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["app"] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules["app"]
            raise
    return sys.modules["app"]


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """The Gradio app served in-process on a free local port, with the page's CSS and script
    (``app.LAUNCH``) and its queue settings: (app module, url). Launched once per session (a
    closed demo does not serve a browser again when relaunched)."""
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ["GRADIO_TEMP_DIR"] = str(tmp_path_factory.mktemp("gradio"))
    app = load_app()
    _, url, _ = app.demo.launch(server_name="127.0.0.1", server_port=_free_port(),
                                prevent_thread_lock=True, quiet=True, **app.LAUNCH)
    yield app, url
    app.demo.close()

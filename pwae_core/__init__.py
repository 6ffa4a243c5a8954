"""pwae_core: paired Wasserstein autoencoders for conditional sampling and learned OT maps.

    import pwae_core as pw
    model = pw.load("checkpoints/mnist-denoise.safetensors")
    post = model.posterior(y, n=64, sigma=0.5)   # samples, mean, std, map
"""
from . import checkpoint, data, divergences, metrics, operators, presets  # noqa: F401
from .checkpoint import load, save
from .config import ModelConfig, TrainConfig
from .model import PairedWAE, build
from .train import fit

__all__ = ["load", "save", "fit", "build", "PairedWAE", "ModelConfig", "TrainConfig",
           "checkpoint", "data", "divergences", "metrics", "operators", "presets"]
__version__ = "0.1.0"

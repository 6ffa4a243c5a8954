"""pwae_core: paired Wasserstein autoencoders for conditional sampling and learned OT maps.

    import pwae_core as pw
    model = pw.load("checkpoints/mnist-denoise.safetensors")
    post = model.posterior(y, n=64, sigma=0.5)   # samples, mean, std, map
"""
from . import checkpoint, data, divergences, gmm, metrics, operators, presets  # noqa: F401
from .checkpoint import load, save
from .config import CouplingConfig, ModelConfig, TrainConfig, VectorCVAEConfig
from .coupling import CouplingPWAE
from .fitting import fit_coupling, fit_cvae
from .model import PairedWAE, build
from .train import fit

__all__ = ["load", "save", "fit", "fit_coupling", "fit_cvae", "build", "PairedWAE",
           "CouplingPWAE", "ModelConfig", "TrainConfig", "CouplingConfig", "VectorCVAEConfig",
           "checkpoint", "data", "divergences", "gmm", "metrics", "operators", "presets"]
__version__ = "0.1.0"

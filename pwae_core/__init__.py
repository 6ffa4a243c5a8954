"""pwae_core: paired Wasserstein autoencoders for conditional sampling and learned OT maps.

    import pwae_core as pw
    model = pw.load("checkpoints/mnist-denoise.safetensors")
    post = model.posterior(y, n=64, sigma=0.5)   # samples, mean, std, map

Layout: the math flat here (checks, costs, divergences, metrics, operators, masks, gmm,
data, images, viz, checkpoint, config); ``models`` (the two PWAE families and the
baselines), ``runs`` (training, fitting, evaluation, experiments) and ``views`` (what the
app calls) in their own subpackages.
"""
from . import checkpoint, costs, data, divergences, gmm, metrics, models, operators  # noqa: F401
from .config import CouplingConfig, ModelConfig, TrainConfig, VectorCVAEConfig
from .models import CouplingPWAE, PairedWAE, Posterior, build, load, save
from .runs import presets  # noqa: F401
from .runs.fitting import fit_coupling, fit_cvae
from .runs.loop import FitResult
from .runs.train import fit

__all__ = ["load", "save", "fit", "fit_coupling", "fit_cvae", "build", "PairedWAE",
           "CouplingPWAE", "Posterior", "FitResult", "ModelConfig", "TrainConfig",
           "CouplingConfig", "VectorCVAEConfig", "checkpoint", "costs", "data", "divergences",
           "gmm", "metrics", "models", "operators", "presets"]
__version__ = "0.2.0"

"""The models, by name, and their files.

    MODELS[kind]            the class of each model kind (a config's ``kind`` field)
    build(config)           instantiate the model a config names
    save(model, path)       weights + config + ``model.info``, atomically (safetensors + JSON)
    load(path)              rebuild a saved model with no flags, in eval mode on the CPU

Families: the image PWAE (``image_pwae``), the coupling PWAE (``coupling``), and the
baselines (``baselines``: cVAE for images and vectors, MSE network, digit classifier), and
the face probe that scores face translation (``probe``).
"""
from __future__ import annotations

from .. import checkpoint, config
from .base import ConditionalImageModel, Condition, Model, ModelInfo, Posterior
from .baselines import CVAE, Classifier, MSENet, VectorCVAE
from .coupling import CouplingPWAE
from .image_pwae import PairedWAE
from .probe import FaceProbe

MODELS = {m.kind: m for m in (PairedWAE, CVAE, MSENet, Classifier, CouplingPWAE, VectorCVAE,
                              FaceProbe)}

__all__ = ["MODELS", "build", "save", "load", "Model", "ModelInfo", "Condition", "Posterior",
           "ConditionalImageModel", "PairedWAE", "CouplingPWAE", "CVAE", "MSENet", "VectorCVAE",
           "Classifier", "FaceProbe"]


def build(cfg) -> Model:
    """Instantiate the model named by ``cfg.kind``; ``ValueError`` on unknown kinds."""
    if cfg.kind not in MODELS:
        raise ValueError(f"unknown model kind {cfg.kind!r}; choose one of {sorted(MODELS)}")
    return MODELS[cfg.kind](cfg)


def save(model: Model, path):
    """Atomically save weights, ``model.config`` and ``model.info`` (training config,
    metrics, extra) to ``path`` (a .safetensors file); returns the Path."""
    tc = model.info.train_config
    meta = {"kind": model.config.kind, "config_class": type(model.config).__name__,
            "model_config": model.config.to_dict(),
            "train_config": tc.to_dict() if tc is not None else None,
            "train_config_class": type(tc).__name__ if tc is not None else None,
            "metrics": model.info.metrics, "extra": model.info.extra}
    return checkpoint.write(path, model.state_dict(), meta)


def load(path) -> Model:
    """Rebuild a saved model in eval mode on the CPU with its ``info``. ``ValueError`` on
    files that are not pwae model files or whose weights do not fit their config."""
    tensors, meta = checkpoint.read(path)
    if "model_config" not in meta:
        raise ValueError(f"{path} is a pwae file of kind {meta.get('kind')!r}, not a model "
                         "(training-state files end in .state.safetensors; load the model file)")
    try:
        model = build(config.model_config(meta))
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    try:
        model.load_state_dict(tensors)
    except RuntimeError as e:
        raise ValueError(f"{path}: weights do not fit the saved config ({e})") from e
    try:
        tc = config.train_config(meta)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    model.info = ModelInfo(tc, meta.get("metrics") or {}, meta.get("extra") or {})
    return model.eval()

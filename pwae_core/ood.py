"""How far an input lies from a translation model's training data (out-of-distribution
score): the reconstruction error of the input's own-domain autoencoder, |D(E(a)) - a|^2
averaged over pixels, ranked among the errors of the test images (never trained on).

    ref = calibration(model, x_test, y_test)       # {"x", "y"}: 101 percentiles each
    score(model, image, "x")                       # {"error", "percentile", "far"}

Measured on the shipped face model (README, "Unpaired image translation"): see there.
"""
from __future__ import annotations

import numpy as np
import torch

OOD_FAR = 99.0      # an input whose reconstruction error exceeds this percentile is "far"


@torch.no_grad()
def reconstruction_error(model, images: torch.Tensor, side: str) -> torch.Tensor:
    """Mean squared error per image of the own-domain autoencoder, D_x(E_x(x)) vs x
    (side "x") or D_y(E_y(y)) vs y: (K, D) -> (K,)."""
    enc, dec = (model.encode_x, model.decode_x) if side == "x" else (model.encode_y, model.decode_y)
    return ((dec(enc(images)) - images) ** 2).mean(1)


def calibration(model, x_test: torch.Tensor, y_test: torch.Tensor) -> dict:
    """{"x", "y"}: the 0th..100th percentiles of the reconstruction error on the test images
    of each domain (never seen in training): the reference of ``ood``."""
    out = {}
    for side, images in (("x", x_test), ("y", y_test)):
        err = reconstruction_error(model, images, side)
        out[side] = torch.quantile(err, torch.linspace(0, 1, 101)).tolist()
    return out


def score(model, image: torch.Tensor, side: str) -> dict:
    """How far one input (D,) lies from the training data: its reconstruction error, the
    percentile of that error among the test images' (``calibration``, stored in the
    model's ``info.metrics["ood"]``; 100 = worse than all), and ``far`` when above ``OOD_FAR``."""
    err = float(reconstruction_error(model, image.reshape(1, -1), side))
    ref = model.info.metrics.get("ood", {}).get(side)
    if not ref:
        return {"error": err, "percentile": None, "far": False}
    pct = float(np.interp(err, ref, np.linspace(0, 100, len(ref)), right=100.0))
    return {"error": err, "percentile": pct, "far": pct > OOD_FAR}

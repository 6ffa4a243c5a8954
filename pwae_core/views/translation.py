"""The translation views behind the app: digits <-> thick digits and faces without <-> with an
attribute, on shipped (or dropped-in) coupling PWAE checkpoints.

    views = load_translation_models()             # {"digits": model, "faces": {label: model}}
    out = translate_digit(views["digits"], digit, "xy")     # input, reconstruction, moved, cycle
    out = translate_face(model, photo, "xy")      # faces_upload.face_crop, then the same
    describe(model), metrics_table(model)         # what it was trained on, its test scores

Each result holds (H, W) or (H, W, 3) arrays in [0, 1]: ``input`` (the model's input, in the
source domain), ``reconstruction`` (its own autoencoder), ``translated`` (D_other(E_own)),
``cycle`` (translated back) and ``ood`` (``ood.score``: reconstruction error and
its percentile among the test images; far beyond the training data when above 99).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .. import checks, faces_upload, models, ood
from ..checkpoint import SHIPPED

DIGITS_FILE = "translate-digits.safetensors"
FACES_GLOB = "translate-faces*.safetensors"
DIRECTIONS = ("xy", "yx")


def load_translation_models(folder=SHIPPED) -> dict:
    """{"digits": model, "faces": {label: model}}: the digits model and every face model in
    ``folder`` (CelebA-trained ones first, then by name). FileNotFoundError names a missing
    file and the command that writes it."""
    folder = Path(folder)
    path = folder / DIGITS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: python -m pwae_core train translate-digits")
    faces = {}
    for p in sorted(folder.glob(FACES_GLOB)):
        if not p.name.endswith(".state.safetensors"):
            faces[p.name] = models.load(p)
    if not faces:
        raise FileNotFoundError(f"no {FACES_GLOB} in {folder}: python -m pwae_core train "
                                "translate-faces")
    ranked = sorted(faces, key=lambda k: (not _trained_on(faces[k]).startswith("CelebA"), k))
    return {"digits": models.load(path), "faces": {k: faces[k] for k in ranked}}


def _trained_on(model) -> str:
    return str(model.info.extra.get("trained_on", "unknown data"))


def direction_names(model) -> dict:
    """{"xy": "...", "yx": "..."}: the two directions in words (digits or an attribute)."""
    tc = model.info.train_config
    if getattr(tc, "task", "") == "translate-digits":
        return {"xy": "thin -> thick strokes", "yx": "thick -> thin strokes"}
    attr = getattr(tc, "attribute", "attribute").replace("_", " ").lower()
    return {"xy": f"not {attr} -> {attr}", "yx": f"{attr} -> not {attr}"}


def _check_direction(direction) -> str:
    if not isinstance(direction, str) or direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {checks.short(direction)}")
    return direction


@torch.no_grad()
def _translate(model, x: torch.Tensor, direction: str, shape) -> dict:
    """x (D,) in the source domain -> the four pictures, reshaped to ``shape``, and ood."""
    own, other = direction[0], direction[1]
    enc = {"x": model.encode_x, "y": model.encode_y}
    dec = {"x": model.decode_x, "y": model.decode_y}
    xb = x.reshape(1, -1)
    moved = dec[other](enc[own](xb))
    out = {"input": xb, "reconstruction": dec[own](enc[own](xb)), "translated": moved,
           "cycle": dec[own](enc[other](moved))}
    pics = {k: _picture(v, shape) for k, v in out.items()}
    pics["ood"] = ood.score(model, xb[0], own)
    return pics


def _picture(row: torch.Tensor, shape) -> np.ndarray:
    a = row.reshape(shape).clamp(0, 1).numpy()                     # (C, H, W) or (H, W)
    return a.transpose(1, 2, 0) if a.ndim == 3 else a              # -> (H, W, C)


def translate_digit(model, digit, direction: str = "xy") -> dict:
    """A (28, 28) digit in [0, 1] (``images.as_digit``) -> input, reconstruction,
    translated, cycle (28, 28) and ood."""
    a = np.asarray(digit, dtype=np.float32)
    if a.shape != (28, 28) or not np.isfinite(a).all():
        raise ValueError(f"the digit must be a finite 28 x 28 image, got shape {a.shape}")
    return _translate(model, torch.from_numpy(a).clamp(0, 1), _check_direction(direction), (28, 28))


def translate_face(model, photo, direction: str = "xy") -> dict:
    """Any photo (``faces_upload.face_crop``: validated, face found or centre-cropped) ->
    input, reconstruction, translated, cycle (64, 64, 3), ood, and the crop's ``note``."""
    _check_direction(direction)
    crop = faces_upload.face_crop(photo)
    x = torch.from_numpy(np.ascontiguousarray(crop.image.transpose(2, 0, 1)))   # (3, 64, 64)
    out = _translate(model, x, direction, (3, 64, 64))
    out["note"], out["found"] = crop.note, crop.found
    return out


def ood_message(ood: dict) -> str:
    """One line for the user on how far the input is from the model's training data."""
    if ood.get("percentile") is None:
        return "This checkpoint has no out-of-distribution reference."
    pct = ood["percentile"]
    if ood["far"]:
        return (f"Far from the training data: reconstruction error {ood['error']:.4f}, above "
                f"{min(pct, 100):.0f}% of the test images'. Expect a poor translation.")
    return f"Close to the training data: reconstruction error above {pct:.0f}% of the test images'."


def describe(model, name: str = "") -> str:
    """Markdown: checkpoint, what it was trained on, steps and training time."""
    tc, m = model.info.train_config, model.info.metrics
    steps = getattr(tc, "steps", "?")
    return (f"**Checkpoint** `{name}` - trained on {_trained_on(model)}; {steps} steps, "
            f"{m.get('train_seconds', '?')} s; latent {model.config.d_latent}.")


def metrics_table(model) -> pd.DataFrame:
    """The test scores saved with the model: one row per direction and map."""
    test, names, rows = model.info.metrics.get("test", {}), direction_names(model), []
    for way in DIRECTIONS:
        for kind, scores in test.get(way, {}).items():
            rows.append({"direction": names[way], "map": kind,
                         **{k: round(v, 3) for k, v in scores.items()}})
    return pd.DataFrame(rows)

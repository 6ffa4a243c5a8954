"""The translation views behind the app: digits <-> thick digits and faces without <-> with an
attribute, on shipped (or dropped-in) coupling PWAE checkpoints.

    views = load_translation_models()             # {"digits": model, "faces": {label: model}}
    out = translate_digit(views["digits"], digit, "xy")     # input, reconstruction, moved, cycle
    out = translate_face(model, photo, "xy")      # faces_upload.face_crop, then the same
    describe(model), metrics_table(model)         # what it was trained on, its test scores

What the app's Translation tab shows (one call per user action, pictures out):

    digit_panel(views, picture, "xy")             # the four pictures enlarged, status, about, scores
    face_panel(views, photo, "yx", checkpoint)    # the same for a photo, with the crop's note
    example_digits(thin, "yx"), example_faces()   # the galleries (thickened digits for "yx")

Each result holds (H, W) or (H, W, 3) arrays in [0, 1]: ``input`` (the model's input, in the
source domain), ``reconstruction`` (its own autoencoder), ``translated`` (D_other(E_own)),
``cycle`` (translated back) and ``ood`` (``ood.score``: reconstruction error and
its percentile among the test images; far beyond the training data when above 99).
"""
from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .. import celeba, checks, domains, faces_upload, images, models, ood, synthfaces
from ..checkpoint import SHIPPED

DIGITS_FILE = "translate-digits.safetensors"
FACES_GLOB = "translate-faces*.safetensors"
DIRECTIONS = ("xy", "yx")
DOMAINS = ("Digits", "Faces")
DIGIT_SCALE, FACE_SCALE = 8, 4       # shown enlarged, nearest neighbour: 28 -> 224 px, 64 -> 256 px
PICTURES = ("input", "reconstruction", "translated", "cycle")


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
    pct = min(ood["percentile"], 100)
    than = "every test image's" if pct >= 100 else f"{pct:.0f}% of the test images'"
    if ood["far"]:
        return (f"Far from the training data: its reconstruction error ({ood['error']:.4f}) is above "
                f"{than}. Expect a poor translation.")
    return f"Close to the training data: its reconstruction error is above {than}."


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


# ---------------------------------------------------------------- the app's tab


def check_domain(domain) -> str:
    if not isinstance(domain, str) or domain not in DOMAINS:
        raise ValueError(f"the domain must be one of {list(DOMAINS)}, got {checks.short(domain)}")
    return domain


def direction_choices(model) -> list[tuple[str, str]]:
    """[(words, "xy"), (words, "yx")] for a radio whose values are the directions."""
    names = direction_names(model)
    return [(names[d], d) for d in DIRECTIONS]


def face_model(views: dict, checkpoint=None) -> tuple[str, object]:
    """(name, model) of the face checkpoint ``checkpoint`` (None or "": the first, a
    CelebA-trained one if there is one); ValueError naming the available ones."""
    faces = views["faces"]
    if checkpoint in (None, ""):
        checkpoint = next(iter(faces))
    if not isinstance(checkpoint, str) or checkpoint not in faces:
        raise ValueError(f"the face checkpoint must be one of {list(faces)}, got "
                         f"{checks.short(checkpoint)}")
    return checkpoint, faces[checkpoint]


def source_digit(thin: np.ndarray, direction: str) -> np.ndarray:
    """A thin-stroke (28, 28) digit in the direction's source domain: as it is for "xy",
    thickened (``domains.thicken``, as the training data) for "yx"."""
    a = np.asarray(thin, np.float32)
    if _check_direction(direction) == "xy":
        return a
    return domains.thicken(torch.from_numpy(a).reshape(1, 1, 28, 28))[0, 0].numpy()


def example_digits(thin: np.ndarray, direction: str) -> np.ndarray:
    """Thin test digits (K, 28, 28) -> the gallery of the direction: as they are for "xy",
    thickened for "yx"."""
    return np.stack([source_digit(d, direction) for d in np.asarray(thin)])


def digit_from_picture(img) -> np.ndarray:
    """The digit input's picture -> (28, 28) in [0, 1]. A picture in MNIST's own form (grey
    uint8, a 28 x 28 digit enlarged k times: every k x k block one grey, the outer ring
    black), as this tab draws its inputs, is read back exactly, so a thick test digit stays
    as trained on; anything else (an upload) goes through ``images.as_digit`` (ink found,
    MNIST's crop, scale and centre)."""
    a = np.asarray(img) if img is not None else None
    if a is not None and a.dtype == np.uint8 and a.ndim in (2, 3) and a.shape[0] == a.shape[1] \
            and a.shape[0] % 28 == 0 and a.shape[0] > 0 and (a.ndim == 2 or a.shape[2] in (3, 4)):
        grey = a if a.ndim == 2 else a[..., 0]
        opaque = a.ndim == 2 or a.shape[2] == 3 or (a[..., 3] == 255).all()
        same = a.ndim == 2 or (a[..., 1:3] == grey[..., None]).all()
        k = a.shape[0] // 28
        blocks = grey.reshape(28, k, 28, k)
        digit = blocks[:, 0, :, 0]
        ring = np.concatenate([digit[0], digit[-1], digit[:, 0], digit[:, -1]])
        if opaque and same and not ring.any() and (blocks == digit[:, None, :, None]).all():
            return digit.astype(np.float32) / 255
    return images.as_digit(img, "the digit")


def example_faces(n_synthetic: int = 3, seed: int = 14, n_lfw: int = 3) -> list[tuple[np.ndarray, str]]:
    """Example photos with captions, no data set needed: ``n_synthetic`` synthetic test
    faces (``synthfaces``, seeded), each not smiling and smiling, in the training frame
    (``celeba.crop_face``, 64 x 64); scikit-image's astronaut (512 x 512); and ``n_lfw``
    faces of its ``lfw_subset`` (25 x 25 grey, enlarged to 100 x 100).

    The synthetic crops are 64 x 64, so ``face_crop`` takes them as they are (training
    frame); the seed was picked when it still re-framed them, so that all six read as close
    to the training data to the shipped face model."""
    from skimage import data as skdata    # deferred: scikit-image loads in about a second
    from PIL import Image                 # deferred: only the examples are resized here
    rng, out = np.random.default_rng(seed), []
    for k in range(n_synthetic):
        ident = synthfaces.draw_identity(rng)
        for smiling in (False, True):
            out.append((celeba.crop_face(synthfaces.render(ident, smiling)),
                        f"synthetic {k + 1}, {'smiling' if smiling else 'not smiling'}"))
    out.append((skdata.astronaut(), "astronaut (photo)"))
    for i, g in enumerate(skdata.lfw_subset()[:n_lfw]):
        small = Image.fromarray((g * 255).round().astype(np.uint8))
        out.append((np.asarray(small.resize((100, 100), Image.BILINEAR).convert("RGB")),
                    f"LFW face {i + 1} (photo)"))
    return out


def enlarge(a: np.ndarray, scale: int) -> np.ndarray:
    """(H, W) or (H, W, 3) in [0, 1] -> uint8 (H s, W s, 3), nearest neighbour."""
    a = np.asarray(a, np.float32)
    a = np.repeat(a[..., None], 3, axis=2) if a.ndim == 2 else a
    big = a.repeat(scale, axis=0).repeat(scale, axis=1)
    return (np.clip(big, 0, 1) * 255).round().astype(np.uint8)


def status_html(out: dict) -> str:
    """The crop's note (faces) and the out-of-distribution sentence, as HTML: a far input
    is a visible warning."""
    ood_ = out["ood"]
    kind = "far" if ood_["far"] else ("close" if ood_.get("percentile") is not None else "unknown")
    mark = "&#9888; " if ood_["far"] else ""
    lines = []
    if "note" in out:
        found = "found" if out.get("found") else "none"
        lines.append(f'<div class="tr-note tr-{found}">{html.escape(out["note"])}</div>')
    lines.append(f'<div class="tr-ood tr-{kind}">{mark}{html.escape(ood_message(ood_))}</div>')
    return '<div class="tr-status">' + "".join(lines) + "</div>"


def shown_metrics(model) -> pd.DataFrame:
    """``metrics_table`` for display: every score with three decimals, infinite PSNR (a
    perfect match) as "inf"; a checkpoint without scores says so in one row."""
    table = metrics_table(model)
    if table.empty:
        return pd.DataFrame([{"direction": "-", "map": "no test scores saved in this checkpoint"}])
    for col in table.columns[2:]:
        table[col] = [(f"{v:.3f}" if np.isfinite(v) else ("inf" if v > 0 else "-inf"))
                      if isinstance(v, (int, float)) else str(v) for v in table[col]]
    return table.rename(columns=lambda c: c.replace("_", " "))


def _panel(model, out: dict, name: str, scale: int) -> dict:
    return {**{k: enlarge(out[k], scale) for k in PICTURES}, "status": status_html(out),
            "about": describe(model, name), "metrics": shown_metrics(model), "result": out}


def digit_panel(views: dict, picture, direction: str = "xy") -> dict:
    """Everything the tab shows for a digit picture (``digit_from_picture``) already in the
    direction's source domain: input, reconstruction, translated, cycle (224, 224, 3)
    uint8, ``status`` (HTML), ``about`` (markdown), ``metrics`` (table), ``result``
    (``translate_digit``'s)."""
    _check_direction(direction)
    out = translate_digit(views["digits"], digit_from_picture(picture), direction)
    return _panel(views["digits"], out, DIGITS_FILE, DIGIT_SCALE)


def face_panel(views: dict, photo, direction: str = "xy", checkpoint=None) -> dict:
    """The same for a photo (``translate_face``) with the face checkpoint ``checkpoint``:
    pictures (256, 256, 3) uint8; the status holds the crop's note."""
    _check_direction(direction)
    name, model = face_model(views, checkpoint)
    return _panel(model, translate_face(model, photo, direction), name, FACE_SCALE)

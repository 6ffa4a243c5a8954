"""User images -> model inputs, with a clear ValueError for anything odd.

    as_digit(img)            any HxW / HxWx{1,3,4} array (uint8, uint16, bool, float) -> (28, 28) in [0, 1]
    mask_from_editor(value)  gr.ImageEditor dict -> (28, 28) observed-pixel mask, or None if nothing drawn
"""
from __future__ import annotations

import numpy as np
from PIL import Image

MAX_SIDE = 4096          # larger uploads are refused (a 10k x 10k PNG is 400 MB of pixels)
MIN_SIDE = 8             # smaller ones hold no digit
SIZE = 28


def _check_array(img, name: str) -> np.ndarray:
    if img is None:
        raise ValueError(f"no {name}: pick a test digit, draw one or upload an image")
    a = np.asarray(img)
    if a.dtype == object or a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)):
        raise ValueError(f"{name} must be an H x W grey or H x W x 3/4 colour image, got shape {a.shape}")
    if min(a.shape[:2]) < MIN_SIDE or max(a.shape[:2]) > MAX_SIDE:
        raise ValueError(f"{name} must be between {MIN_SIDE} and {MAX_SIDE} pixels per side, "
                         f"got {a.shape[:2]}")
    return a


def _unit(a: np.ndarray, name: str) -> np.ndarray:
    """Scale by dtype to float in [0, 1]: uint8 / 255, uint16 / 65535, bool, floats as given."""
    if a.dtype == np.bool_:
        return a.astype(np.float32)
    if np.issubdtype(a.dtype, np.integer):
        top = 65535.0 if a.dtype.itemsize >= 2 and a.max(initial=0) > 255 else 255.0
        return a.astype(np.float32) / top
    a = a.astype(np.float32)
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return a / 255.0 if a.max(initial=0) > 1.0 else a


def as_digit(img, name: str = "image") -> np.ndarray:
    """A user image -> (28, 28) float32 in [0, 1], white digit on black (MNIST's convention).

    Colour is averaged to grey; an alpha channel composites over black; a mostly bright
    image (mean > 0.5, i.e. a dark digit on paper) is inverted; the result is resized with
    area averaging. ``ValueError`` for None, wrong shapes, huge images, NaNs.
    """
    a = _unit(_check_array(img, name), name)
    if a.ndim == 3:
        alpha = a[..., 3] if a.shape[2] == 4 else 1.0
        a = a[..., :3].mean(axis=2) * alpha if a.shape[2] >= 3 else a[..., 0]
    a = np.clip(a, 0, 1)
    if a.mean() > 0.5:
        a = 1.0 - a
    if a.shape != (SIZE, SIZE):
        a = np.asarray(Image.fromarray(a.astype(np.float32), mode="F").resize((SIZE, SIZE), Image.BOX))
    return np.clip(a, 0, 1).astype(np.float32)


def _drawn(value) -> np.ndarray | None:
    """Alpha of the editor's first layer > 0 -> bool (H, W), or None if there is none."""
    if not isinstance(value, dict):
        return None
    layers = [lay for lay in (value.get("layers") or []) if lay is not None]
    if not layers:
        return None
    a = _check_array(layers[0], "mask layer")
    alpha = a[..., 3] if a.ndim == 3 and a.shape[2] == 4 else (a if a.ndim == 2 else a.max(axis=2))
    return np.asarray(alpha) > 0


def mask_from_editor(value, threshold: float = 0.25) -> np.ndarray | None:
    """Image-editor value -> observed-pixel mask (28, 28) float32, 1 = observed, 0 = hidden
    (the painted region); a 28 x 28 cell is hidden when more than ``threshold`` of it is
    painted. None when nothing is painted."""
    drawn = _drawn(value)
    if drawn is None or not drawn.any():
        return None
    cover = Image.fromarray(drawn.astype(np.float32), mode="F").resize((SIZE, SIZE), Image.BOX)
    return (np.asarray(cover) <= threshold).astype(np.float32)


def center_like_mnist(a: np.ndarray) -> np.ndarray:
    """MNIST's preprocessing for a hand-drawn digit (H, W) in [0, 1]: crop to the ink, scale
    the longer side to 20 px, paste into 28 x 28 with the centre of mass in the middle."""
    ys, xs = np.nonzero(a > 0.05)
    if len(ys) == 0:
        raise ValueError("the drawing is empty: draw a digit first")
    crop = a[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32)
    s = 20.0 / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * s)), max(1, round(crop.shape[1] * s))
    crop = np.asarray(Image.fromarray(crop, mode="F").resize((w, h), Image.BOX))
    out = np.zeros((SIZE, SIZE), np.float32)
    total = crop.sum()
    cy = (crop.sum(1) @ np.arange(h)) / total if total > 0 else h / 2
    cx = (crop.sum(0) @ np.arange(w)) / total if total > 0 else w / 2
    top = int(np.clip(round(SIZE / 2 - cy), 0, SIZE - h))
    left = int(np.clip(round(SIZE / 2 - cx), 0, SIZE - w))
    out[top:top + h, left:left + w] = crop
    return np.clip(out / max(out.max(), 1e-6), 0, 1)


def digit_from_sketch(value) -> np.ndarray:
    """Sketchpad value (strokes in its first layer) -> a centred (28, 28) digit in [0, 1]."""
    drawn = _drawn(value)
    if drawn is None or not drawn.any():
        raise ValueError("the drawing is empty: draw a digit first")
    return center_like_mnist(drawn.astype(np.float32))

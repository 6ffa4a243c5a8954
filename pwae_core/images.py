"""User images -> model inputs, with a clear ValueError for anything odd.

    as_digit(img)            any HxW / HxWx{1,3,4} array (uint8, uint16, bool, float) -> (28, 28) in [0, 1]
    find_ink(grey)           (H, W) grey -> (H, W) ink in [0, 1] on 0, paper inverted, noise removed
    center_like_mnist(ink)   (H, W) ink on a zero background -> (28, 28), MNIST's crop-scale-centre
    digit_from_sketch(value) gr.Sketchpad dict -> (28, 28) digit, centred like MNIST
    mask_from_editor(value)  gr.ImageEditor dict -> (28, 28) observed-pixel mask, or None if nothing drawn

Uploads and drawings go through the same MNIST preprocessing (``center_like_mnist``): crop to
the ink, scale the longer side to 20 px (area averaging; bilinear for a smaller crop),
paste into 28 x 28 with the centre of mass in the middle. Before that an upload is turned
grey (colour averaged; alpha composited over black, or over white when the opaque pixels are
dark, so a transparent canvas is always background) and cleaned (``find_ink``):

* background: a plane (level + linear illumination gradient) fitted to the outer frame of
  pixels (``min(H, W) // 50`` wide, at least 1), refitted once without outliers, so a digit
  touching the edge does not move it; the noise level is the robust spread (1.4826 MAD) of
  the frame around that plane;
* polarity: the ink is whichever side of the background reaches farther. A dark digit on
  light paper is inverted; a bright digit on black is not, however much of the image it
  fills (the rule never looks at the global mean);
* noise: the background is subtracted and pixels below ``max(REL_THRESHOLD * top,
  NOISE_K * noise)`` (``top``: the brightest ink) are set to 0; the result is rescaled so
  the ink's top is 1.

Refused with ``ValueError``: no digit (ink contrast below ``MIN_CONTRAST`` or within the
noise), ink too small (fewer than ``MIN_INK_PIXELS`` pixels or a span below
``MIN_INK_SPAN`` px / 1/32 of the image), values that are not finite or far outside
[0, 1] / [0, 255], and images smaller than ``MIN_SIDE`` or larger than ``MAX_SIDE``.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

MAX_SIDE = 4096          # larger uploads are refused (a 10k x 10k PNG is 400 MB of pixels)
MIN_SIDE = 8             # smaller ones hold no digit
SIZE = 28                # MNIST's canvas
BOX = 20                 # MNIST's digit box: the ink's longer side
FLOAT_SLACK = 1.5        # floats: max <= 1.5 reads as [0, 1], <= 1.5 * 255 as [0, 255]
MIN_CONTRAST = 0.1       # ink must differ from the background by 10 % of full scale ...
NOISE_K = 7.0            # ... and by 7 noise standard deviations; ink is above this too
REL_THRESHOLD = 0.02     # ... and above 2 % of the brightest ink (JPEG ringing)
MIN_INK_PIXELS = 8       # fewer ink pixels are a speck, not a digit
MIN_INK_SPAN = 4         # the ink's longer side: at least 4 px and 1/32 of the image's


def _check_array(img, name: str) -> np.ndarray:
    """Any array-like -> ndarray (H, W) or (H, W, 1/3/4) of numbers, sides within bounds."""
    if img is None:
        raise ValueError(f"no {name}: pick a test digit, draw one or upload an image")
    a = np.asarray(img)
    if a.dtype == object or a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)):
        raise ValueError(f"{name} must be an H x W grey or H x W x 3/4 colour image, got shape {a.shape}")
    if a.dtype.kind not in "buif":
        raise ValueError(f"{name} must hold numbers, got dtype {a.dtype}")
    if min(a.shape[:2]) < MIN_SIDE or max(a.shape[:2]) > MAX_SIDE:
        raise ValueError(f"{name} must be between {MIN_SIDE} and {MAX_SIDE} pixels per side, "
                         f"got {a.shape[:2]}")
    return a


def _unit(a: np.ndarray, name: str) -> np.ndarray:
    """Scale by dtype to float32 in [0, 1] (same shape): bool as 0 / 1; integers / 255, or
    / 65535 when above 255; floats as given when their max is at most ``FLOAT_SLACK``, else
    / 255. Small overshoots are clipped; values far outside the range are refused."""
    if a.dtype == np.bool_:
        return a.astype(np.float32)
    if np.issubdtype(a.dtype, np.integer):
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi > 65535:
            bad = f"min {lo}" if lo < 0 else f"max {hi}"
            raise ValueError(f"{name} values must lie in [0, 255] or [0, 65535], got {bad}")
        return a.astype(np.float32) / (65535.0 if hi > 255 else 255.0)
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    lo, hi = float(a.min()), float(a.max())
    top = 1.0 if hi <= FLOAT_SLACK else 255.0
    if hi > FLOAT_SLACK * top or lo < (1 - FLOAT_SLACK) * top:
        bad = f"max {hi:g}" if hi > FLOAT_SLACK * top else f"min {lo:g}"
        raise ValueError(f"{name} values must lie in [0, 1] or [0, 255], got {bad}")
    return np.clip(a.astype(np.float32) / np.float32(top), 0, 1)


def _grey(a: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, 1/3/4) in [0, 1] -> (H, W): colour is averaged; alpha composites over
    black, or over white when the opaque pixels are dark (dark strokes on a transparent
    canvas), so transparent pixels always read as background."""
    if a.ndim == 2 or a.shape[2] == 1:
        return a.reshape(a.shape[:2])
    g = a[..., :3].mean(axis=2)
    if a.shape[2] == 3:
        return g
    alpha = a[..., 3]
    under = 1.0 if float((g * alpha).sum()) < 0.5 * float(alpha.sum()) else 0.0
    return g * alpha + under * (1.0 - alpha)


def _background(a: np.ndarray) -> tuple[np.ndarray, float]:
    """(H, W) -> the background plane (H, W) fitted to the outer frame of pixels, and the
    noise level (robust std of the frame around it). One refit drops frame pixels more than
    3 noise levels off, e.g. where the digit touches the edge."""
    h, w = a.shape
    k = max(1, min(h, w) // 50)
    frame = np.ones((h, w), bool)
    frame[k:h - k, k:w - k] = False
    ys, xs = np.nonzero(frame)
    design = np.stack([np.ones(len(ys)), ys / h, xs / w], axis=1)
    v, keep = a[frame].astype(np.float64), np.ones(len(ys), bool)
    for _ in range(2):
        coef = np.linalg.lstsq(design[keep], v[keep], rcond=None)[0]
        r = v - design @ coef
        noise = 1.4826 * float(np.median(np.abs(r[keep])))
        keep = np.abs(r) <= 3 * noise + 1e-6
    plane = coef[0] + coef[1] * np.arange(h)[:, None] / h + coef[2] * np.arange(w)[None, :] / w
    return plane.astype(np.float32), noise


def find_ink(a: np.ndarray, name: str = "image") -> np.ndarray:
    """Grey (H, W) in [0, 1] -> ink (H, W) in [0, 1]: background 0, brightest ink 1, dark
    ink on light paper inverted, noise below the threshold zeroed (rules: module docstring).
    ``ValueError`` when no ink stands out of the background and its noise."""
    plane, noise = _background(a)
    r = a - plane
    if -float(r.min()) > float(r.max()):        # dark ink on light paper: invert
        r = -r
    top = float(r.max())
    if top < max(MIN_CONTRAST, NOISE_K * noise):
        raise ValueError(f"no digit found in the {name}: it is blank or uniform "
                         f"(ink contrast {top:.2f}, noise {noise:.2f})")
    r = np.where(r > max(REL_THRESHOLD * top, NOISE_K * noise), r / top, 0)
    return np.clip(r, 0, 1).astype(np.float32)


def as_digit(img, name: str = "image") -> np.ndarray:
    """A user image -> (28, 28) float32 in [0, 1], white digit on black (MNIST's convention).

    Any H x W or H x W x 1/3/4 array (uint8, uint16, bool, float): colour is averaged to
    grey, alpha composited (``_grey``), the background and noise removed and a dark digit on
    paper inverted (``find_ink``), then cropped, scaled and centred like MNIST
    (``center_like_mnist``). ``ValueError`` for None, wrong shapes, huge images, NaNs, values
    out of range, images with no digit and ink too small to be one.
    """
    return center_like_mnist(find_ink(_grey(_unit(_check_array(img, name), name)), name), name)


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


def painted(value) -> np.ndarray | None:
    """The painted pixels of an editor value -> bool (H, W), or None if nothing is painted."""
    drawn = _drawn(value)
    return drawn if drawn is not None and drawn.any() else None


def mask_from_editor(value, threshold: float = 0.25) -> np.ndarray | None:
    """Image-editor value -> observed-pixel mask (28, 28) float32, 1 = observed, 0 = hidden
    (the painted region); a 28 x 28 cell is hidden when more than ``threshold`` of it is
    painted. None when nothing is painted."""
    drawn = _drawn(value)
    if drawn is None or not drawn.any():
        return None
    cover = Image.fromarray(drawn.astype(np.float32), mode="F").resize((SIZE, SIZE), Image.BOX)
    return (np.asarray(cover) <= threshold).astype(np.float32)


def _crop_to_ink(a: np.ndarray, name: str) -> np.ndarray:
    """(H, W) -> the bounding box (h, w) of its nonzero pixels; ``ValueError`` when there is
    none, or when the ink is a speck (fewer than ``MIN_INK_PIXELS``, or a longer side below
    ``MIN_INK_SPAN`` px or 1/32 of the image's longer side)."""
    ys, xs = np.nonzero(a > 0)
    if len(ys) == 0:
        raise ValueError(f"the {name} is empty: draw a digit first")
    h, w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    if len(ys) < MIN_INK_PIXELS or max(h, w) < max(MIN_INK_SPAN, max(a.shape) / 32):
        raise ValueError(f"the ink in the {name} is too small for a digit ({len(ys)} px in a "
                         f"{h} x {w} box of {a.shape[0]} x {a.shape[1]}); crop closer to the digit")
    return a[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32)


def _scale_longer_side(crop: np.ndarray, side: int = BOX) -> np.ndarray:
    """(h, w) -> (h', w') with the longer side ``side`` and the aspect ratio kept: area
    averaging when shrinking, bilinear when enlarging, untouched when already that size."""
    s = side / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * s)), max(1, round(crop.shape[1] * s))
    if (h, w) == crop.shape:
        return crop
    resample = Image.BOX if s < 1 else Image.BILINEAR
    return np.asarray(Image.fromarray(crop, mode="F").resize((w, h), resample))


def _paste_centred(crop: np.ndarray) -> np.ndarray:
    """(h, w) with h, w <= 28 -> (28, 28) with the crop's centre of mass at (14, 14) (to the
    nearest pixel; kept inside the canvas), scaled so its maximum is 1."""
    h, w = crop.shape
    total = float(crop.sum())
    cy = (crop.sum(1) @ np.arange(h)) / total if total > 0 else h / 2
    cx = (crop.sum(0) @ np.arange(w)) / total if total > 0 else w / 2
    top = int(np.clip(round(SIZE / 2 - cy), 0, SIZE - h))
    left = int(np.clip(round(SIZE / 2 - cx), 0, SIZE - w))
    out = np.zeros((SIZE, SIZE), np.float32)
    out[top:top + h, left:left + w] = crop
    return np.clip(out / max(float(out.max()), 1e-6), 0, 1)


def center_like_mnist(a: np.ndarray, name: str = "drawing") -> np.ndarray:
    """MNIST's preprocessing, for drawings and uploads alike: ink (H, W) >= 0 on a zero
    background -> (28, 28) float32 in [0, 1]: crop to the ink, scale the longer side to 20 px
    (area averaging), paste with the centre of mass in the middle, maximum 1. An MNIST digit
    comes back as it was, up to the rounding of its centre."""
    return _paste_centred(_scale_longer_side(_crop_to_ink(np.asarray(a, np.float32), name)))


def digit_from_sketch(value) -> np.ndarray:
    """Sketchpad value (strokes in its first layer) -> a centred (28, 28) digit in [0, 1]."""
    drawn = _drawn(value)
    if drawn is None or not drawn.any():
        raise ValueError("the drawing is empty: draw a digit first")
    return center_like_mnist(drawn.astype(np.float32))

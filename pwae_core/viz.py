"""Pictures from tensors with numpy + PIL only: upscaling, heatmaps, grids, labelled rows."""
from __future__ import annotations

import base64
import io

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

# viridis anchors (matplotlib's), interpolated linearly
_VIRIDIS = np.array([[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
                     [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44],
                     [253, 231, 37]], np.float64)


def to_numpy(img) -> np.ndarray:
    """(1, H, W) / (H, W) tensor or array -> (H, W) float64."""
    a = img.detach().cpu().numpy() if torch.is_tensor(img) else np.asarray(img)
    return a.reshape(a.shape[-2:]).astype(np.float64)


def gray(img, scale: int = 4) -> np.ndarray:
    """Grey image in [0, 1] -> (H*scale, W*scale, 3) uint8, nearest-neighbour upscaled."""
    a = np.clip(to_numpy(img), 0, 1)
    a = np.kron(a, np.ones((scale, scale)))
    return np.repeat((a * 255).round().astype(np.uint8)[..., None], 3, axis=2)


def heatmap(img, vmax: float | None = None, scale: int = 4) -> np.ndarray:
    """Viridis colour map of a non-negative map (e.g. a std map) -> (H*s, W*s, 3) uint8."""
    a = to_numpy(img)
    vmax = float(vmax if vmax is not None else max(a.max(), 1e-8))
    t = np.clip(a / vmax, 0, 1) * (len(_VIRIDIS) - 1)
    lo = np.floor(t).astype(int).clip(0, len(_VIRIDIS) - 2)
    rgb = _VIRIDIS[lo] + (t - lo)[..., None] * (_VIRIDIS[lo + 1] - _VIRIDIS[lo])
    return np.kron(rgb, np.ones((scale, scale, 1))).round().astype(np.uint8)


def colorbar(vmax: float, height: int = 112, width: int = 14) -> np.ndarray:
    """A vertical viridis scale bar (top = vmax, bottom = 0) -> (height, width, 3) uint8."""
    ramp = np.linspace(vmax, 0, height)[:, None].repeat(width, 1)
    return heatmap(ramp, vmax=vmax, scale=1)


def row(tiles, pad: int = 2, fill: int = 255) -> np.ndarray:
    """Concatenate (h, w, 3) uint8 tiles side by side with white padding."""
    h = max(t.shape[0] for t in tiles)
    out = []
    for t in tiles:
        t = np.pad(t, ((0, h - t.shape[0]), (0, pad), (0, 0)), constant_values=fill)
        out.append(t)
    return np.concatenate(out, axis=1)


def grid(images, cols: int = 8, scale: int = 2) -> np.ndarray:
    """(N, 1, H, W) grey images -> one (rows*H*s, cols*W*s, 3) uint8 mosaic."""
    tiles = [gray(im, scale) for im in images]
    blank = np.full_like(tiles[0], 255)
    rows = [row((tiles[i:i + cols] + [blank] * cols)[:cols]) for i in range(0, len(tiles), cols)]
    return np.concatenate(rows, axis=0)


def labelled_rows(rows: list[tuple[str, np.ndarray]], label_width: int = 110) -> Image.Image:
    """Stack (label, (h, w, 3) uint8) rows with a text label on the left -> PIL image."""
    width = max(r.shape[1] for _, r in rows) + label_width
    height = sum(r.shape[0] + 4 for _, r in rows)
    canvas = Image.new("RGB", (width, height), "white")
    draw, y = ImageDraw.Draw(canvas), 0
    for label, r in rows:
        canvas.paste(Image.fromarray(r), (label_width, y))
        draw.text((4, y + r.shape[0] // 2 - 6), label, fill="black")
        y += r.shape[0] + 4
    return canvas


def labelled_colorbar(vmax: float, height: int = 224, width: int = 16, label_width: int = 44) -> np.ndarray:
    """A vertical viridis scale bar with its values written beside it (vmax, vmax / 2, 0)
    -> (height, width + label_width, 3) uint8."""
    canvas = Image.new("RGB", (width + label_width, height), "white")
    canvas.paste(Image.fromarray(colorbar(vmax, height, width)), (0, 0))
    draw, font = ImageDraw.Draw(canvas), ImageFont.load_default(size=13)
    for frac, y in ((1.0, 0), (0.5, height // 2 - 7), (0.0, height - 14)):
        draw.text((width + 3, y), f"{vmax * frac:.2f}", fill="black", font=font)
    return np.asarray(canvas)


def grey_mosaic(images, cols: int = 8, gap: int = 1) -> np.ndarray:
    """(N, 1, H, W) images in [0, 1] -> one grey (rows (H + gap), cols (W + gap)) uint8
    mosaic at 1x with white gaps (the browser scales it up, pixelated)."""
    a = (np.clip(to_numpy_batch(images), 0, 1) * 255).round().astype(np.uint8)   # (N, H, W)
    N, H, W = a.shape
    rows = -(-N // cols)
    tiles = np.full((rows * cols, H + gap, W + gap), 255, np.uint8)
    tiles[:N, :H, :W] = a
    return tiles.reshape(rows, cols, H + gap, W + gap).transpose(0, 2, 1, 3).reshape(
        rows * (H + gap), cols * (W + gap))                                        # (R (H+g), C (W+g))


def to_numpy_batch(images) -> np.ndarray:
    """(N, 1, H, W) or (N, H, W) tensor or array -> (N, H, W) float64."""
    a = images.detach().cpu().numpy() if torch.is_tensor(images) else np.asarray(images)
    return a.reshape(a.shape[0], *a.shape[-2:]).astype(np.float64)


def png_data_uri(pixels: np.ndarray) -> str:
    """(H, W, 3) or (H, W) uint8 -> a "data:image/png;base64,..." URI for HTML (fast,
    light compression)."""
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")

"""Synthetic colour faces in exactly the CelebA layout: the offline data set and test fixture
for face translation (not smiling <-> smiling) where each test face's true counterpart is known.

``draw_identity(rng)`` draws an ``Identity`` (face shape and position, skin, hair colour,
volume, length and fringe, eyes, glasses, mouth size, background and shirt colours);
``render(identity, smiling)`` draws it as a clean frontal cartoon on CelebA's 178 x 218
frame with PIL's ImageDraw at ``SUPERSAMPLE`` x the size, then averages each 4 x 4 block
(``Image.reduce``, 16-sample anti-aliasing: a LANCZOS shrink cost 22 ms an image, four times
all the drawing). The attribute is the mouth and nothing else: smiling is an open crescent
with raised corners (dark inside, a band of teeth), not smiling a closed line with corners
slightly down; ``render(id, True)`` equals ``render(id, False)`` outside ``mouth_box(id)``.

The face sits where CelebA's aligned faces do. In the 64 x 64 ``celeba.crop_face`` (the
central 140 x 140, shrunk) the oval spans x 13-51 (29-36 px wide, median 32) and y 11-56
(37-42 px high, median 39: 57-66 % of the frame); the eye line is at y 26-30 (median 28,
44 %), the mouth line at y 42-47 (median 44, 69 %); hair reaches up to y 3-13, the neck
fills the bottom rows, the corners are background.

``write_celeba(root, n_train, n_valid, n_test, seed)`` writes ``img_align_celeba/000001.jpg
...`` (JPEG quality ``JPEG_QUALITY`` over mild pixel noise), ``list_attr_celeba.txt`` with
real CelebA names (``ATTRIBUTES``: ``Smiling`` and ``Mouth_Slightly_Open`` from the mouth,
``Eyeglasses``, ``Pale_Skin`` and hair colours from the identity) and
``list_eval_partition.txt``. Train and valid identities appear once, smiling or not at
random, so the two training domains are unpaired and disjoint; test identities appear twice
(not smiling, then smiling), each image the other's ``partner``. The sidecar ``SIDECAR``
(CSV: ``COLUMNS``, then ``FEATURES``) is read back by ``read_pairs``. The same seed gives
byte-identical lists and identical images. Speed: the default 6,000 images (5,000 train,
500 valid, 250 test pairs) took 34 s of CPU on one core (5.7 ms each: 3.5 drawing, 2.2 noise,
JPEG and file; 52 s wall on a 2-core machine shared with other work).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from tqdm.auto import tqdm

from .celeba import ATTR_FILE, IMAGE_DIR, PARTITION_FILE, SPLITS

WIDTH, HEIGHT = 178, 218      # CelebA's aligned frame; all geometry is in its pixels
SUPERSAMPLE = 4               # drawn at 4 x, then each 4 x 4 block averaged
FACE_CENTRE = (89.0, 112.0)   # oval centre before the identity's offset: 52 % down the crop
SHIRT = (246.0, 82.0, 50.0)   # (cy, rx, ry) of the shoulders, below the crop
SMILE_WIDEN = 1.1             # the smile is this much wider than the closed mouth,
SMILE_DEPTH = 0.7             # opens this deep (times the closed mouth's half-width)
SMILE_LIFT = 2.5              # and raises its corners by this many px
MOUTH_INSIDE, TEETH = (52, 14, 22), (244, 240, 230)
MOUTH_PAD = 2.5               # px around the mouth's outline: line widths and rounding
JPEG_QUALITY = 90
NOISE = 3                     # pixel noise before the JPEG: uniform integers in +-3 (std 2)
SIDECAR = "synthetic_faces.csv"
COLUMNS = ("file", "identity", "split", "smiling", "partner")    # then the FEATURES
ATTRIBUTES = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Eyeglasses", "Gray_Hair",
              "Mouth_Slightly_Open", "Pale_Skin", "Smiling")
HAIR = {"black": (28, 22, 20), "dark_brown": (62, 40, 28), "brown": (112, 74, 44),
        "blond": (214, 178, 112), "red": (160, 72, 38), "grey": (168, 166, 160)}
HAIR_ODDS = (0.25, 0.25, 0.2, 0.15, 0.07, 0.08)
HAIR_COLUMN = {"black": "Black_Hair", "dark_brown": "Brown_Hair", "brown": "Brown_Hair",
               "blond": "Blond_Hair", "grey": "Gray_Hair"}          # red has no column
IRIS = ((92, 56, 30), (60, 40, 25), (70, 110, 160), (80, 120, 80), (120, 100, 60), (110, 120, 130))
SKIN_LIGHT, SKIN_DARK = (250, 222, 196), (98, 64, 44)   # ends of the skin-tone range
PALE_SKIN = 0.15              # skin tone (0 light .. 1 dark) below this is Pale_Skin
GLASSES = 0.3                 # share of identities with glasses
FEATURES = ("face_width", "face_height", "jaw", "offset_x", "offset_y",
            "skin_r", "skin_g", "skin_b", "hair_r", "hair_g", "hair_b",
            "hair_volume", "hair_length", "hairline", "hair_part",
            "eye_height", "eye_spacing", "eye_size", "iris_r", "iris_g", "iris_b", "glasses",
            "mouth_width", "mouth_height", "background_r", "background_g", "background_b",
            "shirt_r", "shirt_g", "shirt_b")


@dataclass(frozen=True)
class Identity:
    """Everything about a face but its expression. Lengths in pixels of the 178 x 218
    frame, colours RGB 0-255 (skin, hair, iris, background, shirt); ``features()`` is the
    float vector in the order of ``FEATURES`` (colours as three channels, glasses 0 / 1).

    face_width, face_height : half-axes of the face oval (32-39, 40-46 px)
    jaw : how much the oval narrows towards the chin (0.05-0.2)
    offset_x, offset_y : shift of the face from ``FACE_CENTRE`` (up to 2.5 px)
    hair_volume : how far the hair reaches beyond the face (4-16 px)
    hair_length : 0 hair ends at the ears .. 1 it falls past the chin
    hairline, hair_part : the fringe's lower edge above the oval's centre (0.5-0.8 of
        face_height) and its sideways shift (up to 0.25 of face_width)
    eye_height, eye_spacing : the eyes above the oval's centre (0.24-0.32 of face_height)
        and from the midline (0.36-0.46 of face_width); eye_size their half-width (5-7 px)
    mouth_width, mouth_height : the closed mouth's half-width (0.34-0.44 of face_width)
        and its line below the oval's centre (0.52-0.6 of face_height)
    """
    face_width: float
    face_height: float
    jaw: float
    offset_x: float
    offset_y: float
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    hair_volume: float
    hair_length: float
    hairline: float
    hair_part: float
    eye_height: float
    eye_spacing: float
    eye_size: float
    iris: tuple[int, int, int]
    glasses: bool
    mouth_width: float
    mouth_height: float
    background: tuple[int, int, int]
    shirt: tuple[int, int, int]

    def features(self) -> np.ndarray:
        """float64 (len(FEATURES),): the fields in order, colours as three channels."""
        flat = []
        for f in fields(self):
            v = getattr(self, f.name)
            flat.extend(v if isinstance(v, tuple) else (float(v),))
        return np.array(flat, dtype=np.float64)

    @classmethod
    def from_features(cls, v) -> Identity:
        """The inverse of ``features`` (e.g. a row of ``read_pairs(root).features``)."""
        v, out, k = [float(x) for x in v], {}, 0
        if len(v) != len(FEATURES):
            raise ValueError(f"expected {len(FEATURES)} features ({', '.join(FEATURES[:3])}, "
                             f"...), got {len(v)}")
        for f in fields(cls):
            n = 3 if f.type.startswith("tuple") else 1
            out[f.name] = tuple(int(round(x)) for x in v[k:k + 3]) if n == 3 else v[k]
            k += n
        out["glasses"] = bool(out["glasses"])
        return cls(**out)


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return round(float(rng.uniform(lo, hi)), 3)


def _rgb(c) -> tuple[int, int, int]:
    return tuple(min(255, max(0, int(round(float(x))))) for x in c)


def _mix(a, b, t: float) -> tuple[int, int, int]:
    """Colour a * (1 - t) + b * t."""
    return _rgb(np.asarray(a, float) * (1 - t) + np.asarray(b, float) * t)


def _jitter(rng: np.random.Generator, colour, amount: int) -> tuple[int, int, int]:
    return _rgb(np.asarray(colour) + rng.integers(-amount, amount + 1, 3))


def draw_identity(rng: np.random.Generator) -> Identity:
    """A random identity (ranges in ``Identity``'s docstring): skin tones evenly between
    ``SKIN_LIGHT`` and ``SKIN_DARK``, hair colours ``HAIR`` (odds ``HAIR_ODDS``), glasses
    for ``GLASSES`` of them."""
    tone, warmth = rng.uniform(0, 1), rng.uniform(-8, 8)
    skin = _rgb(np.asarray(_mix(SKIN_LIGHT, SKIN_DARK, tone)) + [warmth, 0, -warmth])
    kind = rng.choice(len(HAIR), p=HAIR_ODDS)
    return Identity(
        face_width=_u(rng, 32, 39), face_height=_u(rng, 40, 46), jaw=_u(rng, 0.05, 0.2),
        offset_x=_u(rng, -2.5, 2.5), offset_y=_u(rng, -2.5, 2.5), skin=skin,
        hair=_jitter(rng, list(HAIR.values())[kind], 8), hair_volume=_u(rng, 4, 16),
        hair_length=_u(rng, 0, 1), hairline=_u(rng, 0.5, 0.8), hair_part=_u(rng, -0.25, 0.25),
        eye_height=_u(rng, 0.24, 0.32), eye_spacing=_u(rng, 0.36, 0.46),
        eye_size=_u(rng, 5, 7), iris=_jitter(rng, IRIS[rng.integers(len(IRIS))], 10),
        glasses=bool(rng.random() < GLASSES), mouth_width=_u(rng, 0.34, 0.44),
        mouth_height=_u(rng, 0.52, 0.6), background=_rgb(rng.uniform(40, 225, 3)),
        shirt=_rgb(rng.uniform(20, 230, 3)))


class _Pen:
    """ImageDraw on a canvas SUPERSAMPLE x ``size``, taking coordinates and widths in
    pixels of the 178 x 218 frame (stretched to ``size`` when its aspect differs)."""

    def __init__(self, size: tuple[int, int], background):
        self.kx = SUPERSAMPLE * size[0] / WIDTH
        self.ky = SUPERSAMPLE * size[1] / HEIGHT
        self.image = Image.new("RGB", (SUPERSAMPLE * size[0], SUPERSAMPLE * size[1]), background)
        self.draw = ImageDraw.Draw(self.image)

    def _xy(self, points) -> list[tuple[float, float]]:
        return [(x * self.kx, y * self.ky) for x, y in points]

    def _w(self, width: float) -> int:
        return max(1, round(width * (self.kx + self.ky) / 2))

    def ellipse(self, cx, cy, rx, ry, fill=None, outline=None, width=1.0):
        self.draw.ellipse(self._xy([(cx - rx, cy - ry), (cx + rx, cy + ry)]), fill=fill,
                          outline=outline, width=self._w(width))

    def chord(self, cx, cy, rx, ry, start, end, fill):
        """The ellipse's part cut off by the line between angles ``start`` and ``end``
        (degrees, clockwise from 3 o'clock, as PIL's; a polygon, since PIL's own chord
        misdraws some fractional angles)."""
        t = np.radians(np.linspace(start, end, 48))
        self.polygon(list(zip((cx + rx * np.cos(t)).tolist(), (cy + ry * np.sin(t)).tolist())), fill)

    def box(self, x0, y0, x1, y1, fill=None, outline=None, width=1.0, radius=0.0):
        self.draw.rounded_rectangle(self._xy([(x0, y0), (x1, y1)]), radius=radius * self.kx,
                                    fill=fill, outline=outline, width=self._w(width))

    def polygon(self, points, fill):
        self.draw.polygon(self._xy(points), fill=fill)

    def line(self, points, fill, width):
        self.draw.line(self._xy(points), fill=fill, width=self._w(width))


def _shade(colour, k: float) -> tuple[int, int, int]:
    return _rgb(np.asarray(colour, float) * k)


def _centre(ident: Identity) -> tuple[float, float]:
    return FACE_CENTRE[0] + ident.offset_x, FACE_CENTRE[1] + ident.offset_y


def _oval(ident: Identity, n: int = 72) -> list[tuple[float, float]]:
    """The face outline: an ellipse narrowed towards the chin by ``jaw``."""
    cx, cy = _centre(ident)
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    narrow = 1 - ident.jaw * np.clip(np.sin(t), 0, None) ** 2
    x = cx + ident.face_width * np.cos(t) * narrow
    return list(zip(x.tolist(), (cy + ident.face_height * np.sin(t)).tolist()))


def _hair_ellipse(ident: Identity) -> tuple[float, float, float, float]:
    """(cx, cy, rx, ry) of the hair's outline: the face's, grown by hair_volume, raised."""
    cx, cy = _centre(ident)
    ry = ident.face_height
    return cx, cy - 0.15 * ry, ident.face_width + ident.hair_volume, 0.9 * ry + ident.hair_volume


def _draw_back(pen: _Pen, ident: Identity):
    """Shirt, the hair behind the head (its length as side curtains), neck and ears."""
    cx, cy = _centre(ident)
    pen.ellipse(cx, *SHIRT, fill=ident.shirt)
    hx, hy, hrx, hry = _hair_ellipse(ident)
    pen.chord(hx, hy, hrx, hry, 180, 360, fill=ident.hair)
    bottom = cy + (1.5 * ident.hair_length - 0.2) * ident.face_height
    ear_y = cy - (ident.eye_height - 0.12) * ident.face_height
    for side in (-1, 1):
        pen.ellipse(cx + side * 0.97 * ident.face_width, ear_y, 4.5, 8, fill=_shade(ident.skin, 0.9))
    if bottom > hy:
        pen.box(hx - hrx, hy - 1, hx + hrx, bottom, fill=ident.hair,
                radius=min(ident.hair_volume + 4, (bottom - hy) / 2))
    pen.box(cx - 0.45 * ident.face_width, cy, cx + 0.45 * ident.face_width, SHIRT[0] - SHIRT[2] + 2,
            fill=_shade(ident.skin, 0.85))


def _draw_fringe(pen: _Pen, ident: Identity):
    """Hair over the forehead: the hair outline above a line, with a rounded lower edge."""
    cx, cy = _centre(ident)
    hx, hy, hrx, hry = _hair_ellipse(ident)
    bottom = cy - ident.hairline * ident.face_height
    depth = 0.12 * ident.face_height
    s = np.degrees(np.arcsin(np.clip((bottom - depth - hy) / hry, -1, 1)))
    pen.chord(hx, hy, hrx, hry, 180 - s, 360 + s, fill=ident.hair)
    half = ident.face_width * np.sqrt(1 - ident.hairline ** 2) * 0.95
    shift = ident.hair_part * ident.face_width
    pen.ellipse(cx + shift, bottom - depth, half - abs(shift), depth, fill=ident.hair)


def _eyes(ident: Identity) -> tuple[float, float, float]:
    """(left eye x, right eye x, eye y)."""
    cx, cy = _centre(ident)
    dx = ident.eye_spacing * ident.face_width
    return cx - dx, cx + dx, cy - ident.eye_height * ident.face_height


def _draw_eyes(pen: _Pen, ident: Identity):
    """Eye whites, irises, pupils and highlights, upper lids and eyebrows."""
    *xs, ey = _eyes(ident)
    es, dark = ident.eye_size, _shade(ident.skin, 0.35)
    brow = _mix(ident.hair, (40, 30, 25), 0.45)
    for side, ex in zip((-1, 1), xs):
        pen.ellipse(ex, ey, es, 0.6 * es, fill=(246, 244, 238), outline=dark, width=0.8)
        pen.ellipse(ex, ey, 0.55 * es, 0.55 * es, fill=ident.iris)
        pen.ellipse(ex, ey, 0.25 * es, 0.25 * es, fill=(18, 14, 14))
        pen.ellipse(ex - 0.2 * es, ey - 0.2 * es, 0.12 * es, 0.12 * es, fill=(255, 255, 255))
        pen.line([(ex - es, ey), (ex - 0.5 * es, ey - 0.55 * es), (ex + 0.5 * es, ey - 0.55 * es),
                  (ex + es, ey)], fill=dark, width=1.3)
        b = ey - 0.6 * es - 4.0
        pen.line([(ex - side * 1.2 * es, b + 1.2), (ex - side * 0.3 * es, b - 0.7),
                  (ex + side * 0.5 * es, b - 0.5), (ex + side * 1.25 * es, b + 0.9)],
                 fill=brow, width=2.0)


def _draw_glasses(pen: _Pen, ident: Identity):
    """Two rounded frames, a bridge and the temples reaching the face's sides."""
    *xs, ey = _eyes(ident)
    cx, _ = _centre(ident)
    half = min(1.5 * ident.eye_size, xs[1] - cx - 1.5)
    frame = (34, 30, 30)
    for side, ex in zip((-1, 1), xs):
        pen.box(ex - half, ey - 1.1 * ident.eye_size, ex + half, ey + 1.1 * ident.eye_size,
                outline=frame, width=1.3, radius=0.5 * ident.eye_size)
        pen.line([(ex + side * half, ey - 0.4 * ident.eye_size),
                  (cx + side * 0.98 * ident.face_width, ey - 0.6 * ident.eye_size)],
                 fill=frame, width=1.2)
    pen.line([(xs[0] + half, ey - 0.4 * ident.eye_size), (cx, ey - 0.7 * ident.eye_size),
              (xs[1] - half, ey - 0.4 * ident.eye_size)], fill=frame, width=1.2)


def _draw_nose(pen: _Pen, ident: Identity):
    """A shadow down the bridge and the curve under the tip."""
    cx, _ = _centre(ident)
    *_, ey = _eyes(ident)
    ny = ey + 0.6 * (_mouth_line(ident)[1] - ey)
    pen.line([(cx + 1.5, ey + 4), (cx + 2.5, ny - 2)], fill=_shade(ident.skin, 0.86), width=1.2)
    pen.line([(cx - 3.5, ny - 1.2), (cx - 1.5, ny + 0.8), (cx + 1.5, ny + 0.8), (cx + 3.5, ny - 1.2)],
             fill=_shade(ident.skin, 0.7), width=1.4)


def _mouth_line(ident: Identity) -> tuple[float, float, float]:
    """(centre x, y of the closed mouth, half-width)."""
    cx, cy = _centre(ident)
    return cx, cy + ident.mouth_height * ident.face_height, ident.mouth_width * ident.face_width


def _draw_mouth(pen: _Pen, ident: Identity, smiling: bool):
    """Smiling: an open crescent (dark inside, teeth along the top, lips around), corners
    raised; not smiling: a closed line, corners slightly down."""
    mx, my, w = _mouth_line(ident)
    lip = _mix(_shade(ident.skin, 0.65), (140, 35, 45), 0.5)
    u = np.linspace(-1, 1, 17)
    if not smiling:
        pen.line(list(zip(mx + 0.9 * w * u, my + 0.9 * u ** 2)), fill=lip, width=2.6)
        return
    w, h = SMILE_WIDEN * w, SMILE_DEPTH * w
    top = my - SMILE_LIFT * u ** 2
    edge = list(zip(mx + w * u, top)) + list(zip(mx - w * u, top + h * (1 - u ** 2)))
    pen.polygon(edge, fill=MOUTH_INSIDE)
    pen.polygon(list(zip(mx + w * u, top)) + list(zip(mx - w * u, top + 0.35 * h * (1 - u ** 2))),
                fill=TEETH)
    pen.line(edge + edge[:1], fill=lip, width=1.6)


def mouth_box(ident: Identity, size: tuple[int, int] = (WIDTH, HEIGHT)) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) pixel box of ``render(ident, ..., size)`` holding every
    pixel where the smiling and the not-smiling faces differ (drawing and filter margin)."""
    mx, my, w = _mouth_line(ident)
    x0, x1 = mx - SMILE_WIDEN * w - MOUTH_PAD, mx + SMILE_WIDEN * w + MOUTH_PAD
    y0, y1 = my - SMILE_LIFT - MOUTH_PAD, my + SMILE_DEPTH * w + MOUTH_PAD
    kx, ky = size[0] / WIDTH, size[1] / HEIGHT
    return (max(0, int(x0 * kx)), max(0, int(y0 * ky)),
            min(size[0], int(np.ceil(x1 * kx))), min(size[1], int(np.ceil(y1 * ky))))


def render(ident: Identity, smiling: bool, size: tuple[int, int] = (WIDTH, HEIGHT)) -> Image.Image:
    """The face, RGB ``size`` (width, height; CelebA's 178 x 218 by default, other sizes
    stretch the layout), drawn at ``SUPERSAMPLE`` x and area-averaged down. Deterministic:
    no noise (``write_celeba`` adds it)."""
    if len(size) != 2 or min(size) < 8:
        raise ValueError(f"size must be (width, height) of at least 8 px each, got {size}")
    pen = _Pen(size, ident.background)
    _draw_back(pen, ident)
    pen.polygon(_oval(ident), fill=ident.skin)
    _draw_fringe(pen, ident)
    _draw_eyes(pen, ident)
    if ident.glasses:
        _draw_glasses(pen, ident)
    _draw_nose(pen, ident)
    _draw_mouth(pen, ident, smiling)
    return pen.image.reduce(SUPERSAMPLE)


def _attributes(ident: Identity, smiling: bool) -> list[int]:
    """The ``ATTRIBUTES`` row (1 / -1): hair column from the nearest ``HAIR`` colour (red has
    none), Pale_Skin from the skin tone, Mouth_Slightly_Open and Smiling from the mouth."""
    kinds = list(HAIR)
    dist = [np.sum((np.asarray(c) - ident.hair) ** 2) for c in HAIR.values()]
    hair = HAIR_COLUMN.get(kinds[int(np.argmin(dist))])
    light, dark = np.asarray(SKIN_LIGHT, float), np.asarray(SKIN_DARK, float)
    tone = (light - ident.skin) @ (light - dark) / ((light - dark) @ (light - dark))
    on = {hair, "Eyeglasses" if ident.glasses else None, "Pale_Skin" if tone < PALE_SKIN else None}
    on |= {"Mouth_Slightly_Open", "Smiling"} if smiling else set()
    return [1 if a in on else -1 for a in ATTRIBUTES]


def _plan(n_train: int, n_valid: int, n_test: int, seed: int) -> list[tuple]:
    """One (identity number, Identity, split, smiling, partner file) per image, in file
    order: train and valid identities once (smiling at random), test ones twice."""
    for name, n in (("n_train", n_train), ("n_valid", n_valid), ("n_test", n_test)):
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"{name} must be a whole number >= 0, got {n!r}")
    if not 0 < n_train + n_valid + 2 * n_test < 10 ** 6:
        raise ValueError(f"need 1 to 999,999 images (6-digit file names), got "
                         f"{n_train + n_valid + 2 * n_test}")
    rng, rows = np.random.default_rng(seed), []
    for k in range(n_train + n_valid + n_test):
        ident, n = draw_identity(rng), len(rows) + 1
        if k < n_train + n_valid:
            rows.append((k, ident, "train" if k < n_train else "valid", bool(rng.random() < 0.5), ""))
        else:
            rows += [(k, ident, "test", False, f"{n + 1:06d}.jpg"), (k, ident, "test", True, f"{n:06d}.jpg")]
    return rows


def _save_jpeg(image: Image.Image, path: Path, rng: np.random.Generator):
    """Add pixel noise (uniform integers in +-``NOISE``) and save as JPEG (``JPEG_QUALITY``)."""
    noise = rng.integers(-NOISE, NOISE + 1, (image.height, image.width, 3), dtype=np.int16)
    a = np.clip(np.asarray(image, np.int16) + noise, 0, 255).astype(np.uint8)
    Image.fromarray(a).save(path, "JPEG", quality=JPEG_QUALITY)


def _number(v: float) -> str:
    """A feature as text that reads back exactly (whole numbers without a decimal point)."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _write_lists(root: Path, rows: list[tuple]):
    """``ATTR_FILE``, ``PARTITION_FILE`` and ``SIDECAR`` for the planned rows, with Unix
    line endings: the bytes depend on the seed only."""
    names = [f"{i:06d}.jpg" for i in range(1, len(rows) + 1)]
    attr = [str(len(rows)), " ".join(ATTRIBUTES)] + [
        f"{n} " + " ".join(f"{v:2d}" for v in _attributes(r[1], r[3])) for n, r in zip(names, rows)]
    (root / ATTR_FILE).write_text("\n".join(attr) + "\n", newline="\n")
    part = [f"{n} {SPLITS[r[2]]}" for n, r in zip(names, rows)]
    (root / PARTITION_FILE).write_text("\n".join(part) + "\n", newline="\n")
    with open(root / SIDECAR, "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(COLUMNS + FEATURES)
        for n, (k, ident, split, smiling, partner) in zip(names, rows):
            out.writerow([n, k, split, int(smiling), partner] + [_number(v) for v in ident.features()])


def write_celeba(root, n_train: int = 5000, n_valid: int = 500, n_test: int = 250,
                 seed: int = 0, progress: bool = False) -> Path:
    """Write a synthetic CelebA folder at ``root`` (created; files of the same names are
    overwritten) and return its path: ``n_train`` + ``n_valid`` identities once each and
    ``n_test`` identities twice (not smiling, smiling), ``n_train + n_valid + 2 n_test``
    JPEGs in all. Layout and sidecar: module docstring."""
    rows = _plan(n_train, n_valid, n_test, seed)
    root = Path(root)
    (root / IMAGE_DIR).mkdir(parents=True, exist_ok=True)
    _write_lists(root, rows)
    bar = tqdm(rows, desc="synthetic faces", disable=not progress, leave=False)
    for i, (_, ident, _, smiling, _) in enumerate(bar, 1):
        _save_jpeg(render(ident, smiling), root / IMAGE_DIR / f"{i:06d}.jpg",
                   np.random.default_rng([seed, i]))
    return root


@dataclass
class Sidecar:
    """``SIDECAR`` read back, one entry per image in file order: names (list[str]),
    identity (int64 (N,)), split (list[str]), smiling (bool (N,)), partner (list[str], ""
    when none), features (float64 (N, len(FEATURES)); ``Identity.from_features`` of a row
    renders that face again)."""
    names: list[str]
    identity: np.ndarray
    split: list[str]
    smiling: np.ndarray
    partner: list[str]
    features: np.ndarray

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """The test pairs: (not-smiling file, its smiling partner)."""
        return [(n, p) for n, p, s in zip(self.names, self.partner, self.smiling) if p and not s]


def read_pairs(root) -> Sidecar:
    """The sidecar of a folder written by ``write_celeba``; ``FileNotFoundError`` when it is
    missing, ``ValueError`` when its columns are not this version's."""
    path = Path(root) / SIDECAR
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: read_pairs needs a folder written by "
                                "synthfaces.write_celeba")
    with open(path, newline="") as f:
        header, *rows = list(csv.reader(f)) or [[]]
    if tuple(header) != COLUMNS + FEATURES:
        raise ValueError(f"the columns of {path} are not {', '.join(COLUMNS)}, "
                         f"{FEATURES[0]}, ...: rewrite the folder with write_celeba")
    features = np.array([[float(x) for x in r[len(COLUMNS):]] for r in rows], np.float64)
    return Sidecar([r[0] for r in rows], np.array([int(r[1]) for r in rows], np.int64),
                   [r[2] for r in rows], np.array([r[3] == "1" for r in rows], bool),
                   [r[4] for r in rows], features.reshape(len(rows), len(FEATURES)))

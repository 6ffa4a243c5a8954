"""User photos -> 64 x 64 RGB face crops in the face model's training frame, or an UploadError.

    read_photo(src)     path / bytes / PIL image / array -> (H, W, 3) uint8, EXIF-rotated, RGB
    find_faces(rgb)     (H, W, 3) photo -> face boxes (row, col, height, width), largest first
    frame_box(box)      a face box -> the training frame's square (top, left, side)
    face_crop(src)      any photo -> FaceCrop: (64, 64, 3) float32 crop in the training frame

Reading (``read_photo``): PNG, JPEG and WebP are the supported formats; BMP, GIF (first
frame) and TIFF are tolerated when Pillow opens them. The header's size is checked before
any pixel is decoded: more than ``MAX_PIXELS`` is refused with the size in the message
(Pillow's own decompression-bomb error, raised while reading the header of still larger
images, is turned into the same refusal). JPEGs are decoded at a reduced scale
(``Image.draft``) and every photo is shrunk to at most ``WORK_SIDE`` px on its longer side
(area averaging), so a 12-megapixel phone photo costs little more than a small one. EXIF
orientation is applied; grey, palette, 1-bit and CMYK become RGB; transparency (RGBA, LA,
PA, palette transparency) is composited over white; 16-bit images are scaled to 8 bits.
Arrays: (H, W), (H, W, 1/3/4) of bool, unsigned / non-negative integers (/ 255, or / 65535
for uint16 and for larger values), or finite floats in [0, 1] or [0, 255]. Photos shorter
than ``MIN_SIDE`` px on a side are refused.

Detection (``find_faces``): scikit-image's LBP frontal-face cascade (OpenCV's
``lbpcascade_frontalface``), loaded once. It runs on a grey copy shrunk so the shorter side
is ``DETECT_SIDE`` px (smaller photos are used as they are), padded by ``DETECT_PAD`` of the
shorter side with edge replication on every side so that a face filling the whole photo (a
close selfie) still fits in a detection window (it lifts lfw below from 93 to 97 faces), searching windows from ``MIN_FACE`` of the
shorter side (at least the cascade's 24 px) up to the whole padded photo, scale step
``SCALE_STEP``, exhaustive positions. The raw windows (the cascade fires many times on one
face, at nearby positions and scales) are merged here, not by the cascade: windows whose
IoU is at least ``MERGE_IOU`` are chained into clusters, a cluster's box is the median of
its windows, and only clusters of at least ``MIN_SUPPORT`` windows are kept; of two kept
boxes that mostly overlap (intersection over the smaller area > 0.5, e.g. an eye-and-nose
box inside a face) the better supported one stays.

Measured (a 2-core machine shared with other jobs; CPU time, wall time 1.5-2x that under
load; the tests repeat the first two with looser bars):
* scikit-image's ``lfw_subset``, each 25 x 25 image enlarged to 100 x 100: 97 of the 100
  faces found (the largest box centred within 20 px of the image centre), a face reported
  in 2 of the 100 non-faces;
* ``astronaut()``: one face, box (70, 182, 85, 85) (row, col, height, width) against the
  hand-marked (74, 178, 87, 87): IoU 0.83. Textures fool the cascade more than faces: 5 of
  19 of scikit-image's other photos (the cat, retina, cells, gravel, clock) get a face, and
  as faces are ordered by size such a false face can win over a smaller real one;
* time: 0.5 s for ``find_faces`` on a 512 x 512 photo (nearly all of it the cascade);
  0.7 s for ``face_crop`` of a 4000 x 3000 JPEG, bytes in, crop out (0.1 s to read it at
  1024 x 768, 0.6 s to search that).

The training frame (``face_crop``): the detector's box (cheek to cheek, brows to just below
the mouth: a little tighter than the whole face, and higher) fills the central
``FACE_FRACTION`` of a square crop: the crop's side is the box's longer side /
``FACE_FRACTION``, centred on the box's centre moved down by ``FACE_SHIFT`` of its height,
which centres forehead-to-chin on the astronaut and Grace Hopper photos. Parts of the crop outside the photo are filled
by edge replication; the crop is resized to ``SIZE`` x ``SIZE`` (area averaging when
shrinking, bicubic when enlarging). With several faces the largest is used and the note
says how many were found; with none the largest central square is used and the note says
so, since the translation of a photo not framed like the training faces may be poor.

Refused with ``UploadError`` (a ``ValueError``), each with its own message: no input, an
empty file, a missing path, a folder, text or other non-image data, a damaged or truncated
image, an unsupported format, a photo under ``MIN_SIDE`` px or over ``MAX_PIXELS``, arrays
of the wrong shape or dtype, negative, NaN / infinite or out-of-range values.
"""
from __future__ import annotations

import io
import re
import threading
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

SIZE = 64                     # the training frame: 64 x 64 RGB
FACE_FRACTION = 0.6           # the detector's box spans the central 60 % of the crop
FACE_SHIFT = 0.08             # crop centre below the box centre, as a fraction of its height
MIN_SIDE = 32                 # shorter photos hold no usable face
MAX_PIXELS = 40_000_000       # 40 megapixels: larger photos are refused before decoding
WORK_SIDE = 1024              # photos are shrunk to this longer side right after decoding
DETECT_SIDE = 320             # the detector sees the shorter side at this size (or smaller)
DETECT_PAD = 0.2              # edge-replicated margin for the detector, of the shorter side
MIN_FACE = 0.08               # smallest face searched, as a fraction of the shorter side
SCALE_STEP = 1.2              # detection windows grow by 20 % per scale
MERGE_IOU = 0.4               # raw windows overlapping this much belong to one face
MIN_SUPPORT = 3               # a face needs this many raw windows; fewer are noise
SUPPORTED = "PNG, JPEG or WebP"
FORMATS = {"PNG", "JPEG", "MPO", "WEBP", "BMP", "GIF", "TIFF"}   # MPO: many camera JPEGs
ORIENTATION = 0x0112           # the EXIF orientation tag
FLOAT_SLACK = 1e-3            # float arrays may overshoot [0, 1] / [0, 255] by this much


class UploadError(ValueError):
    """A photo that cannot be used, with a message saying why and what to do."""


@dataclass(frozen=True)
class FaceCrop:
    """``image``: (64, 64, 3) float32 in [0, 1]; ``box``: the face used, (row, col, height,
    width) in the photo as read (at most ``WORK_SIDE`` px), or None; ``found``: a face was
    detected; ``note``: one line for the user; ``source_size``: the photo's (height, width)
    after EXIF rotation, before any shrinking."""
    image: np.ndarray
    box: tuple[int, int, int, int] | None
    found: bool
    note: str
    source_size: tuple[int, int]


# ---------------------------------------------------------------- reading


def _open(src) -> Image.Image:
    """Path or bytes -> an opened (not yet decoded) PIL image; UploadError for None, empty
    input, a missing path, a folder and data Pillow cannot identify."""
    if isinstance(src, (str, Path)):
        path = Path(src)
        if str(src) == "":
            raise UploadError(f"no photo: upload a {SUPPORTED} image")
        if path.is_dir():
            raise UploadError(f"{path} is a folder, not a photo: pick an image file inside it")
        if not path.is_file():
            raise UploadError(f"no file at {path}: it was moved or deleted; upload the photo again")
        data = path.read_bytes()
    else:
        data = bytes(src)
    if not data:
        raise UploadError("the uploaded file is empty (0 bytes): upload the photo again")
    return _identify(data)


def _identify(data: bytes) -> Image.Image:
    """Bytes -> an opened PIL image (header read only); UploadError for text, unknown data
    and headers claiming a decompression bomb."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # checked below
            return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as e:
        raise UploadError(_too_big(_pixels_in(str(e)))) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        pass
    if _looks_like_text(data):
        raise UploadError(f"this is a text file, not a photo: upload a {SUPPORTED} image")
    raise UploadError(f"this file is not an image (or its header is damaged): "
                      f"upload a {SUPPORTED} image")


def _looks_like_text(data: bytes) -> bool:
    """True when the first 512 bytes are UTF-8 text: printable characters and whitespace
    only (a character cut at the end is allowed)."""
    text = data[:512].decode("utf-8", errors="replace").rstrip("\ufffd")
    return bool(text.strip()) and all(ch.isprintable() or ch in "\t\r\n" for ch in text) \
        and "\ufffd" not in text


def _pixels_in(message: str) -> int | None:
    """Pillow's decompression-bomb message -> the pixel count it names, or None."""
    m = re.search(r"\((\d+) pixels\)", message)
    return int(m.group(1)) if m else None


def _too_big(pixels: int | None, size: tuple[int, int] | None = None) -> str:
    """The refusal for a photo over ``MAX_PIXELS`` (``size``: width, height if known)."""
    dims = f"{size[0]} x {size[1]} pixels, " if size else ""
    mp = f"{pixels / 1e6:,.0f} megapixels" if pixels else "far over the limit"
    return (f"the photo is too large ({dims}{mp}; the limit is {MAX_PIXELS / 1e6:.0f} "
            f"megapixels): resize it to at most {WORK_SIDE * 2} px per side and upload it again")


def _check_size(width: int, height: int) -> None:
    """UploadError when a photo is over ``MAX_PIXELS`` or under ``MIN_SIDE`` px on a side."""
    if width * height > MAX_PIXELS:
        raise UploadError(_too_big(width * height, (width, height)))
    if min(width, height) < MIN_SIDE:
        raise UploadError(f"the photo is too small ({width} x {height} pixels): a face needs "
                          f"at least {MIN_SIDE} pixels on each side; upload a larger photo")


def _decode(im: Image.Image, reduce: bool = True) -> tuple[Image.Image, tuple[int, int]]:
    """An opened image -> (decoded, first frame, EXIF-rotated, a JPEG decoded at a reduced
    scale when ``reduce``; its source (height, width) after rotation, before any reduction).
    UploadError for unsupported formats, bad sizes and damaged or truncated data."""
    fmt = im.format
    if fmt is not None and fmt not in FORMATS:
        raise UploadError(f"{fmt} images are not supported: save the photo as {SUPPORTED}")
    _check_size(*im.size)
    w, h = im.size
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if im.getexif().get(ORIENTATION, 1) in (5, 6, 7, 8):      # rotated by 90 degrees
                w, h = h, w
            if reduce and fmt in ("JPEG", "MPO"):
                im.draft("RGB", (WORK_SIDE, WORK_SIDE))
            im.load()
            return ImageOps.exif_transpose(im), (h, w)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadError(_too_big(w * h, (w, h))) from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise UploadError(f"the {fmt or 'image'} file is damaged or incomplete ({e}): "
                          f"upload it again or re-save it as {SUPPORTED}") from None


def _pil_to_rgb(im: Image.Image) -> np.ndarray:
    """Decoded PIL image of any mode -> (H, W, 3) uint8: 16/32-bit and float modes via the
    array rules, transparency over white, everything else converted by Pillow."""
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        a = np.asarray(im)
        return _array_to_rgb(a.astype(np.uint16) if im.mode.startswith("I;16") else a)
    if im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    return np.asarray(im.convert("RGB"))


def _check_array(a: np.ndarray) -> None:
    """UploadError for arrays that are not (H, W) or (H, W, 1/3/4) numbers."""
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)):
        raise UploadError(f"a photo array must be H x W (grey) or H x W x 1/3/4 (grey, RGB, "
                          f"RGBA), got shape {a.shape}")
    if a.dtype.kind not in "buif":
        raise UploadError(f"a photo array must hold numbers (bool, integers or floats), "
                          f"got dtype {a.dtype}")
    _check_size(a.shape[1], a.shape[0])


def _array_unit(a: np.ndarray) -> np.ndarray:
    """Checked array -> float32 in [0, 1], same shape: bool as 0 / 1; uint16 / 65535; other
    integers / 255, or / 65535 above 255; floats as given up to 1, else / 255."""
    if a.dtype == np.bool_:
        return a.astype(np.float32)
    if a.dtype.kind in "ui":
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi > 65535:
            raise UploadError(f"photo values must lie in [0, 255] or [0, 65535], got "
                              f"{'min' if lo < 0 else 'max'} {lo if lo < 0 else hi}")
        top = 65535.0 if a.dtype == np.uint16 or hi > 255 else 255.0
        return a.astype(np.float32) / np.float32(top)
    if not np.isfinite(a).all():
        raise UploadError("the photo array contains NaN or infinite values: fix it before uploading")
    lo, hi = float(a.min()), float(a.max())
    top = 1.0 if hi <= 1 + FLOAT_SLACK else 255.0
    if lo < -FLOAT_SLACK * top or hi > (1 + FLOAT_SLACK) * top:
        raise UploadError(f"float photo values must lie in [0, 1] or [0, 255], got "
                          f"min {lo:g}, max {hi:g}")
    return np.clip(a.astype(np.float32) / np.float32(top), 0, 1)


def _array_to_rgb(a: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, 1/3/4) array -> (H, W, 3) uint8; alpha composited over white."""
    _check_array(a)
    u = _array_unit(a)
    if u.ndim == 2:
        u = u[..., None]
    if u.shape[2] == 4:
        alpha = u[..., 3:]
        u = u[..., :3] * alpha + (1 - alpha)
    u = np.broadcast_to(u, u.shape[:2] + (3,))
    return np.round(u * 255).astype(np.uint8)


def _shrink(rgb: np.ndarray, side: int = WORK_SIDE) -> np.ndarray:
    """(H, W, 3) uint8 -> the same with the longer side at most ``side`` (area averaging)."""
    h, w = rgb.shape[:2]
    s = side / max(h, w)
    if s >= 1:
        return rgb
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.BOX))


def _load(src) -> tuple[np.ndarray, tuple[int, int]]:
    """Any accepted source -> ((H, W, 3) uint8 shrunk to ``WORK_SIDE``, the source's (height,
    width) after EXIF rotation)."""
    if src is None:
        raise UploadError(f"no photo: upload a {SUPPORTED} image")
    if isinstance(src, np.ndarray):
        rgb = _array_to_rgb(src)
        return _shrink(rgb), rgb.shape[:2]
    if isinstance(src, Image.Image):
        im, source = _decode(src, reduce=False)      # leave the caller's image at full size
    elif isinstance(src, (str, Path, bytes, bytearray, memoryview)):
        im, source = _decode(_open(src))
    else:
        raise UploadError(f"cannot read a photo from a {type(src).__name__}: give a file "
                          f"path, the file's bytes, a PIL image or a numpy array")
    return _shrink(_pil_to_rgb(im)), source


def read_photo(src) -> np.ndarray:
    """A photo -> (H, W, 3) uint8 RGB, EXIF-rotated, longer side at most ``WORK_SIDE``.

    ``src``: a file path (str / Path), the file's bytes, a PIL image, or a numpy array
    (H, W) / (H, W, 1/3/4) of bool, integers or floats (rules: module docstring).
    ``UploadError`` (a ValueError) with a specific message for anything unusable.
    """
    return _load(src)[0]


# ---------------------------------------------------------------- detection


_DETECTING = threading.Lock()


@lru_cache(maxsize=1)
def _cascade():
    """scikit-image's bundled LBP frontal-face cascade, loaded once."""
    from skimage.data import lbp_frontal_face_cascade_filename   # deferred: scikit-image loads in ~1 s
    from skimage.feature import Cascade   # deferred: only when a photo arrives
    return Cascade(lbp_frontal_face_cascade_filename())


def _detector_view(rgb: np.ndarray) -> tuple[np.ndarray, float, int]:
    """(H, W, 3) uint8 -> (grey float32 in [0, 1], shorter side ``DETECT_SIDE`` or less,
    padded by ``DETECT_PAD`` of it with edge replication; the scale from the photo to it;
    the pad in px)."""
    im = Image.fromarray(rgb).convert("L")
    s = min(1.0, DETECT_SIDE / min(rgb.shape[:2]))
    if s < 1:
        im = im.resize((max(1, round(rgb.shape[1] * s)), max(1, round(rgb.shape[0] * s))), Image.BOX)
    grey = np.asarray(im, np.float32) / 255
    pad = round(DETECT_PAD * min(grey.shape))
    return np.pad(grey, pad, mode="edge"), s, pad


def _raw_windows(grey: np.ndarray, unpadded_side: int) -> np.ndarray:
    """Padded grey (h, w) -> every window the cascade accepts, (N, 4) float (row, col, height,
    width) in the padded image; no merging."""
    lo = max(24, round(MIN_FACE * unpadded_side))
    hi = min(grey.shape)
    with _DETECTING:            # one Cascade object serves every thread (app requests)
        found = _cascade().detect_multi_scale(grey, SCALE_STEP, 1.0, (lo, lo), (hi, hi),
                                              min_neighbor_number=0, intersection_score_threshold=2.0)
    return np.array([[d["r"], d["c"], d["height"], d["width"]] for d in found], float).reshape(-1, 4)


def _overlaps(boxes: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 4) boxes and one box (row, col, height, width) -> (IoU (N,), intersection over
    the smaller of the two areas (N,))."""
    top = np.maximum(boxes[:, 0], box[0])
    left = np.maximum(boxes[:, 1], box[1])
    bottom = np.minimum(boxes[:, 0] + boxes[:, 2], box[0] + box[2])
    right = np.minimum(boxes[:, 1] + boxes[:, 3], box[1] + box[3])
    inter = np.clip(bottom - top, 0, None) * np.clip(right - left, 0, None)
    areas, area = boxes[:, 2] * boxes[:, 3], box[2] * box[3]
    return inter / (areas + area - inter), inter / np.minimum(areas, area)


def _clusters(windows: np.ndarray) -> list[np.ndarray]:
    """(N, 4) raw windows -> groups of windows chained by IoU >= ``MERGE_IOU`` (each (n, 4))."""
    label = np.arange(len(windows))
    for i in range(len(windows)):
        linked = np.nonzero(_overlaps(windows, windows[i])[0] >= MERGE_IOU)[0]
        roots = np.unique(label[linked])
        label[np.isin(label, roots)] = roots.min()
    return [windows[label == k] for k in np.unique(label)]


def _merge(windows: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """(N, 4) raw windows -> faces as (median box, support), clusters with fewer than
    ``MIN_SUPPORT`` windows dropped, and of two mostly overlapping faces (intersection > half
    the smaller) the better supported kept; largest first."""
    faces = [(np.median(c, axis=0), len(c)) for c in _clusters(windows) if len(c) >= MIN_SUPPORT]
    faces.sort(key=lambda f: -f[1])
    kept: list[tuple[np.ndarray, int]] = []
    for box, n in faces:
        if not kept or _overlaps(np.array([k[0] for k in kept]), box)[1].max() <= 0.5:
            kept.append((box, n))
    return sorted(kept, key=lambda f: -f[0][2] * f[0][3])


def find_faces(rgb) -> list[tuple[int, int, int, int]]:
    """A photo (H, W, 3) uint8 (or any array ``read_photo`` accepts) -> frontal faces as
    (row, col, height, width) boxes in its pixel coordinates, largest first. A box may reach
    past the photo's edge (a face cut by it); its centre is always inside. Rules: module
    docstring."""
    if rgb is None:
        raise UploadError(f"no photo: upload a {SUPPORTED} image")
    rgb = rgb if _is_rgb8(rgb) else _array_to_rgb(np.asarray(rgb))
    grey, s, pad = _detector_view(rgb)
    faces = _merge(_raw_windows(grey, min(grey.shape) - 2 * pad))
    boxes = [(box - [pad, pad, 0, 0]) / s for box, _ in faces]
    h, w = rgb.shape[:2]
    inside = [b for b in boxes if 0 <= b[0] + b[2] / 2 < h and 0 <= b[1] + b[3] / 2 < w]
    return [tuple(int(round(v)) for v in b) for b in inside]


def _is_rgb8(a) -> bool:
    """True for an (H, W, 3) uint8 ndarray (what ``read_photo`` returns)."""
    return isinstance(a, np.ndarray) and a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3


# ---------------------------------------------------------------- cropping


def _square(rgb: np.ndarray, top: int, left: int, side: int) -> np.ndarray:
    """(H, W, 3) -> the (side, side, 3) square at (top, left), parts outside the photo
    filled by edge replication."""
    h, w = rgb.shape[:2]
    pads = [(max(0, -top), max(0, top + side - h)), (max(0, -left), max(0, left + side - w))]
    inside = rgb[max(0, top):min(h, top + side), max(0, left):min(w, left + side)]
    return np.pad(inside, pads + [(0, 0)], mode="edge")


def _resize(square: np.ndarray) -> np.ndarray:
    """(s, s, 3) uint8 -> (64, 64, 3) float32 in [0, 1]: area averaging when shrinking,
    bicubic when enlarging."""
    im = Image.fromarray(square)
    if square.shape[0] != SIZE:
        im = im.resize((SIZE, SIZE), Image.BOX if square.shape[0] > SIZE else Image.BICUBIC)
    return np.asarray(im, np.float32) / 255


def frame_box(box: tuple[int, int, int, int]) -> tuple[int, int, int]:
    """A face box (row, col, height, width) -> the training frame's square (top, left, side):
    side = longer side / ``FACE_FRACTION``, centred on the box moved down by ``FACE_SHIFT``."""
    r, c, h, w = box
    side = max(1, round(max(h, w) / FACE_FRACTION))
    cy, cx = r + h / 2 + FACE_SHIFT * h, c + w / 2
    return round(cy - side / 2), round(cx - side / 2), side


def _note(box, count: int) -> str:
    """The user's line for a found face (``count`` faces in all)."""
    r, c, h, w = box
    more = f" (the largest of {count} faces found)" if count > 1 else ""
    return f"face found at row {r}, column {c}, {w} x {h} px{more}"


def face_crop(src) -> FaceCrop:
    """A photo (anything ``read_photo`` accepts) -> ``FaceCrop``: the largest face framed
    like the training images, (64, 64, 3) float32 in [0, 1]; without a face, the largest
    central square, with a note saying so. A photo of exactly SIZE x SIZE is taken as a crop
    already in the training frame (the face data sets' own images, the app's examples).
    ``UploadError`` for unusable photos."""
    rgb, source = _load(src)
    if rgb.shape[:2] == (SIZE, SIZE):
        note = f"a {SIZE} x {SIZE} image: taken as a face crop in the training frame"
        return FaceCrop(rgb.astype(np.float32) / 255, None, True, note, source)
    faces = find_faces(rgb)
    if faces:
        square = _square(rgb, *frame_box(faces[0]))
        return FaceCrop(_resize(square), faces[0], True, _note(faces[0], len(faces)), source)
    h, w = rgb.shape[:2]
    side = min(h, w)
    square = _square(rgb, (h - side) // 2, (w - side) // 2, side)
    note = "no face found: centre-cropped, the translation may be poor"
    return FaceCrop(_resize(square), None, False, note, source)

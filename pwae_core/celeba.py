"""CelebA, read from its standard local layout one image at a time (nothing is downloaded).

    root/
        img_align_celeba/000001.jpg ...   aligned faces, 178 wide x 218 high
        list_attr_celeba.txt              line 1: image count; line 2: the attribute names;
                                          then "000001.jpg  -1  1  1 -1 ..." (1 / -1)
        list_eval_partition.txt           "000001.jpg 0" (0 train, 1 valid, 2 test)

``CelebA(root, attribute, split)`` parses the two lists once (any whitespace between fields,
Windows line endings, blank lines; pandas' C parser, or line by line to name a bad line) and
keeps only file names and one boolean label per image: 200k names are a few MB, the pixels
stay on disk. An image's split comes from the
partition list; one listed in the attribute file but not there belongs to no split (only
``"all"``, every row of the attribute file, holds it). Images are decoded on demand by
``load`` / ``batch`` / ``images``, each cropped and shrunk by ``crop_face``: the central
square of side ``CROP * min(W, H)`` (140 px of CelebA's 178 x 218, centred both ways,
the common CelebA-64 crop), area-averaged down to ``SIZE`` x ``SIZE``.

Bad data is dropped, never fatal, and accounted for in ``problems`` (file name, reason):
images listed but missing from the folder are found at construction by one ``os.scandir``
(quick for 200k files) and dropped with a warning; images that fail to decode (corrupt or
truncated JPEGs) make ``load`` return None and ``batch`` skip them. Mistakes in the layout
are refused with one specific message each: ``FileNotFoundError`` for a missing root, list
or folder (naming the path and the expected layout), ``ValueError`` for an unknown
attribute (with the closest names) or a malformed row (with file name and line number).
"""
from __future__ import annotations

import difflib
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm.auto import tqdm

SIZE = 64                       # side of the crops handed out
CROP = 140 / 178                # crop side / shorter image side: 140 px of CelebA's 178
IMAGE_DIR = "img_align_celeba"
ATTR_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"
SPLITS = {"train": 0, "valid": 1, "test": 2}      # partition codes; "all" ignores them
DECODE_ERRORS = (OSError, SyntaxError, ValueError, Image.DecompressionBombError)
LAYOUT = (f"expected {IMAGE_DIR}/*.jpg, {ATTR_FILE} and {PARTITION_FILE} directly inside "
          "the CelebA root folder")


def crop_face(img: Image.Image) -> np.ndarray:
    """A PIL image (any mode, W x H) -> its central square crop of side
    ``round(CROP * min(W, H))``, area-averaged to ``(SIZE, SIZE, 3)`` uint8 RGB."""
    img = img.convert("RGB")
    w, h = img.size
    side = max(1, round(CROP * min(w, h)))
    left, top = (w - side) // 2, (h - side) // 2
    box = (left, top, left + side, top + side)
    return np.asarray(img.resize((SIZE, SIZE), Image.Resampling.BOX, box=box))


def _check_layout(root: Path) -> Path:
    """The image folder of a CelebA root; ``FileNotFoundError`` naming the first missing part."""
    if not root.is_dir():
        raise FileNotFoundError(f"CelebA root folder {root} does not exist; {LAYOUT}")
    for name in (ATTR_FILE, PARTITION_FILE):
        if not (root / name).is_file():
            raise FileNotFoundError(f"{root / name} is missing; {LAYOUT}")
    if not (root / IMAGE_DIR).is_dir():
        raise FileNotFoundError(f"image folder {root / IMAGE_DIR} is missing; {LAYOUT}")
    return root / IMAGE_DIR


def _header(path: Path) -> tuple[list[str], int, int]:
    """The attribute list's first two non-blank lines -> (attribute names, the line they
    are on, the image count that line 1 announces)."""
    heads = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if line.split():
                heads.append((n, line.split()))
            if len(heads) == 2:
                break
    if len(heads) < 2:
        raise ValueError(f"{path.name} has no header: line 1 must be the image count and "
                         "line 2 the attribute names")
    (n1, first), (n2, names) = heads
    if len(first) != 1 or not first[0].isdigit():
        raise ValueError(f"{path.name} line {n1}: expected the image count (one number), "
                         f"got {' '.join(first)[:60]!r}")
    return names, n2, int(first[0])


def _column(names: list[str], attribute: str, path: Path) -> int:
    """The position of ``attribute`` among the names; ``ValueError`` with the closest names."""
    if attribute in names:
        return names.index(attribute)
    lower = {n.lower(): n for n in names}
    close = [lower[c] for c in difflib.get_close_matches(attribute.lower(), lower, n=5, cutoff=0.5)]
    hint = f"closest: {', '.join(close)}" if close else f"e.g. {', '.join(names[:5])}"
    raise ValueError(f"unknown CelebA attribute {attribute!r} ({hint}); "
                     f"{path.name} has {len(names)} attributes")


def _fast_table(path: Path, skip: int, width: int, allowed: tuple[int, ...]):
    """Rows after line ``skip`` read by pandas' C parser -> (file names, int8 values (N,
    width - 1)), or None when anything is off (``_table`` then finds the line)."""
    import pandas as pd     # deferred: importing pandas takes about a second
    try:
        df = pd.read_csv(path, sep=r"\s+", skiprows=skip, header=None, engine="c", na_filter=False,
                         dtype={i: "int8" if i else object for i in range(width)},
                         encoding="utf-8", encoding_errors="replace")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OverflowError):
        return None
    values = df.iloc[:, 1:].to_numpy()
    if df.shape[1] != width or not np.isin(values, allowed).all():
        return None
    return df[0].tolist(), values


def _table(path: Path, skip: int, width: int, allowed: tuple[int, ...], expect: str):
    """The rows after line ``skip`` (blank lines skipped, any whitespace between fields, any
    line ending) -> (file names, int8 values (N, width - 1)). Every row must hold a name and
    width - 1 values from ``allowed``; ``ValueError`` names the first line that does not.
    CelebA's 200k rows take 1-3 s with pandas, line by line (the fallback) 5-10 s."""
    fast = _fast_table(path, skip, width, allowed)
    if fast is not None:
        return fast
    ok, files, values = {str(v) for v in allowed}, [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            fields = line.split()
            if n <= skip or not fields:
                continue
            if len(fields) != width or not set(fields[1:]) <= ok:
                raise ValueError(f"{path.name} line {n}: expected {expect}, got {len(fields)} "
                                 f"fields: {' '.join(fields)[:80]!r}")
            files.append(fields[0])
            values.append([int(v) for v in fields[1:]])
    return files, np.array(values, dtype=np.int8).reshape(-1, width - 1)


def _parse_attributes(path: Path, attribute: str) -> tuple[list[str], np.ndarray]:
    """The attribute list -> (file names, bool labels: ``attribute`` == 1). A row count
    that differs from line 1's is only warned about."""
    names, skip, count = _header(path)
    col = _column(names, attribute, path)
    files, values = _table(path, skip, len(names) + 1, (1, -1),
                           f"a file name and {len(names)} values 1 / -1")
    if count != len(files):
        warnings.warn(f"{path.name} line 1 announces {count} images but {len(files)} rows "
                      "follow; reading the rows", stacklevel=3)
    return files, values[:, col] == 1


def _parse_partition(path: Path) -> dict[str, int]:
    """The partition list -> {file name: 0 / 1 / 2}."""
    files, codes = _table(path, 0, 2, (0, 1, 2), "'<file name> 0|1|2'")
    return dict(zip(files, codes[:, 0].tolist()))


def _in_split(files: list[str], partition: dict[str, int], split: str) -> np.ndarray:
    """Indices of ``files`` in ``split`` ("all": every one of them)."""
    if split == "all":
        return np.arange(len(files))
    code = SPLITS[split]
    return np.array([i for i, f in enumerate(files) if partition.get(f) == code], dtype=np.int64)


def _on_disk(folder: Path, files: list[str]) -> np.ndarray:
    """Bool (len(files),): which of the files are in ``folder`` (one directory scan).
    ``FileNotFoundError`` when none is, with a hint for the doubly nested Kaggle unzip."""
    with os.scandir(folder) as it:
        present = {e.name for e in it}
    found = np.array([f in present for f in files], dtype=bool)
    if len(files) and not found.any():
        nested = " (they seem to be one level deeper: move them up)" if IMAGE_DIR in present else ""
        raise FileNotFoundError(f"none of the {len(files)} listed images is in {folder}, "
                                f"which holds {len(present)} entries{nested}; {LAYOUT}")
    return found


class CelebA:
    """One split of a local CelebA folder with one binary attribute, streamed from disk.

    names : list[str], the image files kept (listed, in the split, present on disk)
    labels : np.ndarray bool, shape (N,), True where ``attribute`` is 1
    problems : list[(file name, reason)], images dropped or that failed to decode
    """

    def __init__(self, root, attribute: str, split: str = "train"):
        if split not in (*SPLITS, "all"):
            raise ValueError(f"split must be one of {', '.join(SPLITS)} or all, got {split!r}")
        self.root, self.attribute, self.split = Path(root), attribute, split
        self.folder = _check_layout(self.root)
        files, labels = _parse_attributes(self.root / ATTR_FILE, attribute)
        keep = _in_split(files, _parse_partition(self.root / PARTITION_FILE), split)
        if len(keep) == 0:
            raise ValueError(f"no image of {self.root / ATTR_FILE} is in the {split!r} split "
                             f"of {PARTITION_FILE}")
        self.problems: list[tuple[str, str]] = []
        self._bad: set[int] = set()
        self._keep_present([files[i] for i in keep], labels[keep])

    def _keep_present(self, files: list[str], labels: np.ndarray) -> None:
        """Set ``names`` / ``labels`` to the listed files found in the folder; the others go
        to ``problems`` with one warning."""
        found = _on_disk(self.folder, files)
        self.names = [f for f, ok in zip(files, found) if ok]
        self.labels = labels[found]
        missing = [f for f, ok in zip(files, found) if not ok]
        self.problems += [(f, f"listed in {ATTR_FILE} but not in {IMAGE_DIR}/") for f in missing]
        if missing:
            warnings.warn(f"{len(missing)} of {len(files)} {self.split} images listed in "
                          f"{ATTR_FILE} are missing from {self.folder}; dropped them "
                          f"(see .problems)", stacklevel=3)

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return (f"CelebA({str(self.root)!r}, {self.attribute!r}, {self.split!r}): {len(self)} "
                f"images, {int(self.labels.sum())} with the attribute")

    def domain(self, value: bool) -> np.ndarray:
        """Indices (int64, into this split) of the images whose attribute is ``value``."""
        return np.flatnonzero(self.labels == bool(value))

    def load(self, i: int) -> np.ndarray | None:
        """Image ``i`` -> ``(SIZE, SIZE, 3)`` uint8 (``crop_face``), or None when it cannot
        be read or decoded (recorded once in ``problems`` with PIL's reason). A truncated
        JPEG counts as unreadable unless ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES`` is set."""
        if i in self._bad:
            return None
        try:
            with Image.open(self.folder / self.names[i]) as img:
                img.load()                  # open() only reads the header: decode now
                return crop_face(img)
        except DECODE_ERRORS as e:
            self._bad.add(i)
            self.problems.append((self.names[i], f"unreadable: {type(e).__name__}: {e}"))
            return None

    def batch(self, indices) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
        """Images ``indices`` -> (float32 (B, 3, SIZE, SIZE) in [0, 1], bool labels (B,),
        the B indices kept): unreadable images are skipped (see ``problems``)."""
        kept, arrays = [], []
        for i in np.asarray(indices, dtype=np.int64).reshape(-1).tolist():
            a = self.load(i)
            if a is not None:
                kept.append(i)
                arrays.append(a)
        x = _to_tensor(arrays).float().div_(255)
        return x, torch.from_numpy(self.labels[kept]), kept

    def images(self, indices, progress: bool = False) -> torch.Tensor:
        """Images ``indices`` -> uint8 ``(N, 3, SIZE, SIZE)``, for subsets that fit in memory
        (64 x 64 x 3 bytes each). Unreadable ones are skipped with a warning; use ``batch``
        for the indices kept."""
        indices = np.asarray(indices, dtype=np.int64).reshape(-1).tolist()
        bar = tqdm(indices, desc=f"CelebA {self.split}", disable=not progress, leave=False)
        arrays = [a for a in (self.load(i) for i in bar) if a is not None]
        if len(arrays) < len(indices):
            warnings.warn(f"{len(indices) - len(arrays)} of {len(indices)} images could not be "
                          "read and were skipped (see .problems)", stacklevel=2)
        return _to_tensor(arrays)


def _to_tensor(arrays: list[np.ndarray]) -> torch.Tensor:
    """(SIZE, SIZE, 3) uint8 arrays -> uint8 (N, 3, SIZE, SIZE) (N may be 0)."""
    if not arrays:
        return torch.zeros(0, 3, SIZE, SIZE, dtype=torch.uint8)
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()

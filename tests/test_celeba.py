"""The streaming CelebA reader (celeba.py), on a small synthetic folder in CelebA's layout
(synthfaces.write_celeba): splits, labels, domains, batches, and each kind of bad data."""
import shutil
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from pwae_core import celeba, synthfaces as sf
from pwae_core.celeba import ATTR_FILE, IMAGE_DIR, PARTITION_FILE, CelebA

N_TRAIN, N_VALID, N_TEST = 30, 6, 5          # test identities appear twice: 10 test images


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    return sf.write_celeba(tmp_path_factory.mktemp("celeba"), N_TRAIN, N_VALID, N_TEST, seed=1)


@pytest.fixture
def root(written, tmp_path):
    """A copy of the written folder, free to damage."""
    return shutil.copytree(written, tmp_path / "celeba")


def _quiet(*args, **kw) -> CelebA:
    with warnings.catch_warnings():
        warnings.simplefilter("error")           # a clean folder raises no warning
        return CelebA(*args, **kw)


@pytest.mark.parametrize("split, n", [("train", 30), ("valid", 6), ("test", 10), ("all", 46)])
def test_each_split_has_its_images(written, split, n):
    ds = _quiet(written, "Smiling", split)
    assert len(ds) == n and len(ds.labels) == n and ds.labels.dtype == bool and not ds.problems


@pytest.mark.parametrize("attribute, column", [("Smiling", None), ("Eyeglasses", "glasses")])
def test_labels_match_the_sidecar(written, attribute, column):
    side = sf.read_pairs(written)
    row = {n: i for i, n in enumerate(side.names)}
    ds = _quiet(written, attribute, "all")
    truth = side.smiling if column is None else side.features[:, sf.FEATURES.index(column)] == 1
    assert ds.labels.tolist() == [bool(truth[row[n]]) for n in ds.names]
    assert 0 < ds.labels.sum() < len(ds)


def test_the_two_domains_partition_the_split(written):
    ds = _quiet(written, "Smiling", "train")
    yes, no = ds.domain(True), ds.domain(False)
    assert len(yes) and len(no) and ds.labels[yes].all() and not ds.labels[no].any()
    assert np.array_equal(np.sort(np.concatenate([yes, no])), np.arange(len(ds)))
    test = _quiet(written, "Smiling", "test")
    assert len(test.domain(True)) == len(test.domain(False)) == N_TEST


def test_batches_and_images_are_64_px_crops(written):
    ds = _quiet(written, "Smiling", "test")
    x, y, kept = ds.batch([0, 3, 5])
    assert x.shape == (3, 3, 64, 64) and x.dtype == torch.float32 and kept == [0, 3, 5]
    assert 0 <= x.min() and x.max() <= 1 and x.std() > 0.05
    assert y.dtype == torch.bool and y.tolist() == ds.labels[[0, 3, 5]].tolist()
    u8 = ds.images(np.array([0, 3, 5]), progress=True)
    assert u8.shape == (3, 3, 64, 64) and u8.dtype == torch.uint8
    assert torch.equal(u8.float().div(255), x)
    ident = sf.Identity.from_features(sf.read_pairs(written).features[-1])
    clean = celeba.crop_face(sf.render(ident, True)).astype(float)
    assert np.abs(ds.load(len(ds) - 1).astype(float) - clean).mean() < 3   # JPEG and noise only


def test_crop_face_takes_the_central_square():
    a = np.zeros((218, 178, 3), np.uint8)
    a[39:179, 19:159] = (200, 100, 50)                  # CelebA's central 140 x 140
    out = celeba.crop_face(Image.fromarray(a))
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8 and (out == (200, 100, 50)).all()
    grey = celeba.crop_face(Image.fromarray(np.full((50, 80), 7, np.uint8)))
    assert grey.shape == (64, 64, 3) and (grey == 7).all()


def test_an_unknown_attribute_lists_close_names(written):
    with pytest.raises(ValueError, match=r"'smilng' \(closest: Smiling\).* has 8 attributes"):
        CelebA(written, "smilng")
    with pytest.raises(ValueError, match="split must be one of train, valid, test or all"):
        CelebA(written, "Smiling", "val")


def test_images_missing_from_disk_are_dropped_and_recorded(root):
    (root / IMAGE_DIR / "000004.jpg").unlink()
    with pytest.warns(UserWarning, match="1 of 30 train images listed in .* are missing"):
        ds = CelebA(root, "Smiling")
    assert len(ds) == 29 and "000004.jpg" not in ds.names
    assert ds.problems == [("000004.jpg", f"listed in {ATTR_FILE} but not in {IMAGE_DIR}/")]
    assert ds.batch(range(29))[0].shape == (29, 3, 64, 64)


def test_corrupt_and_truncated_images_are_skipped(root):
    (root / IMAGE_DIR / "000002.jpg").write_bytes(b"this is not a jpeg" * 50)
    half = (root / IMAGE_DIR / "000005.jpg").read_bytes()
    (root / IMAGE_DIR / "000005.jpg").write_bytes(half[:len(half) // 2])
    ds = _quiet(root, "Smiling")
    assert ds.load(1) is None and ds.load(4) is None and ds.load(0).shape == (64, 64, 3)
    x, y, kept = ds.batch(range(8))
    assert kept == [0, 2, 3, 5, 6, 7] and x.shape == (6, 3, 64, 64) and len(y) == 6
    assert [p[0] for p in ds.problems] == ["000002.jpg", "000005.jpg"]   # recorded once
    assert "cannot identify image file" in ds.problems[0][1]
    assert "truncated" in ds.problems[1][1]
    with pytest.warns(UserWarning, match="2 of 4 images could not be read"):
        assert ds.images([1, 2, 4, 6]).shape == (2, 3, 64, 64)


@pytest.mark.parametrize("missing", [ATTR_FILE, PARTITION_FILE, IMAGE_DIR])
def test_a_missing_list_or_folder_is_named(root, missing):
    path = root / missing
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    with pytest.raises(FileNotFoundError, match=f"{missing} is missing; expected {IMAGE_DIR}"):
        CelebA(root, "Smiling")


def test_a_missing_root_or_nested_images_are_explained(root, tmp_path):
    with pytest.raises(FileNotFoundError, match="CelebA root folder .*nowhere does not exist"):
        CelebA(tmp_path / "nowhere", "Smiling")
    nested = root / IMAGE_DIR / IMAGE_DIR                # what unzipping Kaggle's archive gives
    nested.mkdir()
    for f in list((root / IMAGE_DIR).glob("*.jpg")):
        f.rename(nested / f.name)
    with pytest.raises(FileNotFoundError, match="none of the 30 listed images .*one level deeper"):
        CelebA(root, "Smiling")


@pytest.mark.parametrize("line, text, message", [
    (5, "000003.jpg  1 -1", f"{ATTR_FILE} line 5: expected a file name and 8 values 1 / -1, got 3"),
    (7, "000005.jpg  1 -1 1 -1 1 -1 1 0", f"{ATTR_FILE} line 7: expected"),
    (1, "many", f"{ATTR_FILE} line 1: expected the image count"),
])
def test_a_malformed_attribute_row_names_its_line(root, line, text, message):
    lines = (root / ATTR_FILE).read_text().splitlines()
    lines[line - 1] = text
    (root / ATTR_FILE).write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=message):
        CelebA(root, "Smiling")


def test_a_malformed_partition_row_names_its_line(root):
    lines = (root / PARTITION_FILE).read_text().splitlines()
    lines[9] = "000010.jpg 3"
    (root / PARTITION_FILE).write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=f"{PARTITION_FILE} line 10: expected '<file name> 0|1|2'"):
        CelebA(root, "Smiling")


def test_windows_line_endings_and_extra_spaces_read_the_same(root, written):
    for name in (ATTR_FILE, PARTITION_FILE):
        text = (root / name).read_text().replace(" ", "   \t").replace("\n", " \r\n")
        (root / name).write_bytes((text + "\r\n\r\n").encode())
    ds, ref = _quiet(root, "Eyeglasses", "all"), _quiet(written, "Eyeglasses", "all")
    assert ds.names == ref.names and np.array_equal(ds.labels, ref.labels)


def test_an_image_without_a_partition_is_in_no_split(root):
    lines = (root / PARTITION_FILE).read_text().splitlines()
    (root / PARTITION_FILE).write_text("\n".join(lines[1:]) + "\n")      # 000001.jpg
    assert "000001.jpg" not in _quiet(root, "Smiling", "train").names
    assert len(_quiet(root, "Smiling", "train")) == 29
    assert "000001.jpg" in _quiet(root, "Smiling", "all").names
    (root / PARTITION_FILE).write_text("")
    with pytest.raises(ValueError, match="no image .* is in the 'train' split"):
        CelebA(root, "Smiling")


def test_a_wrong_image_count_is_only_a_warning(root):
    lines = (root / ATTR_FILE).read_text().splitlines()
    (root / ATTR_FILE).write_text("\n".join(["99"] + lines[1:]) + "\n")
    with pytest.warns(UserWarning, match="line 1 announces 99 images but 46 rows follow"):
        assert len(CelebA(root, "Smiling")) == N_TRAIN

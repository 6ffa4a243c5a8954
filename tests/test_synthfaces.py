"""Synthetic CelebA-format faces (synthfaces.py): identities, the mouth as the only
difference between the two renders of a face, the layout in the 64 x 64 crop, and the
written folder (format, pairs, sidecar, determinism)."""
import numpy as np
import pytest
from PIL import Image

from pwae_core import celeba, synthfaces as sf

CROP_LEFT, CROP_TOP, SCALE = 19, 39, 64 / 140      # crop_face on 178 x 218: 140 px from (19, 39)


def _identities(n, seed=0):
    rng = np.random.default_rng(seed)
    return [sf.draw_identity(rng) for _ in range(n)]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return sf.write_celeba(tmp_path_factory.mktemp("faces"), n_train=12, n_valid=4, n_test=5, seed=3)


def test_identities_vary_and_round_trip_through_their_features():
    ids = _identities(300)
    f = np.stack([i.features() for i in ids])
    assert f.shape == (300, len(sf.FEATURES))
    assert (f.std(0) > 0).all(), [n for n, s in zip(sf.FEATURES, f.std(0)) if s == 0]
    assert 0.2 < f[:, sf.FEATURES.index("glasses")].mean() < 0.4
    assert len({i.hair for i in ids}) > 100 and len({i.skin for i in ids}) > 100
    assert all(sf.Identity.from_features(i.features()) == i for i in ids[:20])
    with pytest.raises(ValueError, match=f"expected {len(sf.FEATURES)} features"):
        sf.Identity.from_features([1.0, 2.0])


def test_the_two_renders_of_a_face_differ_only_in_the_mouth_box():
    for ident in _identities(25, seed=1):
        plain = np.asarray(sf.render(ident, False), np.int16)
        smile = np.asarray(sf.render(ident, True), np.int16)
        assert plain.shape == (218, 178, 3)
        diff = np.abs(plain - smile).max(2)
        left, top, right, bottom = sf.mouth_box(ident)
        assert diff[top:bottom, left:right].max() > 100          # the mouth changed ...
        diff[top:bottom, left:right] = 0
        assert diff.max() == 0                                   # ... and nothing else
    assert np.array_equal(np.asarray(sf.render(ident, True)), smile)     # deterministic


def _mouth_strip(ident, image):
    """Crop pixels (float RGB) of the middle 30 % of the mouth box, over its full height."""
    left, top, right, bottom = sf.mouth_box(ident)
    mid, half = (left + right) / 2, (right - left) * 0.15
    x0, x1 = int((mid - half - CROP_LEFT) * SCALE), int(np.ceil((mid + half - CROP_LEFT) * SCALE))
    y0, y1 = int((top - CROP_TOP) * SCALE), int(np.ceil((bottom - CROP_TOP) * SCALE))
    return celeba.crop_face(image).astype(float)[y0:y1, x0:x1]


def test_smiling_is_visible_in_the_64_px_crop():
    """Mean colour distance from the skin over the middle of the mouth: a threshold
    separates every smiling face from every other."""
    plain, smile = [], []
    for ident in _identities(60, seed=2):
        for smiling, out in ((False, plain), (True, smile)):
            strip = _mouth_strip(ident, sf.render(ident, smiling))
            out.append(np.linalg.norm(strip - np.array(ident.skin), axis=2).mean())
    assert max(plain) < 33 < min(smile), (max(plain), min(smile))


def test_the_face_fills_the_middle_of_the_crop():
    for ident in _identities(30, seed=4):
        a = celeba.crop_face(sf.render(ident, False)).astype(int)
        skin = np.array(ident.skin)
        assert np.abs(a[32, 32] - skin).max() <= 0.15 * skin.max() + 2     # between the eyes
        assert np.abs(a[36, 23] - skin).max() <= 2                        # a cheek
        for y, x in ((0, 0), (0, 63), (63, 0), (63, 63)):
            assert np.abs(a[y, x] - ident.background).max() <= 2
        cols = np.nonzero((np.abs(a[32] - skin).max(1) <= 2))[0]            # skin across y 32
        assert 26 <= cols.max() - cols.min() + 1 <= 40


def test_render_checks_its_size():
    ident = _identities(1)[0]
    assert sf.render(ident, True, size=(89, 109)).size == (89, 109)
    with pytest.raises(ValueError, match="at least 8 px"):
        sf.render(ident, True, size=(4, 4))


def test_the_folder_has_celeba_s_format_and_known_test_pairs(folder):
    attr = (folder / "list_attr_celeba.txt").read_text().splitlines()
    assert attr[0] == "26" and attr[1].split() == list(sf.ATTRIBUTES) and len(attr) == 28
    assert all(len(r.split()) == len(sf.ATTRIBUTES) + 1 for r in attr[2:])
    assert attr[2].startswith("000001.jpg ") and {v for r in attr[2:] for v in r.split()[1:]} == {"1", "-1"}
    part = [r.split() for r in (folder / "list_eval_partition.txt").read_text().splitlines()]
    assert [p[1] for p in part] == ["0"] * 12 + ["1"] * 4 + ["2"] * 10
    names = sorted(p.name for p in (folder / "img_align_celeba").iterdir())
    assert names == [f"{i:06d}.jpg" for i in range(1, 27)]
    side = sf.read_pairs(folder)
    assert side.names == names and side.features.shape == (26, len(sf.FEATURES))
    assert len(set(side.identity[:16])) == 16 and not set(side.identity[:16]) & set(side.identity[16:])
    assert side.pairs == [(f"{i:06d}.jpg", f"{i + 1:06d}.jpg") for i in range(17, 27, 2)]
    smiling = [r.split()[1 + sf.ATTRIBUTES.index("Smiling")] == "1" for r in attr[2:]]
    assert smiling == side.smiling.tolist() and 0 < sum(smiling[:16]) < 16


def test_the_files_are_the_renders_of_their_identities(folder):
    side = sf.read_pairs(folder)
    for i in (0, 18, 19):
        ident = sf.Identity.from_features(side.features[i])
        clean = np.asarray(sf.render(ident, bool(side.smiling[i])), float)
        noisy = np.asarray(Image.open(folder / "img_align_celeba" / side.names[i]), float)
        assert np.abs(noisy - clean).mean() < 4
    glasses = side.features[:, sf.FEATURES.index("glasses")].astype(bool)
    attr = [r.split() for r in (folder / "list_attr_celeba.txt").read_text().splitlines()[2:]]
    assert [r[1 + sf.ATTRIBUTES.index("Eyeglasses")] == "1" for r in attr] == glasses.tolist()


def test_the_same_seed_writes_the_same_folder(folder, tmp_path):
    again = sf.write_celeba(tmp_path / "again", n_train=12, n_valid=4, n_test=5, seed=3)
    other = sf.write_celeba(tmp_path / "other", n_train=12, n_valid=4, n_test=5, seed=4)
    for name in ("list_attr_celeba.txt", "list_eval_partition.txt", sf.SIDECAR,
                 "img_align_celeba/000001.jpg", "img_align_celeba/000026.jpg"):
        assert (again / name).read_bytes() == (folder / name).read_bytes(), name
    assert (other / sf.SIDECAR).read_bytes() != (folder / sf.SIDECAR).read_bytes()
    assert (other / "img_align_celeba/000001.jpg").read_bytes() != (folder / "img_align_celeba/000001.jpg").read_bytes()


@pytest.mark.parametrize("counts, message", [
    (dict(n_train=-1), "n_train must be a whole number"),
    (dict(n_valid=2.5), "n_valid must be a whole number"),
    (dict(n_train=0, n_valid=0, n_test=0), "need 1 to 999,999 images"),
])
def test_write_celeba_refuses_bad_counts(tmp_path, counts, message):
    with pytest.raises(ValueError, match=message):
        sf.write_celeba(tmp_path, **{"n_train": 1, "n_valid": 0, "n_test": 0, **counts})


def test_read_pairs_needs_the_sidecar(tmp_path, folder):
    with pytest.raises(FileNotFoundError, match="synthfaces.write_celeba"):
        sf.read_pairs(tmp_path)
    (tmp_path / sf.SIDECAR).write_text("file,identity\n")
    with pytest.raises(ValueError, match="rewrite the folder"):
        sf.read_pairs(tmp_path)

"""User images and editor masks -> model inputs, with clear errors.

Uploads get MNIST's preprocessing, like drawings: background and noise removed, dark ink on
paper inverted, cropped to the ink, longer side 20 px, centre of mass in the middle."""
import numpy as np
import pytest
import torch
from PIL import Image

from pwae_core import data, images, models

PAPER = 0.8                                                   # light-grey paper before inversion


@pytest.fixture(scope="module")
def mnist_test():
    x, y = data.mnist("test")
    return x[:, 0].numpy(), y.numpy()                         # (1000, 28, 28) in [0, 1], (1000,)


@pytest.fixture(scope="module")
def classifier():
    return models.load("checkpoints/mnist-classifier.safetensors")


def _predict(classifier, digits) -> np.ndarray:
    """(N, 28, 28) -> predicted classes (N,)."""
    with torch.no_grad():
        return classifier.predict(torch.from_numpy(np.stack(digits))[:, None]).numpy()


def _big(digit) -> np.ndarray:
    """(28, 28) digit -> (280, 280) in [0, 1], upscaled 10x with PIL bicubic."""
    im = Image.fromarray((digit * 255).astype(np.uint8)).resize((280, 280), Image.BICUBIC)
    return np.asarray(im) / 255.0


def _photo(digit, seed, h=400, w=600) -> np.ndarray:
    """(28, 28) digit -> an (h, w) "photo" in [0, 1]: the digit upscaled 10x, dark on
    light-grey paper, pasted off-centre, lit by a +-5 % gradient, sensor noise std 0.03."""
    rng = np.random.default_rng(seed)
    paper = np.full((h, w), PAPER)
    top, left = 40 + rng.integers(0, h - 320), 20 + rng.integers(0, w - 300)
    paper[top:top + 280, left:left + 280] = PAPER * (1 - _big(digit))
    yy, xx = np.mgrid[0:h, 0:w]
    light = 0.95 + 0.1 * (0.6 * xx / w + 0.4 * yy / h)
    return np.clip(paper * light + rng.normal(0, 0.03, (h, w)), 0, 1)


def _on_transparent(digit, colour, h=400, w=600) -> np.ndarray:
    """(28, 28) digit -> (h, w, 4) uint8: strokes of ``colour`` (RGB in [0, 1]) whose alpha is
    the upscaled digit, on a fully transparent canvas (RGB 0 under it)."""
    rgba = np.zeros((h, w, 4))
    rgba[60:340, 200:480, :3] = colour
    rgba[60:340, 200:480, 3] = _big(digit)
    return (rgba * 255).round().astype(np.uint8)


VARIANTS = {
    "grey float": lambda d, s: _photo(d, s),
    "rgb uint8, tinted paper": lambda d, s: (_photo(d, s)[..., None] * [1.0, 0.95, 0.85] * 255).astype(np.uint8),
    "uint16": lambda d, s: (_photo(d, s) * 65535).round().astype(np.uint16),
    "bool": lambda d, s: _photo(d, s) > 0.5,
    "rgba dark strokes on transparent": lambda d, s: _on_transparent(d, (0.1, 0.1, 0.4)),
    "rgba white strokes on transparent": lambda d, s: _on_transparent(d, (1.0, 1.0, 1.0)),
}


def _com(d) -> tuple[float, float]:
    """Centre of mass (row, column) of a (28, 28) image."""
    return (d.sum(1) @ np.arange(28)) / d.sum(), (d.sum(0) @ np.arange(28)) / d.sum()


@pytest.mark.parametrize("variant", VARIANTS)
def test_photos_of_digits_come_out_like_mnist(variant, mnist_test, classifier):
    """One test digit per class 0-9, in a wide 600 x 400 upload -> the digit back, centred
    and classified; correlation with the original 28 x 28 digit > 0.8."""
    x, y = mnist_test
    picks = [int(np.nonzero(y == c)[0][0]) for c in range(10)]
    outs = [images.as_digit(VARIANTS[variant](x[i], c)) for c, i in enumerate(picks)]
    for d, i in zip(outs, picks):
        assert d.shape == (28, 28) and d.dtype == np.float32 and d.min() == 0 and d.max() == 1
        assert np.corrcoef(d.ravel(), x[i].ravel())[0, 1] > 0.8
        assert np.abs(np.array(_com(d)) - 14).max() <= 1
    assert (_predict(classifier, outs) == np.arange(10)).sum() >= 9


def test_a_grey_paper_photo_has_a_black_background(mnist_test):
    """The paper (0.8 before inversion) is subtracted: no grey square around the digit."""
    d = images.as_digit(_photo(mnist_test[0][0], 0))
    assert d[:2].max() == 0 and d[-2:].max() == 0 and d[:, :2].max() == 0 and d[:, -2:].max() == 0
    assert (d > 0).mean() < 0.35


def test_real_mnist_digits_pass_through_unchanged(mnist_test, classifier):
    """All 1000 test digits, as 28 x 28 floats and as the app's 4x uint8 gallery picks."""
    x, y = mnist_test
    for scale in (1, 4):
        big = [np.kron(a, np.ones((scale, scale))) for a in x]
        big = big if scale == 1 else [(b * 255).round().astype(np.uint8) for b in big]
        d = np.stack([images.as_digit(b) for b in big])
        err = np.abs(d - x).mean(axis=(1, 2))                 # mean absolute difference per digit
        assert np.median(err) < 1e-3 and err.max() < 0.01
    assert (_predict(classifier, d) == _predict(classifier, x)).mean() >= 0.995


@pytest.mark.parametrize("img", [
    np.pad(np.ones((10, 6), np.uint8) * 255, 9), np.pad(np.ones((40, 30, 3), np.uint8) * 200, ((30, 30), (25, 25), (0, 0))),
    np.pad(np.ones((20, 20, 4), np.uint8) * 255, ((18, 18), (18, 18), (0, 0))),
    np.pad(np.ones((10, 6, 1), np.float32), ((9, 9), (11, 11), (0, 0))),
    np.pad(np.full((100, 40), 50000, np.uint16), 100), np.pad(np.ones((6, 4), bool), ((1, 1), (2, 3))),
])
def test_any_reasonable_image_becomes_a_28x28_digit(img):
    d = images.as_digit(img)
    assert d.shape == (28, 28) and d.dtype == np.float32 and 0 <= d.min() <= d.max() == 1
    assert max(np.ptp(np.nonzero(d)[0]), np.ptp(np.nonzero(d)[1])) + 1 == 20   # longer side 20 px


def test_dark_digit_on_paper_is_inverted_and_16_bit_is_the_same_digit(mnist_test):
    paper = np.full((28, 28), 255, np.uint8)
    paper[10:18, 12:16] = 0
    d = images.as_digit(paper)
    assert d[14, 14] == 1 and d[0, 0] == 0
    digit = (mnist_test[0][5] * 255).round().astype(np.uint8)
    assert np.array_equal(images.as_digit(digit.astype(np.uint16) * 257), images.as_digit(digit))


def test_polarity_is_decided_against_the_border_not_the_mean():
    yy, xx = np.mgrid[0:100, 0:100]
    r = np.hypot(yy - 50, xx - 50)
    ring = ((r > 18) & (r < 46)).astype(np.float32)           # a thick bright "0", 60 % of a dark image
    assert ring.mean() > 0.5
    d = images.as_digit(ring)
    assert d[14, 14] == 0 and d[14, 4:24].max() == 1          # still a bright ring with a dark hole
    dim = np.full((60, 60), 0.45, np.float32)                 # dark ink on dim grey paper
    dim[15:45, 25:33] = 0.05
    assert images.as_digit(dim)[14, 14] == 1 and images.find_ink(dim)[0, 0] == 0


def _noisy(level, shape=(400, 600), seed=0):
    return np.clip(level + np.random.default_rng(seed).normal(0, 0.03, shape), 0, 1)


def _speck(size, shape=(400, 600)):
    img = _noisy(PAPER, shape)
    img[200:200 + size, 300:300 + size] = 0.05
    return img


@pytest.mark.parametrize("img, match", [
    (np.zeros((28, 28), np.uint8), "no digit found in the image: it is blank"),
    (np.full((28, 28), 255, np.uint8), "no digit found"), (np.full((50, 40, 3), 0.5), "no digit found"),
    (np.zeros((56, 56, 4), np.uint8), "no digit found"), (_noisy(0.5), "no digit found"),
    (_noisy(PAPER, (28, 28)), "no digit found"),
    (np.pad(np.ones((1, 1)), (13, 14)), r"too small for a digit \(1 px in a 1 x 1 box of 28 x 28\)"),
    (np.pad(np.ones((2, 3)), 12), "too small for a digit"), (_speck(1), "too small"), (_speck(5), "too small"),
    (np.full((28, 28), 1e30), r"values must lie in \[0, 1\] or \[0, 255\], got max 1e\+30"),
    (np.full((28, 28), -3.0), "got min -3"), (np.full((28, 28), np.inf), "NaN or infinite"),
    (np.full((28, 28), np.nan, np.float32), "NaN"), (np.full((28, 28), 70000, np.int64), "got max 70000"),
    (np.full((28, 28), -1, np.int8), r"\[0, 255\] or \[0, 65535\], got min -1"),
    (np.full((28, 28), "a"), "must hold numbers"), (np.zeros((28, 28), complex), "must hold numbers"),
    (None, "no image"), (np.zeros((28, 28, 2)), "grey or"), (np.zeros((5000, 10), np.uint8), "4096"),
    (np.zeros((0, 28)), "between 8"), (np.zeros((1, 1)), "between 8"), (np.array([[object()]]), "grey or"),
])
def test_bad_images_get_clear_errors(img, match):
    with pytest.raises(ValueError, match=match):
        images.as_digit(img)


def test_an_upload_bomb_is_refused_before_any_work():
    with pytest.raises(ValueError, match="between 8 and 4096 pixels per side, got \\(4097, 8\\)"):
        images.as_digit(np.zeros((4097, 8), np.uint8))


def test_editor_mask_marks_the_painted_region_hidden():
    layer = np.zeros((280, 280, 4), np.uint8)
    layer[:, :140, 3] = 255                                   # paint the left half
    m = images.mask_from_editor({"background": None, "layers": [layer], "composite": None})
    assert m.shape == (28, 28) and m[:, :14].max() == 0 and m[:, 14:].min() == 1


@pytest.mark.parametrize("value", [None, {}, {"layers": []}, {"layers": [np.zeros((280, 280, 4), np.uint8)]}])
def test_nothing_painted_is_none(value):
    assert images.mask_from_editor(value) is None


def test_a_drawn_stroke_becomes_a_centred_mnist_style_digit():
    layer = np.zeros((280, 280, 4), np.uint8)
    layer[20:120, 200:215, 3] = 255                           # a '1' drawn in the top-right corner
    d = images.digit_from_sketch({"layers": [layer]})
    ys, xs = np.nonzero(d)
    assert d.shape == (28, 28) and d.max() == 1
    assert ys.max() - ys.min() + 1 == 20                      # longer side scaled to 20 px
    assert abs(_com(d)[0] - 14) < 1 and abs(_com(d)[1] - 14) < 1
    upload = np.zeros((280, 280), np.uint8)
    upload[20:120, 200:215] = 255                             # the same stroke, uploaded
    assert np.array_equal(images.as_digit(upload), d)         # one pipeline for both
    with pytest.raises(ValueError, match="empty"):
        images.digit_from_sketch({"layers": [np.zeros((280, 280, 4), np.uint8)]})
    layer[:] = 0
    layer[100:103, 100:103, 3] = 255                          # a dot
    with pytest.raises(ValueError, match="too small"):
        images.digit_from_sketch({"layers": [layer]})

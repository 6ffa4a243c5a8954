"""User images and editor masks -> model inputs, with clear errors."""
import numpy as np
import pytest

from pwae_core import images


@pytest.mark.parametrize("img", [
    np.zeros((28, 28), np.uint8), np.zeros((100, 80, 3), np.uint8), np.zeros((56, 56, 4), np.uint8),
    np.zeros((28, 28, 1), np.float32), np.zeros((300, 300), np.uint16), np.zeros((8, 9), bool),
])
def test_any_reasonable_image_becomes_a_28x28_digit(img):
    d = images.as_digit(img)
    assert d.shape == (28, 28) and d.dtype == np.float32 and 0 <= d.min() <= d.max() <= 1


def test_dark_digit_on_paper_is_inverted_and_16_bit_is_scaled():
    paper = np.full((28, 28), 255, np.uint8)
    paper[10:18, 12:16] = 0
    d = images.as_digit(paper)
    assert d[14, 14] == 1 and d[0, 0] == 0
    assert images.as_digit(np.full((28, 28), 30000, np.uint16)).max() == pytest.approx(30000 / 65535)


@pytest.mark.parametrize("img, match", [
    (None, "no image"), (np.zeros((28, 28, 2)), "grey or"), (np.zeros((5000, 10), np.uint8), "4096"),
    (np.full((28, 28), np.nan, np.float32), "NaN"), (np.zeros((0, 28)), "between 8"), (np.zeros((1, 1)), "between 8"),
    (np.array([[object()]]), "grey or"),
])
def test_bad_images_get_clear_errors(img, match):
    with pytest.raises(ValueError, match=match):
        images.as_digit(img)


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
    assert abs((d.sum(1) @ np.arange(28)) / d.sum() - 14) < 1 and abs((d.sum(0) @ np.arange(28)) / d.sum() - 14) < 1
    with pytest.raises(ValueError, match="empty"):
        images.digit_from_sketch({"layers": [np.zeros((280, 280, 4), np.uint8)]})

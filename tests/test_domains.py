"""Translation domains (domains.py): grey dilation and the unpaired digit / thick-digit pair
with known test partners."""
import pytest
import torch

from pwae_core import data, domains


def test_thicken_is_a_grey_dilation():
    g = torch.Generator().manual_seed(0)
    im = torch.rand(4, 1, 28, 28, generator=g) * (torch.rand(4, 1, 28, 28, generator=g) > 0.9)
    assert torch.equal(domains.thicken(im, 1), im)
    t = domains.thicken(im, 3)
    assert t.shape == im.shape and (t >= im).all()
    dot = torch.zeros(1, 1, 28, 28)
    dot[0, 0, 10, 10] = 0.7
    assert domains.thicken(dot, 3).sum() == pytest.approx(9 * 0.7)      # a 3 x 3 square
    assert domains.thicken(dot, 5)[0, 0, 8:13, 8:13].eq(0.7).all()


@pytest.mark.parametrize("size", [0, 2, -1])
def test_thicken_refuses_even_or_non_positive_sizes(size):
    with pytest.raises(ValueError, match="odd integer >= 1"):
        domains.thicken(torch.zeros(1, 1, 28, 28), size)


def test_the_digit_domains_are_disjoint_halves_with_true_test_partners():
    p = domains.thick_digits()
    train, _ = data.mnist("train")
    assert p.x.shape == p.y.shape == (len(train) // 2, 784)
    assert p.x_test.shape == p.y_test.shape == (len(p.labels_test), 784)
    assert torch.equal(p.y_test, domains.thicken(p.x_test.view(-1, 1, 28, 28)).flatten(1))
    flat = train.flatten(1)
    thick = domains.thicken(train).flatten(1)
    exact = "donot_use_mm_for_euclid_dist"
    in_x = (torch.cdist(flat, p.x, compute_mode=exact) == 0).any(1)   # train digits in x
    in_y = (torch.cdist(thick, p.y, compute_mode=exact) == 0).any(1)
    assert in_x.sum() == in_y.sum() == len(train) // 2 and not (in_x & in_y).any()
    other = domains.thick_digits(seed=1)
    assert not torch.equal(other.x, p.x) and torch.equal(other.x_test, p.x_test)

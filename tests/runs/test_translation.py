"""Translation scores (runs.translation): the true map scores perfectly, the identity map
scores as the identity reference, and the exact OT assignment is the cheapest matching."""
import pytest
import torch

from pwae_core import domains
from pwae_core.runs import translation


class _Known:
    """Stand-in model: x -> thicken(x) (the true map), y -> y (the identity)."""

    def transport_xy(self, x):
        return domains.thicken(x.view(-1, 1, 28, 28)).flatten(1)

    def transport_yx(self, y):
        return y.clone()


class _Digits:
    def predict(self, im):                          # reads the class from a planted pixel
        return im[:, 0, 0, :21].argmax(1) // 2


@pytest.fixture(scope="module")
def pair():
    p = domains.thick_digits()
    k = 200
    x = p.x_test[:k].clone()
    lab = p.labels_test[:k]
    x.view(-1, 28, 28)[:, :2, :] = 0
    x.view(-1, 28, 28)[torch.arange(k), 0, 2 * lab + 1] = 1.0     # thickened: 2 lab .. 2 lab + 2
    y = domains.thicken(x.view(-1, 1, 28, 28)).flatten(1)
    return domains.DomainPair(p.x, p.y, x, y, lab)


def test_the_true_map_is_perfect_and_the_identity_matches_its_reference(pair):
    s = translation.scores(_Known(), pair, _Digits())
    assert s["xy"]["model"]["mse"] == 0 and s["xy"]["model"]["classes_kept"] == 1.0
    assert s["yx"]["model"] == s["yx"]["identity"]
    assert s["xy"]["identity"]["psnr"] < 25                  # thick vs thin differs
    assert s["xy"]["identity"]["cost"] == 0 and s["xy"]["identity"]["classes_kept"] == 1.0


def test_the_exact_assignment_is_the_cheapest_matching(pair):
    s = translation.scores(_Known(), pair)
    true_pairing = s["xy"]["model"]["cost"]                  # sum |x_i - y_i|^2 per image
    assert s["exact_cost"] <= true_pairing + 1e-6
    assert s["xy"]["exact_ot"]["cost"] == pytest.approx(s["exact_cost"])
    assert s["yx"]["exact_ot"]["cost"] == pytest.approx(s["exact_cost"])
    assert "classes_kept" not in s["xy"]["model"]

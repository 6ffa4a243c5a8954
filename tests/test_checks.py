"""pwae_core.checks: every validation error of the package is raised here, once, as a
ValueError naming the argument. Each function's errors are tested here (parametrised);
other test files only check that their layer routes bad input to these errors."""
import numpy as np
import pytest
import torch

from pwae_core import checks

NAN = float("nan")
INF = float("inf")

# (function, args, message regex): every ValueError of checks.py
BAD = [
    # to_tensor
    (checks.to_tensor, ("a string", "y"), "y must be a tensor or array, got str"),
    (checks.to_tensor, (None, "y"), "y must be a tensor or array, got NoneType"),
    (checks.to_tensor, (True, "y"), "y must be a tensor or array, got bool"),
    (checks.to_tensor, ([[1, 2], [3]], "y"), "y must be numeric"),
    # floats
    (checks.floats, ("1.0", "a"), "a must be a tensor or array, got str"),
    (checks.floats, (None, "a"), "a must be a tensor or array"),
    (checks.floats, (False, "a"), "a must be a tensor or array"),
    (checks.floats, (object(), "a"), "a must be numeric, got object"),
    (checks.floats, (np.array([0.0, NAN]), "a"), "a must contain only finite values"),
    (checks.floats, (torch.tensor([INF]), "a"), "a must contain only finite values"),
    # same_device (its floats of each pair)
    (checks.same_device, ((torch.zeros(2), "a"), ("b", "b")), "b must be a tensor or array"),
    # points
    (checks.points, (torch.tensor(1.0), "x"), "x must be a point set .* got a scalar"),
    (checks.points, (torch.zeros(0, 3), "x"), r"x must hold at least one point, got shape \(0, 3\)"),
    # samples
    (checks.samples, ("abc", "x"), "x must be a tensor or array"),
    (checks.samples, (torch.zeros(0, 2), "x"), r"x must have shape \(N, d\) with N, d >= 1"),
    (checks.samples, (torch.zeros(4, 0), "x"), r"x must have shape \(N, d\) with N, d >= 1"),
    (checks.samples, (torch.zeros(2, 3, 4), "x"), r"x must have shape \(N, d\)"),
    (checks.samples, (torch.zeros(4, 2), "x", 3), r"x must have shape \(N, 3\), got \(4, 2\)"),
    (checks.samples, (torch.full((4, 2), NAN), "x"), "x contains NaN or infinite values"),
    (checks.samples, (np.full((4, 2), -INF), "x"), "x contains NaN or infinite values"),
    # cloud (no conversion: a non-tensor or an integer tensor is refused)
    (checks.cloud, (np.zeros((3, 2)), "x"), r"x must be a torch.Tensor of shape \(N, d\), got ndarray"),
    (checks.cloud, (torch.zeros(3, 2, dtype=torch.long), "x"), "x must have a floating dtype"),
    (checks.cloud, (torch.zeros(3), "x"), r"x must have shape \(N, d\) with N, d >= 1, got \(3,\)"),
    (checks.cloud, (torch.zeros(0, 2), "x"), r"x must have shape \(N, d\) with N, d >= 1"),
    (checks.cloud, (torch.zeros(2, 0), "x"), r"x must have shape \(N, d\) with N, d >= 1"),
    (checks.cloud, (torch.tensor([[0.0, NAN]]), "x"), "x must be finite"),
    (checks.cloud, (torch.tensor([[0.0, INF]]), "x"), "x must be finite"),
    # images
    (checks.images, (np.zeros((2, 1, 28, 28)), "x"), r"x must be a tensor of shape \(B, 1, H, W\), got ndarray"),
    (checks.images, (torch.zeros(2, 28, 28), "x"), r"got \(2, 28, 28\)"),
    (checks.images, (torch.zeros(2, 3, 28, 28), "x"), r"got \(2, 3, 28, 28\)"),
    (checks.images, (torch.full((1, 1, 4, 4), NAN), "x"), "x contains NaN or infinite values"),
    # sample_count
    *[(checks.sample_count, (n, 10), r"n must be an integer in \[1, 10\]")
      for n in (0, -1, 11, 2.5, 3.0, True, "3", None)],
    # number
    *[(checks.number, (v, "sigma", 0.1, 1.1), r"sigma must be a number in \[0.1, 1.1\]")
      for v in ("abc", None, True, [0.5], NAN, INF, 0.05, 1.2, "2")],
    # whole
    (checks.whole, (2.5, "n", 1, 10), r"n must be a whole number in \[1, 10\], got 2.5"),
    (checks.whole, ("2.5", "n", 1, 10), "n must be a whole number"),
    (checks.whole, (11, "n", 1, 10), r"n must be a whole number in \[1, 10\], got 11"),
]


@pytest.mark.parametrize("fn, args, match", BAD,
                         ids=[f"{fn.__name__}-{i}" for i, (fn, _, _) in enumerate(BAD)])
def test_every_check_raises_a_value_error_naming_the_argument(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(*args)


def test_to_tensor_converts_arrays_and_numbers_and_keeps_tensors():
    t = torch.zeros(2, dtype=torch.float64)
    assert checks.to_tensor(t, "a") is t
    for a in ([1, 2], np.arange(3), 2, 0.5, np.float64(1.5), (1.0, 2.0)):
        assert checks.to_tensor(a, "a").dtype == torch.float32


def test_floats_casts_integers_and_keeps_float64():
    assert checks.floats(np.arange(3), "a").dtype == torch.get_default_dtype()
    assert checks.floats(np.zeros(3), "a").dtype == torch.float64
    assert torch.equal(checks.floats([1, 2], "a"), torch.tensor([1.0, 2.0]))


def test_same_device_promotes_to_one_dtype():
    a, b = checks.same_device((torch.zeros(2), "a"), (np.ones(2), "b"))
    assert a.dtype == b.dtype == torch.float64


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a second device")
def test_same_device_refuses_two_devices():
    with pytest.raises(ValueError, match="one device"):
        checks.same_device((torch.zeros(2), "a"), (torch.zeros(2, device="cuda"), "b"))


@pytest.mark.parametrize("shape, want", [((5,), (5, 1)), ((5, 3), (5, 3)), ((5, 1, 2, 3), (5, 6))])
def test_points_flattens_to_n_by_d(shape, want):
    assert checks.points(torch.zeros(shape), "x").shape == want


def test_samples_makes_float_columns():
    s = checks.samples(np.arange(4), "x")
    assert s.shape == (4, 1) and s.dtype == torch.float32
    assert checks.samples(torch.ones(3, 2, dtype=torch.float64), "x", dim=2).dtype == torch.float64


def test_cloud_and_images_accept_valid_input():
    assert checks.cloud(torch.zeros(3, 2), "x") is None
    assert checks.images(torch.zeros(2, 1, 28, 28)) is None


@pytest.mark.parametrize("n, want", [(1, 1), (10, 10), (np.int64(4), 4)])
def test_sample_count_accepts_whole_numbers_in_range(n, want):
    got = checks.sample_count(n, 10)
    assert got == want and type(got) is int


@pytest.mark.parametrize("v, want", [("0.5", 0.5), (1, 1.0), (np.float32(0.25), 0.25), (1.1, 1.1)])
def test_number_accepts_numbers_and_numeric_strings(v, want):
    assert checks.number(v, "sigma", 0.1, 1.1) == pytest.approx(want)


def test_whole_accepts_integral_floats():
    assert checks.whole(2.0, "n", 1, 10) == 2 and checks.whole("7", "n", 1, 10) == 7


def test_errors_never_echo_a_huge_input():
    with pytest.raises(ValueError) as e:
        checks.number("x" * 1_000_000, "sigma", 0, 1)
    assert len(str(e.value)) < 200 and "1000002 characters" in str(e.value)
    assert checks.short("abc") == "'abc'"
    assert checks.short("y" * 100).endswith("... (102 characters)")

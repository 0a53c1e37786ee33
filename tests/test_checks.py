"""lessonlib.checks: every check accepts what it should and names the argument when it refuses."""
import numpy as np
import pytest

from lessonlib.checks import InputError, finite_number, generator, one_of, positive_int


@pytest.mark.parametrize("bad", [0, -3, True, np.bool_(True), 3.0, "3", None])
def test_positive_int_refuses(bad):
    with pytest.raises(InputError, match=r"f: n must be a positive integer, got"):
        positive_int("f", "n", bad)


def test_positive_int_accepts_numpy_integers_and_minimum():
    assert positive_int("f", "n", np.int64(4)) == 4 and type(positive_int("f", "n", np.int64(4))) is int
    assert positive_int("f", "n", 0, minimum=0) == 0
    with pytest.raises(InputError, match="an integer >= 2"):
        positive_int("f", "n", 1, minimum=2)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "a", None, True, [1.0]])
def test_finite_number_refuses(bad):
    with pytest.raises(InputError, match=r"f: x must be a finite number, got"):
        finite_number("f", "x", bad)


def test_finite_number_bounds():
    assert finite_number("f", "x", 0, low=0) == 0.0
    with pytest.raises(InputError, match="> 0, got 0"):
        finite_number("f", "x", 0, low=0, low_open=True)
    with pytest.raises(InputError, match=">= 0, got -1"):
        finite_number("f", "x", -1, low=0)


def test_one_of_and_generator():
    assert one_of("f", "arch", "pre", ("pre", "post")) == "pre"
    with pytest.raises(InputError, match=r"unknown arch 'mid'; choose one of \['post', 'pre'\]$"):
        one_of("f", "arch", "mid", ("pre", "post"))
    assert one_of("f", "activation", np.tanh, ["relu"], or_function=True) is np.tanh
    with pytest.raises(InputError, match="or pass a function"):
        one_of("f", "activation", 3, ["relu"], or_function=True)
    rng = np.random.default_rng(0)
    assert generator("f", rng) is rng
    with pytest.raises(InputError, match="rng must be a numpy Generator"):
        generator("f", 0)


def test_input_error_is_value_and_type_error():
    assert issubclass(InputError, ValueError) and issubclass(InputError, TypeError)

"""Chapter 3's exercise checkers: one right answer and typical wrong ones, with the verdict text."""
import numpy as np
import pytest

from lessonlib import init
from lessonlib.exercises.initialization import (
    check_initializer, check_orthogonal, check_pyramid_ratios, check_slip_gain, check_uniform_limit)


# --------------------------------------------------------------------------- initializers

def he_right(fan_in, fan_out, *, rng):
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2 / fan_in)


@pytest.mark.parametrize("fn, scheme, expected", [
    (he_right, "he", "correct"),
    (lambda i, o, *, rng: init.xavier_normal(i, o, rng=rng), "xavier", "correct"),
    (lambda i, o, *, rng: rng.normal(0, 2 / i, (i, o)), "he", "the variance used as the standard deviation"),
    (lambda i, o, *, rng: rng.standard_normal((i, o)) * np.sqrt(2 / o), "he", "fan-out instead of fan-in"),
    (lambda i, o, *, rng: rng.standard_normal((i, o)) * np.sqrt(1 / i), "he", "off by a factor 2 (too small)"),
    (lambda i, o, *, rng: rng.standard_normal((o, i)) * np.sqrt(2 / i), "he", "the layer maps 512 -> 128"),
    (lambda i, o, *, rng: rng.standard_normal((i, o)) * np.sqrt(1 / i), "xavier", "that is the lecun variance"),
    (lambda i, o, *, rng: 1 + rng.standard_normal((i, o)) * np.sqrt(2 / i), "he", "mean 1"),
])
def test_check_initializer_verdicts(fn, scheme, expected, capsys):
    v = check_initializer(fn, scheme)
    assert expected in v.message
    assert v.ok is (expected == "correct")
    assert expected in capsys.readouterr().out           # the verdict is printed


def test_check_initializer_unattempted_and_raising():
    def starter(fan_in, fan_out, *, rng):
        raise NotImplementedError
    assert check_initializer(starter).ok is None
    assert check_initializer(...).ok is None
    assert check_initializer(lambda i, o, *, rng: None).message == "not attempted yet"
    v = check_initializer(lambda i, o: np.zeros((i, o)))                  # forgot the rng argument
    assert v.ok is False and "raised TypeError" in v.message


# --------------------------------------------------------------------------- orthogonal

def qr_with_sign_fix(n, *, rng):
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    return Q * np.sign(np.diag(R))


def test_check_orthogonal_right_and_wrong():
    assert check_orthogonal(qr_with_sign_fix).ok is True
    assert check_orthogonal(lambda n, *, rng: init.orthogonal(n, n, rng=rng)).ok is True
    no_fix = check_orthogonal(lambda n, *, rng: np.linalg.qr(rng.standard_normal((n, n)))[0])
    assert no_fix.ok is False and "sign fix" in no_fix.message
    def q_sign(n, *, rng):
        Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        return Q * np.sign(np.diag(Q))
    v = check_orthogonal(q_sign)
    assert v.ok is False and "diag(R), not diag(Q)" in v.message
    v = check_orthogonal(lambda n, *, rng: rng.standard_normal((n, n)) / np.sqrt(n))
    assert v.ok is False and "not orthogonal" in v.message
    v = check_orthogonal(lambda n, *, rng: qr_with_sign_fix(n, rng=np.random.default_rng(0)))
    assert v.ok is False and "same matrix" in v.message
    assert check_orthogonal(...).ok is None


# --------------------------------------------------------------------------- numbers

def test_check_uniform_limit():
    assert check_uniform_limit(lambda i, o: np.sqrt(6 / (i + o))).ok is True
    v = check_uniform_limit(lambda i, o: np.sqrt(2 / (i + o)))
    assert v.ok is False and "a^2/3" in v.message
    v = check_uniform_limit(lambda i, o: 2 / (i + o))
    assert v.ok is False and "Glorot's variance, not the limit" in v.message
    v = check_uniform_limit(lambda i, o: np.sqrt(6 / i))
    assert v.ok is False and v.message                    # a generic but precise reason
    def starter(fan_in, fan_out):
        raise NotImplementedError
    assert check_uniform_limit(starter).ok is None


def test_check_slip_gain():
    assert check_slip_gain(np.sqrt(np.pi / (np.pi - 1))).ok is True
    v = check_slip_gain(np.pi / (np.pi - 1))
    assert v.ok is False and "gain squared" in v.message
    v = check_slip_gain(np.sqrt(2 * np.pi / (np.pi - 1)))
    assert v.ok is False and "He's sqrt(2)" in v.message
    v = check_slip_gain(1.3)
    assert v.ok is False and "not right" in v.message
    assert check_slip_gain(...).ok is None


def test_check_pyramid_ratios():
    assert check_pyramid_ratios(0.25, 4.0).ok is True
    v = check_pyramid_ratios(1 / 16, 16)
    assert v.ok is False and "mean squares" in v.message
    v = check_pyramid_ratios(4.0, 0.25)
    assert v.ok is False and "inverted" in v.message
    v = check_pyramid_ratios(0.25, 2.0)
    assert v.ok is False and "backward (LeCun): correct" in v.message and "forward (fan-out)" in v.message
    assert check_pyramid_ratios(..., 4.0).ok is None
    v = check_pyramid_ratios(0.25, "4")
    assert v.ok is False and v.message == "expected a number for forward_fan_out, got str"


def test_check_initializer_names_an_unknown_scheme():
    with pytest.raises(ValueError, match=r"check_initializer: unknown scheme 'glorot'; choose one of \['he', "):
        check_initializer(lambda i, o, *, rng: None, "glorot")

"""Chapter 7's exercise checkers: one right answer, typical wrong answers (with the verdict's
reason), and an untouched starter (not attempted, no exception)."""
import numpy as np
import pytest

import lessonlib
from lessonlib.exercises import NOT_ATTEMPTED
from lessonlib.exercises.rnn import (check_clip_by_norm, check_half_memory, check_lstm_step,
                                     check_nonnormal, check_sigmoid_bound)
from lessonlib.recurrent import columns


# --- clip_by_norm -------------------------------------------------------------------------
def clip_right(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    return [g * min(1.0, max_norm / total) for g in grads]


def clip_per_array(grads, max_norm):
    return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]


def clip_always(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    return [g * max_norm / total for g in grads]


def clip_value(grads, max_norm):
    return [np.clip(g, -max_norm, max_norm) for g in grads]


def clip_starter(grads, max_norm):
    raise NotImplementedError


@pytest.mark.parametrize("fn, ok, words", [
    (clip_right, True, "correct"),
    (clip_per_array, False, "its own norm"),
    (clip_always, False, "never lengthens"),
    (clip_value, False, "clipping by value"),
    (lambda g, c: float(np.sqrt(sum(np.sum(x ** 2) for x in g))), False, "returned a number"),
    (clip_starter, None, NOT_ATTEMPTED),
    (..., None, NOT_ATTEMPTED),
])
def test_check_clip_by_norm(fn, ok, words, capsys):
    v = check_clip_by_norm(fn)
    assert v.ok is ok and words in v.message
    assert words in capsys.readouterr().out


# --- lstm_step ----------------------------------------------------------------------------
def _gates(x, h, W_xh, W_hh, b):
    n = h.shape[1]
    z = x @ W_xh + h @ W_hh + b
    return [columns(z, k * n, (k + 1) * n) for k in range(4)]


def lstm_right(x, h, c, W_xh, W_hh, b):
    zi, zf, zo, zg = _gates(x, h, W_xh, W_hh, b)
    i, f, o, g = lessonlib.sigmoid(zi), lessonlib.sigmoid(zf), lessonlib.sigmoid(zo), lessonlib.tanh(zg)
    c_new = f * c + i * g
    return o * lessonlib.tanh(c_new), c_new


def lstm_no_tanh(x, h, c, W_xh, W_hh, b):
    zi, zf, zo, zg = _gates(x, h, W_xh, W_hh, b)
    i, f, o, g = lessonlib.sigmoid(zi), lessonlib.sigmoid(zf), lessonlib.sigmoid(zo), lessonlib.tanh(zg)
    c_new = f * c + i * g
    return o * c_new, c_new


def lstm_swapped(x, h, c, W_xh, W_hh, b):
    zi, zf, zo, zg = _gates(x, h, W_xh, W_hh, b)
    i, f, o, g = lessonlib.sigmoid(zi), lessonlib.sigmoid(zf), lessonlib.sigmoid(zo), lessonlib.tanh(zg)
    c_new = i * c + f * g
    return o * lessonlib.tanh(c_new), c_new


def lstm_numpy(x, h, c, W_xh, W_hh, b):
    out = lstm_right(*(lessonlib.Tensor(t.data) for t in (x, h, c, W_xh, W_hh, b)))
    return out[0].data, out[1].data


def lstm_starter(x, h, c, W_xh, W_hh, b):
    raise NotImplementedError


@pytest.mark.parametrize("fn, ok, words", [
    (lstm_right, True, "check_grad"),
    (lstm_no_tanh, False, "tanh(c_t)"),
    (lstm_swapped, False, "swapped"),
    (lstm_numpy, False, "no gradient flows"),
    (lambda *a: a[0], False, "pair"),
    (lstm_starter, None, NOT_ATTEMPTED),
])
def test_check_lstm_step(fn, ok, words):
    v = check_lstm_step(fn, show=False)
    assert v.ok is ok and words in v.message, v.message


# --- numbers --------------------------------------------------------------------------------
@pytest.mark.parametrize("gamma, factor, ok, words", [
    (0.25, 0.875, True, "correct"),
    (1.0, 3.5, False, "tanh"),
    (0.5, 1.75, False, "the value"),
    (0.25, 1 / 0.875, False, "1/(gamma sigma_max)"),
    (0.25, 3.5, False, "sigma_max alone"),
    (..., ..., None, NOT_ATTEMPTED),
    (0.25, ..., None, NOT_ATTEMPTED),
    ("1/4", 0.875, False, "expected a number for gamma, got str"),      # a verdict, not a ValueError
])
def test_check_sigmoid_bound(gamma, factor, ok, words):
    v = check_sigmoid_bound(gamma, factor, show=False)
    assert v.ok is ok and words in v.message


def test_check_nonnormal():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((16, 16)) / 4
    W *= 0.9 / np.max(np.abs(np.linalg.eigvals(W)))
    sigma = np.linalg.norm(W, 2)
    assert check_nonnormal(W, sigma, 0.9, show=False).ok
    assert "spectral radius" in check_nonnormal(W, 0.9, 0.9, show=False).message
    assert "Frobenius" in check_nonnormal(W, np.linalg.norm(W), 0.9, show=False).message
    assert "Gelfand" in check_nonnormal(W, sigma, sigma, show=False).message
    assert check_nonnormal(W, ..., ..., show=False).ok is None
    assert check_nonnormal(W, sigma, [0.9, 0.8], show=False).message == "expected a number for the rate, got list"


@pytest.mark.parametrize("mse, ok, words", [
    (1 / 12, True, "correct"),
    (0.0834, True, "correct"),
    (1 / 6, False, "baseline"),
    (1 / np.sqrt(12), False, "standard deviation"),
    (1 / 3, False, "E[u1^2]"),
    (None, None, NOT_ATTEMPTED),
    ("1/12", False, "expected a number, got str"),
])
def test_check_half_memory(mse, ok, words):
    v = check_half_memory(mse, show=False)
    assert v.ok is ok and words in v.message

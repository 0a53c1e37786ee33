"""Chapter 5's exercise checkers: one right answer and typical wrong answers each."""
import numpy as np
import pytest

from lessonlib import Tensor, defvjp, primitive
from lessonlib.exercises import NOT_ATTEMPTED
from lessonlib.exercises.batch_norm import (
    bn_backward_reference, check_batch_of_two, check_bn_backward, check_chance_level, check_layer_norm)

P = [0.7, 0.2, 0.1]


def test_chance_level():
    right = -sum(p * np.log(p) for p in P)
    assert check_chance_level(right, P, show=False).ok
    v = check_chance_level(np.log(3), P, show=False)
    assert v.ok is False and "equally frequent" in v.message
    v = check_chance_level(right / np.log(2), P, show=False)
    assert v.ok is False and "bits" in v.message
    v = check_chance_level(-right, P, show=False)
    assert v.ok is False and "sign" in v.message
    assert check_chance_level(..., P, show=False).message == NOT_ATTEMPTED


def _forward(x, gamma, eps):
    mu = x.mean(axis=0)
    xmu = x - mu
    var = (xmu ** 2).mean(axis=0)
    std_inv = (var + eps) ** -0.5
    return xmu, var, std_inv, xmu * std_inv


def right_backward(x, gamma, g, eps=1e-5):
    N = x.shape[0]
    xmu, var, std_inv, x_hat = _forward(x, gamma, eps)
    dgamma, dbeta = (g * x_hat).sum(axis=0), g.sum(axis=0)
    dx_hat = g * gamma
    dxmu = dx_hat * std_inv
    dvar = -0.5 * (var + eps) ** -1.5 * (dx_hat * xmu).sum(axis=0)
    dxmu = dxmu + 2 * xmu / N * dvar
    return dxmu - dxmu.sum(axis=0) / N, dgamma, dbeta


def test_bn_backward_right_and_reference():
    assert check_bn_backward(right_backward, show=False).ok
    rng = np.random.default_rng(3)
    x, gamma, g = rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal((5, 3))
    for a, b in zip(right_backward(x, gamma, g), bn_backward_reference(x, gamma, g)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_bn_backward_typical_mistakes():
    def constant_stats(x, gamma, g, eps=1e-5):
        _, _, std_inv, x_hat = _forward(x, gamma, eps)
        return gamma * std_inv * g, (g * x_hat).sum(axis=0), g.sum(axis=0)

    def no_mean_path(x, gamma, g, eps=1e-5):
        dx, dgamma, dbeta = right_backward(x, gamma, g, eps)
        _, _, std_inv, _ = _forward(x, gamma, eps)
        return dx + gamma * std_inv * g.sum(axis=0) / x.shape[0], dgamma, dbeta

    def wrong_axis(x, gamma, g, eps=1e-5):
        dx, dgamma, _ = right_backward(x, gamma, g, eps)
        return dx, dgamma, g.sum(axis=1)

    v = check_bn_backward(constant_stats, show=False)
    assert v.ok is False and "constants" in v.message
    v = check_bn_backward(no_mean_path, show=False)
    assert v.ok is False and "batch mean" in v.message
    v = check_bn_backward(wrong_axis, show=False)
    assert v.ok is False and "axis 0" in v.message
    v = check_bn_backward(lambda x, gamma, g: tuple(2 * a for a in right_backward(x, gamma, g)), show=False)
    assert v.ok is False and "factor 2" in v.message


def test_bn_backward_unattempted_and_crashing():
    def starter(x, gamma, g):
        raise NotImplementedError
    assert check_bn_backward(starter, show=False).message == NOT_ATTEMPTED
    assert check_bn_backward(..., show=False).message == NOT_ATTEMPTED
    v = check_bn_backward(lambda x, gamma, g: x @ g, show=False)
    assert v.ok is False and "raised ValueError" in v.message


def _layer_norm(axis, good_vjp=True):
    @primitive
    def ln(x):
        centred = x - x.mean(axis=axis, keepdims=True)
        return centred / np.sqrt((centred ** 2).mean(axis=axis, keepdims=True) + 1e-5)

    def vjp(g, ans, x):
        n = x.shape[1]
        inv = 1 / np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
        extra = ans * (g * ans).sum(axis=1, keepdims=True) if good_vjp else 0
        return inv / n * (n * g - g.sum(axis=1, keepdims=True) - extra)

    defvjp(ln, vjp)
    return ln


def test_layer_norm():
    assert check_layer_norm(_layer_norm(1), show=False).ok
    v = check_layer_norm(_layer_norm(0), show=False)
    assert v.ok is False and "axis 0" in v.message
    v = check_layer_norm(_layer_norm(1, good_vjp=False), show=False)
    assert v.ok is False and "VJP disagrees" in v.message
    v = check_layer_norm(lambda t: t.data - t.data.mean(axis=1, keepdims=True), show=False)
    assert v.ok is False and "forward pass" in v.message

    @primitive
    def starter(x):
        raise NotImplementedError
    assert check_layer_norm(starter, show=False).message == NOT_ATTEMPTED

    def detached(t):                          # right values, but on a new leaf: x gets no gradient
        c = t.data - t.data.mean(axis=1, keepdims=True)
        return Tensor(c / np.sqrt((c ** 2).mean(axis=1, keepdims=True) + 1e-5), requires_grad=True)
    v = check_layer_norm(detached, show=False)
    assert v.ok is False and "no gradient" in v.message


def test_batch_of_two():
    right = lambda g1, g2, v, eps: (g1 - g2) / (2 * np.sqrt(v + eps)) * eps / (v + eps)
    assert check_batch_of_two(right, show=False).ok
    v = check_batch_of_two(lambda g1, g2, v, eps: 0.0, show=False)
    assert v.ok is False and "eps = 0" in v.message
    v = check_batch_of_two(lambda g1, g2, v, eps: -right(g1, g2, v, eps), show=False)
    assert v.ok is False and "sign" in v.message
    assert check_batch_of_two(..., show=False).message == NOT_ATTEMPTED

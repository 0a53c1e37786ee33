"""Chapter 8's exercise checkers: one right answer and typical wrong ones, with the verdict text."""
import numpy as np

from lessonlib import defvjp, primitive
from lessonlib.exercises.transformers import (check_causal_mask, check_dot_variance,
                                              check_layer_norm_backward, check_softmax_vjp)


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _make_softmax(vjp, forward=_softmax):
    @primitive
    def sm(x):
        return forward(x)
    defvjp(sm, vjp)
    return sm


def test_softmax_vjp():
    right = _make_softmax(lambda g, p, x: p * (g - np.sum(g * p, axis=-1, keepdims=True)))
    assert check_softmax_vjp(right, show=False).ok
    diag_only = _make_softmax(lambda g, p, x: g * p)
    v = check_softmax_vjp(diag_only, show=False)
    assert v.ok is False and "input" in v.message
    naive = _make_softmax(lambda g, p, x: p * (g - np.sum(g * p, axis=-1, keepdims=True)),
                          forward=lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True) * 1.0 + 0 * x)
    assert check_softmax_vjp(naive, show=False).ok      # no overflow at 50: still right
    wrong_forward = _make_softmax(lambda g, p, x: g, forward=lambda x: np.exp(x))
    assert "forward value is wrong" in check_softmax_vjp(wrong_forward, show=False).message
    assert check_softmax_vjp(..., show=False).ok is None


def test_dot_variance():
    kw = dict(d=32, var_q=2.0, var_k=0.5, show=False)
    assert check_dot_variance(32.0, **kw).ok
    assert "standard deviation" in check_dot_variance(np.sqrt(32.0), **kw).message
    assert "one term's variance" in check_dot_variance(1.0, **kw).message
    assert "not add them" in check_dot_variance(32 * 2.5, **kw).message
    assert check_dot_variance(..., **kw).ok is None
    assert "expected a number" in check_dot_variance("32", **kw).message


def _ln_backward(over=-1, drop=None, use_gamma=True):
    def fn(g, x, gamma, eps=1e-5):
        n = x.shape[over]
        sigma = np.sqrt(x.var(axis=over, keepdims=True) + eps)
        xh = (x - x.mean(axis=over, keepdims=True)) / sigma
        gh = gamma * g if use_gamma else g
        terms = n * gh
        if drop != "mean":
            terms = terms - gh.sum(over, keepdims=True)
        if drop != "var":
            terms = terms - xh * (gh * xh).sum(over, keepdims=True)
        return terms / (n * sigma)
    return fn


def test_layer_norm_backward():
    assert check_layer_norm_backward(_ln_backward(), show=False).ok
    assert "from the mean" in check_layer_norm_backward(_ln_backward(drop="mean"), show=False).message
    assert "from the variance" in check_layer_norm_backward(_ln_backward(drop="var"), show=False).message
    assert "gamma is missing" in check_layer_norm_backward(_ln_backward(use_gamma=False), show=False).message
    assert "BatchNorm" in check_layer_norm_backward(_ln_backward(over=0), show=False).message
    assert "factor 2" in check_layer_norm_backward(lambda g, x, gm: 2 * _ln_backward()(g, x, gm),
                                                   show=False).message
    assert "shape" in check_layer_norm_backward(lambda g, x, gm: g.T, show=False).message

    def unattempted(g, x, gamma):
        raise NotImplementedError
    assert check_layer_norm_backward(unattempted, show=False).ok is None


def test_causal_mask():
    T = 5
    right = np.where(np.tri(T, dtype=bool), 0.0, -1e9)
    assert check_causal_mask(right, T=T, show=False).ok
    assert check_causal_mask(np.where(np.tri(T, dtype=bool), 0.0, -np.inf), T=T, show=False).ok
    assert "transpose" in check_causal_mask(right.T, T=T, show=False).message
    assert "diagonal is masked" in check_causal_mask(np.where(np.tri(T, k=-1, dtype=bool), 0.0, -1e9),
                                                     T=T, show=False).message
    assert "nothing is masked" in check_causal_mask(np.zeros((T, T)), T=T, show=False).message
    assert "shape" in check_causal_mask(np.zeros((T, T + 1)), T=T, show=False).message
    assert check_causal_mask(..., T=T, show=False).ok is None

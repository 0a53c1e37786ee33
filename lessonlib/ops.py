r"""The op table: each elementwise op beside its vector-Jacobian product (chapters 1, 2, 4).

A VJP receives ``g`` = dL/d(output), the output ``ans`` and the inputs, and
returns dL/d(input) = g times the Jacobian. For an elementwise op the Jacobian is
diagonal (output entry $i$ depends on input entry $i$ alone), so the VJP is ``g``
times the derivative, entry by entry: ``g * ans`` for ``exp``, ``g * (x > 0)`` for
``relu``. Where an input was broadcast, the engine sums the result back to the
input's shape (``autodiff.unbroadcast``).

Here: arithmetic (``+ - * /``, ``neg``, ``power``), ``exp`` and ``log``, and the
nonlinearities ``tanh``, ``sigmoid``, ``relu`` and ``leaky_relu`` with their slopes.
The ops that combine or move entries across axes (``matmul``, ``transpose``,
``swapaxes``, ``reshape``, ``sum``, ``mean``, ``softmax``) are in
:mod:`lessonlib.array_ops` and importable from here too.
"""
from __future__ import annotations

import numbers

import numpy as np

from .array_ops import matmul, mean, reshape, softmax, sum, swapaxes, transpose
from .autodiff import Tensor, as_float_array, defvjp, primitive
from .checks import finite_number

__all__ = [
    "add", "sub", "mul", "div", "neg", "power", "exp", "log", "tanh", "sigmoid", "relu",
    "leaky_relu", "sigmoid_slope", "tanh_slope",
    # from array_ops:
    "matmul", "transpose", "swapaxes", "sum", "mean", "reshape", "softmax",
]


# --- arithmetic ------------------------------------------------------------------
@primitive
def add(a, b):
    r"""$a + b$"""
    return a + b


defvjp(add, lambda g, ans, a, b: g, lambda g, ans, a, b: g)


@primitive
def sub(a, b):
    r"""$a - b$"""
    return a - b


defvjp(sub, lambda g, ans, a, b: g, lambda g, ans, a, b: -g)


@primitive
def mul(a, b):
    r"""$a b$ (elementwise)"""
    return a * b


defvjp(mul, lambda g, ans, a, b: g * b, lambda g, ans, a, b: g * a)


@primitive
def div(a, b):
    r"""$a / b$ (elementwise)"""
    return a / b


# d(a/b)/db = -a/b^2 = -(a/b)/b
defvjp(div, lambda g, ans, a, b: g / b, lambda g, ans, a, b: -g * ans / b)


@primitive
def neg(a):
    r"""$-a$"""
    return -a


defvjp(neg, lambda g, ans, a: -g)


@primitive
def _power(a, *, p):
    return a ** p


def _power_vjp(g, ans, a, *, p):
    if p == 0:
        return np.zeros(np.broadcast_shapes(g.shape, a.shape))   # a**0 = 1 everywhere, also at 0
    return g * p * a ** (p - 1)


defvjp(_power, _power_vjp)


def power(a, p):
    r"""$a^p$ for a number $p$; $\partial a^p / \partial a = p a^{p-1}$."""
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real):
        raise TypeError(
            f"power: the exponent must be a number, got {type(p).__name__}; "
            "for a tensor exponent write exp(p * log(a))"
        )
    if not np.isfinite(p):
        raise ValueError(f"power: the exponent must be finite, got {p!r}")
    return _power(a, p=float(p))


# --- exp, log and the nonlinearities ---------------------------------------------------
@primitive
def exp(x):
    r"""$e^x$; its derivative is itself."""
    return np.exp(x)


defvjp(exp, lambda g, ans, x: g * ans)


@primitive
def _log(x):
    return np.log(x)


defvjp(_log, lambda g, ans, x: g / x)


def log(x):
    r"""$\ln x$ for $x > 0$; $\partial \ln x / \partial x = 1/x$."""
    values = as_float_array(x, "log")
    bad = ~(values > 0)
    if bad.any():
        raise ValueError(
            f"log: {int(bad.sum())} of {values.size} inputs are not positive "
            f"(smallest {np.min(values)}); log is defined for x > 0 only"
        )
    return _log(x)


@primitive
def tanh(x):
    r"""$\tanh x$"""
    return np.tanh(x)


def _tanh_vjp(g, ans, x):
    # tanh'(x) = 1 - tanh(x)^2: two array passes from the output we already have. Where
    # |tanh x| > 0.9 the subtraction loses digits (and gives exactly 0 for |x| > ~19), so
    # those entries, usually few, are recomputed from x in the tail-accurate form.
    square = ans * ans
    slope = np.asarray(1.0 - square)               # an array (writable) also for a 0-d input
    tail = square > 0.81
    if tail.any():
        slope[tail] = tanh_slope(np.asarray(x)[tail])
    return g * slope


defvjp(tanh, _tanh_vjp)


def tanh_slope(x):
    r"""$\tanh'(x) = 1 - \tanh^2 x = 4e/(1+e)^2$ with $e = e^{-2|x|}$, for a plain array:
    accurate in the tails, where $1 - \tanh^2 x$ rounds to exactly 0 ($|x| > 19$); at most 1."""
    e = np.exp(-2.0 * np.abs(np.asarray(x, dtype=np.float64)))
    return 4.0 * e / (1.0 + e) ** 2


@primitive
def sigmoid(x):
    r"""$\sigma(x) = 1/(1+e^{-x})$, computed without overflow for any $x$."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# σ'(x) = σ(x)(1-σ(x)) ≤ 1/4: the factor that compounds with depth (chapter 2).
# Written as e/(1+e)^2 with e = exp(-|x|), which stays accurate in the tails where
# 1 - σ(x) rounds to 0 (x > ~37). (1/(4 cosh^2(x/2)) is as accurate and faster, but
# rounds differently in the last bit, and chapter 5's lr = 0.3 batch-norm run, seed 1,
# then ends above its asserted loss: kept as it was.)
defvjp(sigmoid, lambda g, ans, x: g * sigmoid_slope(x))


def sigmoid_slope(x):
    r"""$\sigma'(x) = \sigma(x)(1 - \sigma(x))$ for a plain array, accurate in the tails; at most 1/4."""
    e = np.exp(-np.abs(x))
    return e / (1.0 + e) ** 2


@primitive
def relu(x):
    r"""$\max(x, 0)$; derivative 1 for $x > 0$ and 0 otherwise."""
    return np.maximum(x, 0.0)


defvjp(relu, lambda g, ans, x: g * (x > 0))


@primitive
def _leaky_relu(x, *, slope):
    return np.where(x > 0, x, slope * x)


defvjp(_leaky_relu, lambda g, ans, x, *, slope: g * np.where(x > 0, 1.0, slope))


def leaky_relu(x, slope=0.01):
    r"""$x$ for $x > 0$ and $\alpha x$ otherwise ($\alpha$ = ``slope``); derivative 1 or $\alpha$."""
    return _leaky_relu(x, slope=finite_number("leaky_relu", "slope", slope))


# --- Tensor methods -------------------------------------------------------------------
def _swap(op):
    return lambda self, other: op(other, self)


Tensor.__add__, Tensor.__radd__ = add, _swap(add)
Tensor.__sub__, Tensor.__rsub__ = sub, _swap(sub)
Tensor.__mul__, Tensor.__rmul__ = mul, _swap(mul)
Tensor.__truediv__, Tensor.__rtruediv__ = div, _swap(div)
Tensor.__pow__ = power
Tensor.__rpow__ = lambda self, base: power(base, self)   # raises: exponent must be a number
Tensor.__neg__ = neg

r"""Ops that combine or move entries across axes, each beside its vector-Jacobian product.

An elementwise op (:mod:`lessonlib.ops`) has a diagonal Jacobian: output entry $i$
depends on input entry $i$ alone. The ops here do not, so their VJPs move the gradient
between positions:

* the matrix product ``a @ b``: $\bar a = g\,b^\top$, $\bar b = a^\top g$ (chapter 1);
* ``transpose`` and ``swapaxes``: the gradient is transposed back;
* ``reshape``: the gradient is reshaped back;
* ``sum`` and ``mean`` over axes: each input entry receives the gradient of the result it
  went into ($g$, or $g/n$ for a mean of $n$ entries);
* ``softmax`` along an axis: Jacobian $\operatorname{diag}(p) - p p^\top$ (chapter 8).

All of them are also importable from :mod:`lessonlib.ops`, and this module attaches the
matching Tensor methods (``@``, ``.T``, ``.sum()``, ``.mean()``, ``.reshape()``,
``.swapaxes()``).
"""
from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from .autodiff import Tensor, as_float_array, defvjp, primitive

__all__ = ["matmul", "transpose", "swapaxes", "sum", "mean", "reshape", "softmax"]


# --- matrix product and transposes ------------------------------------------------------
def _as_2d(a, b):
    """View 1-D operands as a row (left) or a column (right) matrix."""
    return (a[None, :] if a.ndim == 1 else a), (b[:, None] if b.ndim == 1 else b)


@primitive
def _matmul(a, b):
    return a @ b


def _matmul_vjp_a(g, ans, a, b):
    if a.ndim == 3 or b.ndim == 3:                       # batched: (B, T, d) operands
        return g @ np.swapaxes(b, -1, -2)                # summed back to a's shape by the engine
    a2, b2 = _as_2d(a, b)
    ga = g.reshape(a2.shape[0], b2.shape[1]) @ b2.T
    return ga if a.ndim == 2 else ga.reshape(a.shape)   # (2-D: the product itself, no view)


def _matmul_vjp_b(g, ans, a, b):
    if a.ndim == 3 and b.ndim == 2:                      # (B, T, d) @ (d, e): sum over B and T at once
        return a.reshape(-1, a.shape[-1]).T @ g.reshape(-1, g.shape[-1])
    if a.ndim == 3 or b.ndim == 3:
        return np.swapaxes(a, -1, -2) @ g
    a2, b2 = _as_2d(a, b)
    gb = a2.T @ g.reshape(a2.shape[0], b2.shape[1])
    return gb if b.ndim == 2 else gb.reshape(b.shape)


# y = a @ b:  dL/da = g @ b^T,  dL/db = a^T @ g   (batched: per leading index, summed where shared)
defvjp(_matmul, _matmul_vjp_a, _matmul_vjp_b)


def matmul(a, b):
    r"""Matrix product $a b$ (``x @ W`` in the chapters).

    1-D and 2-D operands as in numpy; a batch of matrices (B, T, d) times a matrix
    (d, e) or times another batch (B, d, e) (attention, chapter 8). A (T, d) matrix
    times a batch (B, d, e) works too.
    """
    shape_a, shape_b = np.shape(as_float_array(a, "matmul")), np.shape(as_float_array(b, "matmul"))
    batched = len(shape_a) == 3 or len(shape_b) == 3
    if batched:
        if not (2 <= len(shape_a) <= 3 and 2 <= len(shape_b) <= 3):
            raise ValueError(
                "matmul: a batch of matrices (3-D) multiplies a 2-D or 3-D operand only; "
                f"got shapes {shape_a} and {shape_b}")
        if len(shape_a) == len(shape_b) == 3 and shape_a[0] != shape_b[0]:
            raise ValueError(f"matmul: batched shapes {shape_a} and {shape_b} hold different "
                             f"numbers of matrices ({shape_a[0]} != {shape_b[0]})")
    elif not (1 <= len(shape_a) <= 2 and 1 <= len(shape_b) <= 2):
        raise ValueError(
            f"matmul: lessonlib multiplies 1-D, 2-D and batched 3-D arrays only; got shapes {shape_a} and {shape_b}"
        )
    inner_a = shape_a[-1]
    inner_b = shape_b[-2] if len(shape_b) >= 2 else shape_b[0]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: shapes {shape_a} and {shape_b} do not line up ({inner_a} != {inner_b})"
        )
    return _matmul(a, b)


@primitive
def transpose(a):
    r"""$a^\top$ (all axes reversed)"""
    return a.T


defvjp(transpose, lambda g, ans, a: g.T)


@primitive
def _swapaxes(a, *, axis1, axis2):
    return np.swapaxes(a, axis1, axis2)


defvjp(_swapaxes, lambda g, ans, a, *, axis1, axis2: np.swapaxes(g, axis1, axis2))


def swapaxes(a, axis1=-1, axis2=-2):
    r"""``a`` with two axes exchanged (default: the last two, $k^\top$ per batch in attention)."""
    ndim = np.ndim(as_float_array(a, "swapaxes"))
    for label, ax in (("axis1", axis1), ("axis2", axis2)):
        if isinstance(ax, (bool, np.bool_)) or not isinstance(ax, numbers.Integral):
            raise TypeError(f"swapaxes: {label} must be an int, got {ax!r}")
        if not -ndim <= ax < ndim:
            raise ValueError(f"swapaxes: {label}={ax} is out of range for a tensor with {ndim} "
                             f"dimension(s) (shape {np.shape(as_float_array(a, 'swapaxes'))})")
    return _swapaxes(a, axis1=int(axis1), axis2=int(axis2))


# --- reductions and reshaping --------------------------------------------------------
def _expand_to(g, shape, axis, keepdims):
    """Undo a reduction: put the summed axes back and broadcast g over them."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, normalize_axis_tuple(axis, len(shape)))
    return np.broadcast_to(g, shape)


def _checked_axis(op, a, axis, keepdims):
    """``axis`` as None, an int or a tuple of distinct ints within ``a``'s dimensions."""
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"{op}: keepdims must be True or False, got {keepdims!r}")
    if axis is None:
        return None
    ndim = np.ndim(as_float_array(a, op))
    parts = axis if isinstance(axis, tuple) else (axis,)
    for ax in parts:
        if isinstance(ax, (bool, np.bool_)) or not isinstance(ax, numbers.Integral):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= ax < ndim:
            raise ValueError(f"{op}: axis {ax} is out of range for a tensor with {ndim} "
                             f"dimension(s) (shape {np.shape(as_float_array(a, op))})")
    if len({ax % ndim for ax in parts}) != len(parts):
        raise ValueError(f"{op}: axis {axis!r} names the same axis twice")
    return tuple(int(ax) for ax in parts) if isinstance(axis, tuple) else int(axis)


def _count(shape, axis):
    """How many entries each result of a reduction over ``axis`` combines."""
    if axis is None:
        return int(np.prod(shape))
    return int(np.prod([shape[ax] for ax in normalize_axis_tuple(axis, len(shape))]))


@primitive
def _sum(a, *, axis=None, keepdims=False):
    return np.sum(a, axis=axis, keepdims=keepdims)


def sum(a, axis=None, keepdims=False):
    r"""$\sum_i a_i$ over ``axis``; each input entry receives the output's gradient."""
    return _sum(a, axis=_checked_axis("sum", a, axis, keepdims), keepdims=bool(keepdims))


defvjp(_sum, lambda g, ans, a, *, axis=None, keepdims=False: _expand_to(g, a.shape, axis, keepdims))


@primitive
def _mean(a, *, axis=None, keepdims=False):
    if _count(a.shape, axis) == 0:
        raise ValueError(f"mean: the mean over axis={axis} of an empty array (shape {a.shape}) "
                         "has no entries to average")
    return np.mean(a, axis=axis, keepdims=keepdims)


def mean(a, axis=None, keepdims=False):
    r"""$\frac1n \sum_i a_i$ over ``axis``; each entry receives $g/n$.

    The mean of no numbers ($n = 0$) is undefined: an error, not numpy's nan.
    """
    return _mean(a, axis=_checked_axis("mean", a, axis, keepdims), keepdims=bool(keepdims))


defvjp(_mean, lambda g, ans, a, *, axis=None, keepdims=False:
       _expand_to(g, a.shape, axis, keepdims) / _count(a.shape, axis))


@primitive
def _reshape(a, *, shape):
    return np.reshape(a, shape)


defvjp(_reshape, lambda g, ans, a, *, shape: np.reshape(g, a.shape))


def reshape(a, *shape):
    """``a`` with a new shape holding the same entries (``reshape(a, 2, 3)`` or ``(2, 3)``)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if any(isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral) for n in shape):
        raise TypeError(f"reshape: the new shape must be integers, got {shape!r}")
    shape = tuple(int(n) for n in shape)
    if any(n < -1 for n in shape) or shape.count(-1) > 1:
        raise ValueError(f"reshape: sizes must be >= 0, with at most one -1 (inferred), got {shape}")
    old = np.shape(as_float_array(a, "reshape"))
    try:
        np.empty(old).reshape(shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape {old} ({int(np.prod(old))} entries) into {shape}"
        ) from None
    return _reshape(a, shape=shape)


# --- softmax: a normalization along one axis ---------------------------------------------
@primitive
def _softmax(x, *, axis):
    shifted = x - np.max(x, axis=axis, keepdims=True)    # log-sum-exp shift: exp never overflows
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


# Jacobian diag(p) - p p^T, so the VJP is  p * (g - <g, p>)  along the axis (chapter 8).
defvjp(_softmax, lambda g, p, x, *, axis: p * (g - np.sum(g * p, axis=axis, keepdims=True)))


def softmax(x, axis=-1):
    r"""$p_i = e^{x_i} / \sum_j e^{x_j}$ along ``axis``; Jacobian $\operatorname{diag}(p) - p p^\top$.

    Computed after subtracting the maximum along ``axis``, so logits of any size
    give no overflow (an entry of $-\infty$ gets probability 0; a row must hold a
    finite maximum).
    """
    data = as_float_array(x, "softmax")
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"softmax: axis must be an int, got {axis!r}")
    if not -data.ndim <= axis < max(data.ndim, 1) or data.ndim == 0:
        raise ValueError(f"softmax: axis {axis} is out of range for a tensor of shape {data.shape}")
    if data.shape[axis] == 0:
        raise ValueError(f"softmax: axis {axis} of shape {data.shape} is empty; there is nothing to normalize")
    if np.isnan(data).any() or np.isposinf(data).any():
        raise ValueError(f"softmax: the logits hold {int(np.isnan(data).sum())} nan and "
                         f"{int(np.isposinf(data).sum())} +inf entries; softmax needs finite logits")
    if not np.isfinite(np.max(data, axis=axis)).all():
        raise ValueError("softmax: some row along the axis is -inf everywhere; at least one logit must be finite")
    return _softmax(x, axis=int(axis))


# --- Tensor methods -------------------------------------------------------------------
Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda self, other: matmul(other, self)
Tensor.T = property(transpose)
Tensor.sum = lambda self, axis=None, keepdims=False: sum(self, axis=axis, keepdims=keepdims)
Tensor.mean = lambda self, axis=None, keepdims=False: mean(self, axis=axis, keepdims=keepdims)
Tensor.reshape = reshape
Tensor.swapaxes = swapaxes

r"""How a Tensor behaves with Python and numpy: indexing, truth, comparison, copies.

* ``t[key]`` is the op :func:`index`, with its VJP: the gradient goes back to the
  entries that were picked, and an entry picked twice receives both
  contributions (``np.add.at``). Useful for sequences: ``for x_t in X: ...``.
* ``len(t)`` is the length of the first axis, a ``TypeError`` for a 0-d tensor.
* ``bool(t)``, ``t == u``, ``t < u``, ... raise for every shape: a truth value
  or an elementwise comparison drops out of the graph, so compare ``t.data``
  (or ``t.item()``) explicitly. Tensors hash by identity.
* ``np.asarray(t)`` is a copy of the values (autodiff does not track it).
  numpy's ufuncs and functions called on a Tensor (``np.exp(t)``, ``np.sum(t)``)
  raise an error naming the lessonlib function to use, because their result
  would carry no gradient; ``ndarray + Tensor`` and the other operators work.
* ``copy.deepcopy`` copies the whole graph, however deep; ``pickle`` stores a
  tensor without a graph and refuses one that is part of a graph.
"""
from __future__ import annotations

import copy

import numpy as np

from . import ops
from .autodiff import Tensor, as_float_array, defvjp, primitive, topological_order

__all__ = ["index"]


# --- indexing as an op ----------------------------------------------------------------
@primitive
def _index(a, *, key):
    return np.array(a[key])          # a copy: indexing with slices would alias a's values


def _index_vjp(g, ans, a, *, key):
    out = np.zeros(a.shape)
    np.add.at(out, key, g)           # an entry picked twice gets both gradients
    return out


defvjp(_index, _index_vjp)


def _check_key(key, shape):
    parts = key if isinstance(key, tuple) else (key,)
    for part in parts:
        if isinstance(part, Tensor):
            raise TypeError("index: index with integers, slices or an integer/boolean numpy "
                            "array, not a Tensor (use t.data.astype(int) for computed indices)")
        if isinstance(part, (bool, np.bool_)) or (isinstance(part, float)):
            raise TypeError(f"index: {part!r} is not a valid index (use integers or slices)")
    try:
        np.empty(shape)[key]
    except (IndexError, TypeError, ValueError) as err:
        raise IndexError(f"index: {key!r} does not index a tensor of shape {shape}: {err}") from None


def index(a, key):
    """``a[key]`` as an op: basic and integer-array indexing, with its gradient."""
    shape = np.shape(as_float_array(a, "index"))
    _check_key(key, shape)
    if isinstance(key, np.ndarray):
        key = key.copy()             # the graph keeps the key: the caller's array may change
    return _index(a, key=key)


def _iter(self):
    if self.ndim == 0:
        raise TypeError("iter: a 0-d tensor (a single number) has no entries to iterate over")
    return (index(self, i) for i in range(self.shape[0]))


def _len(self):
    if self.ndim == 0:
        raise TypeError("len: a 0-d tensor (a single number) has no length; use .size or .item()")
    return self.shape[0]


def _setitem(self, key, value):
    raise TypeError("Tensor does not support item assignment: write t.data[key] = value to "
                    "change the values (no gradient flows through that), or build a new "
                    "tensor from ops")


def _no_truth(self):
    raise TypeError(
        f"bool: the truth value of a Tensor (shape {self.shape}) is not defined for any "
        "shape; compare the values explicitly, e.g. t.item() > 0 or (t.data > 0).all()")


def _no_comparison(symbol):
    def compare(self, other):
        raise TypeError(
            f"Tensor {symbol} : comparisons are not defined on Tensors (they would have no "
            f"gradient); compare the values, t.data {symbol} ..., or test identity with `is`")
    return compare


def _as_array(self, dtype=None, copy=None):
    if copy is False:
        raise ValueError("np.asarray(t, copy=False): a Tensor always gives a copy of its "
                         "values; use t.data for the (tracked) values themselves")
    return np.array(self._value, dtype=dtype)


# --- numpy functions: point to the lessonlib op -----------------------------------------------
_BINARY = {np.add: ops.add, np.subtract: ops.sub, np.multiply: ops.mul, np.true_divide: ops.div,
           np.matmul: ops.matmul}
_UNARY = {np.negative: ops.neg, np.positive: lambda a: a}
_ALTERNATIVE = {"exp": "lessonlib.exp(t)", "log": "lessonlib.log(t)", "tanh": "lessonlib.tanh(t)",
                "maximum": "lessonlib.relu(t) (for max(t, 0))", "power": "t ** p",
                "square": "t * t", "sqrt": "t ** 0.5", "sum": "t.sum(axis=...)",
                "mean": "t.mean(axis=...)", "reshape": "t.reshape(...)",
                "transpose": "t.T", "dot": "t @ u", "matmul": "t @ u"}


def _array_ufunc(self, ufunc, method, *inputs, out=None, **kwargs):
    name = ufunc.__name__
    if out is None and method == "__call__" and not kwargs:
        if ufunc in _BINARY and len(inputs) == 2:
            return _BINARY[ufunc](*inputs)            # ndarray + Tensor: the Tensor op
        if ufunc in _UNARY:
            return _UNARY[ufunc](inputs[0])
        if ufunc is np.power and not isinstance(inputs[1], Tensor):
            return ops.power(inputs[0], inputs[1])
    use = _ALTERNATIVE.get(name, "a lessonlib op (see lessonlib.ops), or apply numpy to t.data")
    raise TypeError(f"np.{name}: numpy cannot differentiate through a lessonlib Tensor; "
                    f"use {use}" + ("" if "t.data" in use else
                                    ", or np." + name + "(t.data) for plain values without a gradient"))


def _array_function(self, func, types, args, kwargs):
    name = func.__name__
    if func in (np.shape, np.ndim, np.size):
        return func(*(a._value if isinstance(a, Tensor) else a for a in args), **kwargs)
    use = _ALTERNATIVE.get(name, "a lessonlib op (see lessonlib.ops)")
    raise TypeError(f"np.{name}: numpy cannot differentiate through a lessonlib Tensor; use "
                    f"{use}, or np.{name}(t.data) for plain values without a gradient")


# --- copies -----------------------------------------------------------------------------
def _deepcopy(self, memo):
    """Copy the graph behind ``self`` parents first, so that no copy recurses deeper than one level."""
    for node in topological_order(self):
        if id(node) in memo:
            continue
        new = Tensor.__new__(Tensor)
        memo[id(node)] = new
        state = {k: v for k, v in vars(node).items() if k not in ("_view", "_parents", "_saved")}
        new.__dict__.update(copy.deepcopy(state, memo))
        new._view = None
        new._parents = tuple((memo[id(p)], i) for p, i in node._parents)
        new._saved = tuple((i, copy.deepcopy(t, memo), v) for i, t, v in node._saved)
    return memo[id(self)]


def _copy(self):
    new = Tensor.__new__(Tensor)
    new.__dict__.update(vars(self))
    new._view = None
    return new


def _getstate(self):
    if self._op is not None:
        n = len(topological_order(self))
        raise TypeError(
            f"pickle: this tensor is the output of {_named_op(self)} in a graph of {n} tensors, "
            "and lessonlib does not pickle graphs (their ops may be functions defined in a "
            "notebook). Pickle its values (t.data) or a fresh leaf, Tensor(t.data), or the "
            "model's parameters instead")
    state = dict(vars(self))
    state["_view"] = None
    return state


def _named_op(t):
    return t._op.__name__.lstrip("_")


Tensor.__getitem__ = index
Tensor.__setitem__ = _setitem
Tensor.__iter__ = _iter
Tensor.__len__ = _len
Tensor.__bool__ = _no_truth
Tensor.__eq__, Tensor.__ne__ = _no_comparison("=="), _no_comparison("!=")
Tensor.__lt__, Tensor.__le__ = _no_comparison("<"), _no_comparison("<=")
Tensor.__gt__, Tensor.__ge__ = _no_comparison(">"), _no_comparison(">=")
Tensor.__hash__ = object.__hash__
Tensor.__array__ = _as_array
Tensor.__array_ufunc__ = _array_ufunc
Tensor.__array_function__ = _array_function
Tensor.__deepcopy__ = _deepcopy
Tensor.__copy__ = _copy
Tensor.__getstate__ = _getstate

r"""Array helpers of the engine (private): in-place tracking, dtypes, broadcasting.

**In-place tracking.**
``Tensor.data`` hands out a :class:`TrackedArray`: an ordinary float64 numpy
array (a *view* of the tensor's values, so writes reach the tensor) that adds
one to its tensor's **version counter** whenever it is written in place
(``t.data[...] = 0``, ``t.data -= lr * g``, ``np.copyto(t.data, x)``,
``np.add(a, b, out=t.data)``, ``t.data.fill(0)``). Every op records the version
of each input when it runs; ``backward()`` compares, and refuses to compute a
gradient from values that changed since the forward pass (torch does the same
with its ``_version``). Reading costs nothing extra: arithmetic on a
TrackedArray returns plain arrays.

What is *not* seen: a write through a plain array taken with ``np.asarray``
or ``.view(np.ndarray)``, which deliberately opts out.
"""
from __future__ import annotations

import numbers
import weakref

import numpy as np

__all__ = ["TrackedArray", "tracked_view", "plain", "ValueHolder", "as_float_array", "unbroadcast",
           "stamp", "unaliased", "named_error"]


class ValueHolder:
    """The base class of :class:`lessonlib.autodiff.Tensor`: its float64 values are in ``_value``."""

    _value: np.ndarray


def plain(a):
    """``a`` as a plain ndarray (the same memory) if it is a TrackedArray."""
    return a.view(np.ndarray) if isinstance(a, TrackedArray) else a


def tracked_view(value, tensor):
    """A TrackedArray over ``value`` that reports writes to ``tensor``."""
    view = value.view(TrackedArray)
    view._owner = weakref.ref(tensor)
    return view


def _written(a):
    """Called before ``a`` is written in place: refuse read-only data, count the write."""
    if not isinstance(a, TrackedArray):
        return
    if not a.flags.writeable:
        raise ValueError(
            "Tensor.data: these values are read-only, because they are a view of another "
            "tensor's values (e.g. the output of reshape, transpose or indexing); change "
            "that tensor instead, or work on a copy (t.data.copy())")
    owner = a._owner() if a._owner is not None else None
    if owner is not None:
        owner._version += 1


class TrackedArray(np.ndarray):
    """A float64 ndarray whose in-place writes advance its tensor's version counter."""

    _owner = None

    def __array_finalize__(self, obj):
        owner = getattr(obj, "_owner", None)
        # a view keeps its tensor (its writes reach the tensor); a copy forgets it
        self._owner = owner if owner is not None and np.may_share_memory(self, obj) else None

    def __repr__(self):
        return repr(self.view(np.ndarray))

    def __reduce__(self):                       # pickled as the plain array it holds
        return self.view(np.ndarray).__reduce__()

    def __setitem__(self, key, value):
        _written(self)
        np.ndarray.__setitem__(self.view(np.ndarray), key, plain(value))

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if method == "at":
            _written(inputs[0])
        if out is not None:
            for o in out:
                _written(o)
            kwargs["out"] = tuple(plain(o) for o in out)
        result = getattr(ufunc, method)(*(plain(x) for x in inputs), **kwargs)
        if out is not None and method != "at":
            return out[0] if len(out) == 1 else out
        return result

    def __array_function__(self, func, types, args, kwargs):
        if func in _WRITES_FIRST_ARGUMENT and args:
            _written(args[0])
        out = kwargs.get("out")
        for o in out if isinstance(out, tuple) else (out,):
            _written(o)
        return super().__array_function__(func, types, args, kwargs)

    def copy(self, order="C"):
        return self.view(np.ndarray).copy(order)

    __copy__ = copy

    def __deepcopy__(self, memo):
        return self.view(np.ndarray).copy()

    def fill(self, value):
        _written(self)
        self.view(np.ndarray).fill(value)

    def sort(self, *args, **kwargs):
        _written(self)
        self.view(np.ndarray).sort(*args, **kwargs)

    def put(self, *args, **kwargs):
        _written(self)
        self.view(np.ndarray).put(*args, **kwargs)

    def partition(self, *args, **kwargs):
        _written(self)
        self.view(np.ndarray).partition(*args, **kwargs)


_WRITES_FIRST_ARGUMENT = {np.copyto, np.put, np.place, np.putmask, np.fill_diagonal,
                          np.put_along_axis}


# --- dtypes and broadcasting ----------------------------------------------------------------
def as_float_array(value, op: str) -> np.ndarray:
    """Return ``value`` as a float64 ndarray, or raise an error naming ``op``.

    Python numbers and nested lists of numbers are read as float64, and float
    arrays of any precision are widened to float64 (no information is lost).
    Integer, boolean, complex and object arrays are refused rather than cast:
    an integer array where floats are expected is usually a bug (labels passed
    as data, or ``np.arange`` used as weights).
    """
    if isinstance(value, ValueHolder):
        return value._value
    if isinstance(value, np.ndarray):
        value = plain(value) if isinstance(value, TrackedArray) else np.asarray(value)
        if value.dtype == np.float64:
            return value
        if np.issubdtype(value.dtype, np.floating):
            return value.astype(np.float64)
        raise TypeError(
            f"{op}: expected floating-point data, got an array of dtype {value.dtype} "
            f"with shape {value.shape}; convert it explicitly, e.g. np.asarray(x, dtype=float)"
        )
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: expected a number or float array, got the boolean {value!r}")
    if isinstance(value, numbers.Real):
        return np.asarray(float(value))
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:   # e.g. ragged nested lists
        raise TypeError(
            f"{op}: expected numbers or a float array, got {type(value).__name__} ({err})"
        ) from None
    if array.dtype.kind not in "iuf":        # None would silently become nan; '1' a string
        odd = [x for x in array.flat if isinstance(x, bool) or not isinstance(x, numbers.Real)]
        if array.dtype.kind == "O" and not odd:
            return array.astype(np.float64)  # plain numbers numpy keeps as objects (10**30)
        raise TypeError(
            f"{op}: expected numbers, got a {type(value).__name__} of {array.dtype} values"
            + (f" such as {odd[0]!r} ({type(odd[0]).__name__})" if odd else "")
        )
    return array.astype(np.float64)


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` down to ``shape``: the VJP of numpy broadcasting.

    If ``x`` of shape ``(4,)`` was broadcast against ``(3, 4)``, each entry of
    ``x`` was used three times, so its gradient is the sum of the three copies.
    A ``grad`` that is no broadcast of ``shape`` is returned unchanged (the caller
    reports the mismatch).
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        return grad
    if extra > 0:
        grad = np.asarray(grad.sum(axis=tuple(range(extra))))  # stays an array when 0-d
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


# --- what the engine checks on an op's inputs and outputs --------------------------------
def stamp(array) -> float:
    """A fingerprint of a numpy array that an op used as it is (the caller still holds it):
    its sum, which any write of a new value changes (a copy would cost more: measured ~5%
    of a training step whose batch is a numpy array)."""
    return float(np.add.reduce(array, axis=None))


def unaliased(ans, raw):
    """An op's output that is a view of an input (reshape, transpose) is made read-only,
    so that writing to it cannot change the input behind the engine's back."""
    if ans.base is not None and any(np.may_share_memory(ans, r) for r in raw):
        ans = ans.view()
        ans.flags.writeable = False
    return ans


def named_error(err, where, shapes):
    """``err`` with the op's name in front (once), as the same type of exception if possible."""
    text = str(err)
    if text.startswith(where.split(" ")[0] + ":") or text.startswith("backward"):
        message = text
    else:
        message = f"{where}: inputs of shapes {shapes}: {text}"
    for kind in type(err).__mro__:            # some of numpy's exception types take other
        try:                                  # arguments: then a base type (TypeError, ...)
            new = kind(message)
        except Exception:
            continue
        if str(new) == message:
            return new
    return RuntimeError(message)

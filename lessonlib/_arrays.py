r"""How a Tensor notices that its values were changed in place (private).

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

import weakref

import numpy as np

__all__ = ["TrackedArray", "tracked_view", "plain"]


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

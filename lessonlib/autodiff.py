r"""A float64 reverse-mode automatic differentiation engine (chapter 1).

A :class:`Tensor` wraps a float64 numpy array. Every operation on tensors is a
*primitive*: a plain numpy function paired with its vector-Jacobian products
(VJPs), registered with :func:`defvjp`. Calling a primitive records which
tensors it was computed from; :meth:`Tensor.backward` then walks that graph
from the output back to the inputs, multiplying by one Jacobian per step:

.. math::

    \bar{x} = \bar{y}\,\frac{\partial y}{\partial x}
    \qquad\text{(the chain rule, applied once per node)}

This module holds the engine and nothing else: :class:`Tensor` with its
``backward()``, :func:`primitive`, :func:`defvjp` and :func:`topological_order`.
The operator methods of :class:`Tensor` (``+``, ``@``, indexing, ...) are attached
by :mod:`lessonlib.ops`, :mod:`lessonlib.array_ops` and :mod:`lessonlib.interop`;
this module never imports them. Two private modules hold the rest: the checks
``backward()`` makes on its way (``lessonlib._guards``) and the dtype, broadcasting
and in-place-tracking helpers (``lessonlib._arrays``).
"""
from __future__ import annotations

import functools

import numpy as np

from . import anomaly
from ._arrays import (ValueHolder, as_float_array, named_error, stamp, tracked_view, unaliased,
                      unbroadcast)
from ._guards import check_versions, op_name, run_vjp, seed_grad, stored_grad

__all__ = ["Tensor", "primitive", "defvjp", "as_float_array", "unbroadcast", "topological_order"]


class Tensor(ValueHolder):
    """A float64 array that remembers how it was computed.

    ``data`` is the value, ``grad`` is dL/d(this tensor) after ``backward()``
    (``None`` before), and ``requires_grad`` says whether gradients flow to it.

    **Changing values.** ``data`` is writable, and every in-place write
    (``t.data[...] = 0``, ``t.data -= lr * t.grad``) counts as a new *version*
    of the tensor. A graph built before the change would compute its gradient
    from the new values, so ``backward()`` then refuses with an error naming the
    tensor and the op that used it: change parameters after ``backward()``
    (that is where ``optimizer.step()`` goes) and run the forward pass again.
    Assigning a new array (``t.data = values``) stores a copy and leaves
    existing graphs intact. A numpy array passed to an op is kept as it is when
    large (above 4,096 entries) and checked by its sum, which notices any change
    of value except a permutation of the entries; a small one is copied.

    **Python protocols**, the same for every shape: ``len(t)`` is the length of
    the first axis (a ``TypeError`` for a 0-d tensor, as in numpy); ``t[i]`` is
    an op with a gradient; ``bool(t)``, ``t == u`` and ``t < u`` raise (compare
    ``t.data`` or ``t.item()``), and ``hash`` is identity; ``np.asarray(t)`` gives
    a copy of the values, which autodiff does not track.
    """

    def __init__(self, data, requires_grad: bool = False, name: str | None = None):
        self._value = np.array(as_float_array(data, "Tensor"))  # a copy: never alias the caller's array
        self.requires_grad = bool(requires_grad)
        self.name = name
        self.grad = None
        self._version = 0     # how many times the values were changed in place
        self._view = None     # the TrackedArray handed out as .data
        self._op = None       # the primitive that made this tensor (None for a leaf)
        self._parents = ()    # ((tensor, argnum), ...) for inputs that require grad
        self._args = ()       # raw positional inputs of the op, for its VJPs
        self._kwargs = {}
        self._saved = ()      # ((argnum, tensor, its version when the op ran), ...)

    @property
    def data(self):
        """The values: a float64 array whose in-place changes the engine notices."""
        if self._view is None:
            self._view = tracked_view(self._value, self)
        return self._view

    @data.setter
    def data(self, values):
        if values is self._view and values is not None:
            return                  # ``t.data -= x`` hands the same (already updated) view back
        self._value = np.array(as_float_array(values, "Tensor.data"))
        self._view = None

    # --- reverse mode --------------------------------------------------------
    def backward(self, grad=None) -> None:
        """Fill ``.grad`` of every tensor this one depends on, by reverse mode.

        ``grad`` is the seed dL/d(self); it defaults to 1 for a one-element
        tensor. Every tensor in the graph with ``requires_grad`` (inputs and
        intermediate results alike) receives its gradient in ``.grad``.

        Gradients **accumulate**: calling ``backward()`` twice on the same graph
        adds the same gradient a second time, so ``.grad`` doubles. This is what
        lets a tensor used in several places (``x * x``) collect the sum of its
        contributions; call ``zero_grad()`` between training steps.
        """
        grad = seed_grad(self, grad)        # 1 for a one-number output, else the grad you pass
        pending = {id(self): grad}          # gradients not yet pushed to parents
        for node in reversed(topological_order(self)):
            g = pending.pop(id(node), None)
            if g is None:
                continue
            node.grad = stored_grad(g if node.grad is None else node.grad + g, node)
            if node._parents:
                check_versions(node)        # refuse if an input changed since the forward pass
            for parent, argnum in node._parents:
                g_parent = run_vjp(node, g, parent, argnum)     # g times this op's Jacobian
                prev = pending.get(id(parent))
                pending[id(parent)] = g_parent if prev is None else prev + g_parent

    def zero_grad(self) -> None:
        """Forget the gradient accumulated so far (``grad`` becomes ``None``)."""
        self.grad = None

    # --- plain array facts -------------------------------------------------
    shape = property(lambda self: self._value.shape)
    ndim = property(lambda self: self._value.ndim)
    size = property(lambda self: self._value.size)

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self._value.size != 1:
            raise ValueError(f"item: only a one-element tensor has one value; this one has shape {self.shape}")
        return self._value.item()

    def __repr__(self):
        body = np.array2string(self._value, precision=4, separator=", ", threshold=20)
        if self._value.size == 0:
            body += f", shape={self.shape}"     # "[]" alone hides an empty (0, 4)
        flag = ", requires_grad=True" if self.requires_grad else ""
        op = f", op={op_name(self._op)}" if self._op is not None else ""
        name = f", name={self.name!r}" if self.name else ""
        return f"Tensor({body}{flag}{op}{name})"


def primitive(fun):
    """Turn a numpy function into a Tensor operation that records its inputs.

    Positional arguments are the data the result depends on (Tensors, numbers
    or float arrays); keyword arguments are fixed settings such as ``axis``.
    Give it its VJPs with :func:`defvjp`.
    """
    name = fun.__name__.lstrip("_")   # _matmul reports itself as matmul

    @functools.wraps(fun)
    def op(*args, **kwargs):
        raw = tuple(a._value if type(a) is Tensor else as_float_array(a, name) for a in args)
        try:
            ans = fun(*raw, **kwargs)
        except Exception as err:        # a learner's primitive, or shapes that do not fit: say which op
            raise named_error(err, name, " and ".join(str(r.shape) for r in raw)) from err
        if type(ans) is not np.ndarray or ans.dtype != np.float64:
            ans = as_float_array(ans, name)
        if anomaly.on() and not np.isfinite(ans).all():
            raise FloatingPointError(anomaly.forward_report(name, raw, ans))
        if ans.base is not None:        # a view of an input (reshape, transpose): made read-only
            ans = unaliased(ans, raw)
        out = Tensor.__new__(Tensor)
        out.grad, out.name, out._version, out._view, out._value = None, None, 0, None, ans
        parents = [(a, i) for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        out._parents = tuple(parents)
        out.requires_grad = bool(parents)
        if parents:
            out._op, out._kwargs = op, kwargs
            out._args, out._saved = _kept(args, raw)
        else:
            out._op, out._args, out._kwargs, out._saved = None, (), {}, ()
        return out

    op.vjps = ()
    return op


def defvjp(op, *vjps) -> None:
    """Register ``op``'s VJPs, one per positional argument.

    Each is called as ``vjp(g, ans, *args, **kwargs)`` with plain ndarrays:
    ``g`` is dL/d(output), ``ans`` the output, ``args`` the op's inputs. It
    returns dL/d(that argument); a result in the broadcast shape is summed back.
    """
    if not hasattr(op, "vjps"):
        raise TypeError(f"defvjp: {getattr(op, '__name__', op)!r} is not a @primitive")
    bad = [i for i, v in enumerate(vjps) if v is not None and not callable(v)]
    if bad:
        raise TypeError(f"defvjp({op_name(op)}): the VJP for argument {bad[0]} is "
                        f"{type(vjps[bad[0]]).__name__}, not a function")
    op.vjps = tuple(vjps)


def topological_order(root: Tensor) -> list:
    """Tensors reachable from ``root``, each after all of its parents.

    Iterative depth-first search, so a 10,000-op chain needs no recursion.
    """
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p, _ in node._parents if id(p) not in seen)
    return order


# --- what an op keeps for backward() -------------------------------------------------------
def _kept(args, raw):
    """What an op keeps for backward(): its raw inputs, and a way to tell later that one changed.

    ``backward()`` runs after the forward pass, and a VJP such as ``g * b`` reads the
    inputs again. Had one been changed in between, the gradient would be computed from
    values the forward pass never saw, without any error. So the op records, per input:

    * a Tensor: its version counter (each in-place write adds one), compared in backward();
    * a numpy array the caller still holds, if small (up to 4,096 entries): a private copy,
      which nothing else can change;
    * such an array, if large: its sum, as a fingerprint compared in backward(). Copying
      large arrays too would be simpler, but a new 512 kB buffer every step costs page
      faults: the training step ran 8-37% slower with the copies (benchmarks/README.md).
    """
    saved = []
    for i, a in enumerate(args):
        if type(a) is Tensor or isinstance(a, Tensor):
            saved.append((i, a, a._version))
        elif isinstance(a, np.ndarray):
            r = raw[i]              # (an array converted to float64 is already a new array)
            if r.size <= 4096:
                if r is a or r.base is not None:
                    raw = raw[:i] + (r.copy(),) + raw[i + 1:]
            else:
                saved.append((i, r, stamp(r)))
    return raw, tuple(saved)

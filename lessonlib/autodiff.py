r"""A float64 reverse-mode automatic differentiation engine (chapter 1).

A :class:`Tensor` wraps a float64 numpy array. Every operation on tensors is a
*primitive*: a plain numpy function paired with its vector-Jacobian products
(VJPs), registered with :func:`defvjp`. Calling a primitive records which
tensors it was computed from; :meth:`Tensor.backward` then walks that graph
from the output back to the inputs, multiplying by one Jacobian per step:

.. math::

    \bar{x} = \bar{y}\,\frac{\partial y}{\partial x}
    \qquad\text{(the chain rule, applied once per node)}

The operator methods of :class:`Tensor` (``+``, ``@``, ...) are attached by
:mod:`lessonlib.ops`, which holds the op table; this module never imports it.
"""
from __future__ import annotations

import functools
import numbers

import numpy as np

from . import anomaly

__all__ = ["Tensor", "primitive", "defvjp", "as_float_array", "unbroadcast", "topological_order"]


def as_float_array(value, op: str) -> np.ndarray:
    """Return ``value`` as a float64 ndarray, or raise an error naming ``op``.

    Python numbers and nested lists of numbers are read as float64, and float
    arrays of any precision are widened to float64 (no information is lost).
    Integer, boolean, complex and object arrays are refused rather than cast:
    an integer array where floats are expected is usually a bug (labels passed
    as data, or ``np.arange`` used as weights).
    """
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, np.ndarray):
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
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = np.asarray(grad.sum(axis=tuple(range(extra))))  # stays an array when 0-d
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


class Tensor:
    """A float64 array that remembers how it was computed.

    ``data`` is the value, ``grad`` is dL/d(this tensor) after ``backward()``
    (``None`` before), and ``requires_grad`` says whether gradients flow to it.
    """

    __array_ufunc__ = None  # make ``ndarray + Tensor`` call Tensor.__radd__

    def __init__(self, data, requires_grad: bool = False):
        self.data = np.array(as_float_array(data, "Tensor"))  # a copy: never alias the caller's array
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._op = None       # the primitive that made this tensor (None for a leaf)
        self._parents = ()    # ((tensor, argnum), ...) for inputs that require grad
        self._args = ()       # raw positional inputs of the op, for its VJPs
        self._kwargs = {}

    # --- plain array facts -------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        return self.data.item()

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20)
        if self.data.size == 0:
            body += f", shape={self.shape}"     # "[]" alone hides an empty (0, 4)
        flag = ", requires_grad=True" if self.requires_grad else ""
        op = f", op={self._op.__name__}" if self._op is not None else ""
        return f"Tensor({body}{flag}{op})"

    # --- reverse mode --------------------------------------------------------
    def zero_grad(self) -> None:
        """Forget the gradient accumulated so far (``grad`` becomes ``None``)."""
        self.grad = None

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
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward: the output has shape {self.shape}, so there is no default "
                    "seed; reduce it to a scalar first (e.g. .sum() or a loss) or pass "
                    f"grad= an array of shape {self.shape}"
                )
            grad = np.ones_like(self.data)
        else:
            grad = np.array(as_float_array(grad, "backward"))  # a copy of the caller's seed
            if grad.shape != self.shape:
                raise ValueError(
                    f"backward: the seed grad has shape {grad.shape} but the output has "
                    f"shape {self.shape}"
                )
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not depend on any tensor created with "
                "requires_grad=True, so there is nothing to differentiate"
            )
        pending = {id(self): grad}          # gradients not yet pushed to parents
        for node in reversed(topological_order(self)):
            g = pending.pop(id(node), None)
            if g is None:
                continue
            node.grad = _stored(g if node.grad is None else node.grad + g, node)
            for parent, argnum in node._parents:
                vjps = node._op.vjps
                vjp = vjps[argnum] if argnum < len(vjps) else None
                if vjp is None:
                    raise NotImplementedError(
                        f"{node._op.__name__}: no VJP for argument {argnum} (see defvjp)"
                    )
                g_parent = _checked_vjp(node, vjp, g, parent, argnum)
                prev = pending.get(id(parent))
                pending[id(parent)] = g_parent if prev is None else prev + g_parent


def _is_fresh(out, g, node) -> bool:
    """True when a VJP's result is a new array that nothing else refers to.

    Pass-throughs (``add`` returns ``g``), views (``g.T``, ``broadcast_to``) and the
    node's own arrays are shared; a product such as ``g @ W.T`` is fresh.
    """
    return (out.base is None and out is not g and out is not node.data
            and all(out is not a for a in node._args))


def _stored(g, node):
    """The array kept in ``node.grad``.

    A parameter (a leaf) gets its own writable array, so in-place edits such as
    gradient clipping (``p.grad *= c``) touch nothing else (``_checked_vjp``
    copies any shared array on its way to a leaf). An intermediate result gets a
    read-only view: its gradient may be the very array passed on to its inputs
    (``add`` passes ``g`` through), so editing it is refused.
    """
    if anomaly.on() and not np.isfinite(g).all():  # each part was finite, so their sum is not
        raise FloatingPointError(anomaly.sum_report(node._op, g))
    if not node._parents:
        return np.asarray(g)            # (numpy returns a scalar for 0-d sums)
    view = np.asarray(g).view()
    view.flags.writeable = False
    return view


def _checked_vjp(node, vjp, g, parent, argnum):
    """Run one VJP and sum its result back to the parent's shape."""
    out = vjp(g, node.data, *node._args, **node._kwargs)
    if out is None:
        raise TypeError(f"{_name(node)}: the VJP for argument {argnum} returned None; "
                        "did it forget `return`?")
    out = unbroadcast(np.asarray(out, dtype=np.float64), parent.shape)
    if out.shape != parent.shape:
        raise ValueError(
            f"{_name(node)}: the VJP for argument {argnum} returned shape {out.shape}, "
            f"but that input has shape {parent.shape}"
        )
    if not parent._parents and (out.size < 1024 or not _is_fresh(out, g, node)):
        out = np.array(out)             # a leaf's grad is its own (small: a copy is cheaper
                                        # than finding out whether it is needed)
    if anomaly.on() and not np.isfinite(out).all():
        raise FloatingPointError(anomaly.backward_report(_name(node), argnum, g, out, node._args))
    return out


def _name(node) -> str:
    return node._op.__name__.lstrip("_")   # _matmul reports itself as matmul


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


def primitive(fun):
    """Turn a numpy function into a Tensor operation that records its inputs.

    Positional arguments are the data the result depends on (Tensors, numbers
    or float arrays); keyword arguments are fixed settings such as ``axis``.
    Give it its VJPs with :func:`defvjp`.
    """
    name = fun.__name__.lstrip("_")   # _matmul reports itself as matmul

    @functools.wraps(fun)
    def op(*args, **kwargs):
        raw = tuple(as_float_array(a, name) for a in args)
        try:
            ans = fun(*raw, **kwargs)
        except ValueError as err:  # e.g. shapes that do not broadcast: say which op
            shapes = " and ".join(str(r.shape) for r in raw)
            raise ValueError(f"{name}: inputs of shapes {shapes}: {err}") from None
        if not (isinstance(ans, np.ndarray) and ans.dtype == np.float64):
            ans = as_float_array(ans, name)
        if anomaly.on() and not np.isfinite(ans).all():
            raise FloatingPointError(anomaly.forward_report(name, raw, ans))
        out = Tensor.__new__(Tensor)
        out.data, out.grad = ans, None
        out._parents = tuple(
            (a, i) for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad
        )
        out.requires_grad = bool(out._parents)
        if out.requires_grad:
            out._op, out._args, out._kwargs = op, raw, kwargs
        else:
            out._op, out._args, out._kwargs = None, (), {}
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
    op.vjps = tuple(vjps)

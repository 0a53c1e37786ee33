r"""A float64 reverse-mode automatic differentiation engine (chapter 1).

A :class:`Tensor` wraps a float64 numpy array. Every operation on tensors is a
*primitive*: a plain numpy function paired with its vector-Jacobian products
(VJPs), registered with :func:`defvjp`. Calling a primitive records which
tensors it was computed from; :meth:`Tensor.backward` then walks that graph
from the output back to the inputs, multiplying by one Jacobian per step:

.. math::

    \bar{x} = \bar{y}\,\frac{\partial y}{\partial x}
    \qquad\text{(the chain rule, applied once per node)}

The operator methods of :class:`Tensor` (``+``, ``@``, indexing, ...) are attached
by :mod:`lessonlib.ops` and :mod:`lessonlib.interop`; this module never imports them.
The engine comes first, then the checks ``backward()`` makes on its way; the dtype
and broadcasting helpers live in the private module ``lessonlib._arrays``.
"""
from __future__ import annotations

import functools
import numbers

import numpy as np

from . import anomaly
from ._arrays import (ValueHolder, as_float_array, named_error, plain, stamp, tracked_view,
                      unaliased, unbroadcast)

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
    existing graphs intact.

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
        grad = _seed(self, grad)
        pending = {id(self): grad}          # gradients not yet pushed to parents
        for node in reversed(topological_order(self)):
            g = pending.pop(id(node), None)
            if g is None:
                continue
            node.grad = _stored(g if node.grad is None else node.grad + g, node)
            if node._parents:
                _check_versions(node)
            for parent, argnum in node._parents:
                g_parent = _checked_vjp(node, g, parent, argnum)
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
        op = f", op={_name(self)}" if self._op is not None else ""
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
        out = Tensor.__new__(Tensor)
        out.grad, out.name, out._version, out._view = None, None, 0, None
        out._parents = tuple(
            (a, i) for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad
        )
        out.requires_grad = bool(out._parents)
        out._value = unaliased(ans, raw)
        if out.requires_grad:
            out._op, out._kwargs = op, kwargs
            out._args = raw
            out._saved = tuple((i, a, a._version) if isinstance(a, Tensor) else (i, r, stamp(r))
                               for i, (a, r) in enumerate(zip(args, raw))
                               if isinstance(a, (Tensor, np.ndarray)))
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
        raise TypeError(f"defvjp({_name_of(op)}): the VJP for argument {bad[0]} is "
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


# --- what backward() checks on its way ---------------------------------------------------
def _seed(out, grad):
    if grad is None:
        if out._value.size != 1:
            raise ValueError(
                f"backward: the output has shape {out.shape}, so there is no default "
                "seed; reduce it to a scalar first (e.g. .sum() or a loss) or pass "
                f"grad= an array of shape {out.shape}"
            )
        grad = np.ones_like(out._value)
    else:
        grad = np.array(as_float_array(grad, "backward"))  # a copy of the caller's seed
        if grad.shape != out.shape:
            raise ValueError(f"backward: the seed grad has shape {grad.shape} but the output "
                             f"has shape {out.shape}")
    if not out.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not depend on any tensor created with "
            "requires_grad=True, so there is nothing to differentiate"
        )
    return grad


def _check_versions(node):
    """Refuse to differentiate through values that changed after the forward pass."""
    for i, t, v in node._saved:
        now = t._version if isinstance(t, Tensor) else stamp(t)
        if now != v and not (now != now and v != v):       # (a sum that is nan stays nan)
            break
    else:
        if not node._version:
            return
        i, t, v, now = None, node, 0, node._version
    if isinstance(t, np.ndarray):
        what = (f"its input {i}, a numpy array of shape {t.shape} (its sum went from {v:.6g} "
                f"to {now:.6g})")
    else:
        role = f"its output ({_describe(t)})" if i is None else f"its input {i} ({_describe(t)})"
        what = f"{role}, changed in place since (version {v} -> {now})"
    raise RuntimeError(
        f"backward: {_name(node)} used {what}: the array was changed in place after the "
        "forward pass, so its gradient would be computed from values the forward pass never "
        "used. Change tensors only after backward() (call optimizer.step() after "
        "loss.backward()), then run the forward pass again; to keep a graph, assign a new "
        "array instead (t.data = new_values), or pass np.copy(x) to the op."
    )


def _describe(t) -> str:
    what = f"{t.name!r}, " if t.name else ""
    made = f"the output of {_name(t)}" if t._op is not None else "a leaf tensor"
    return f"{what}{made}, shape {t.shape}"


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


def _checked_vjp(node, g, parent, argnum):
    """Run one VJP and sum its result back to the parent's shape."""
    vjps = node._op.vjps
    vjp = vjps[argnum] if argnum < len(vjps) else None
    if vjp is None:
        raise NotImplementedError(f"{_name(node)}: no VJP for argument {argnum} (see defvjp)")
    try:
        out = vjp(g, node._value, *node._args, **node._kwargs)
    except Exception as err:
        raise named_error(err, f"backward through {_name(node)} (the VJP for argument {argnum})",
                     " and ".join(str(np.shape(a)) for a in node._args)) from err
    if out is None:
        raise TypeError(f"{_name(node)}: the VJP for argument {argnum} returned None; "
                        "did it forget `return`?")
    try:
        out = np.asarray(plain(out), dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{_name(node)}: the VJP for argument {argnum} returned "
                        f"{type(out).__name__}, not an array of numbers") from None
    out = unbroadcast(out, parent.shape)
    if out.shape != parent.shape:
        raise ValueError(
            f"{_name(node)}: the VJP for argument {argnum} returned shape {out.shape}, "
            f"but that input has shape {parent.shape} (and {out.shape} is not a broadcast "
            "of it that could be summed back)"
        )
    # A leaf's grad must be its own array, because clipping edits it in place. A matmul's
    # fresh product (g @ W.T) already is; copying it anyway costs a new 512 kB buffer per
    # weight per step, and fresh buffers mean page faults: copying the two 512 kB inputs
    # of a step was measured 8-30% slower (benchmarks/README.md). So copy only what may
    # be shared (and small arrays, where the copy is cheaper than the check).
    if not parent._parents and (out.size < 1024 or not _is_fresh(out, g, node)):
        out = np.array(out)
    if anomaly.on() and not np.isfinite(out).all():
        raise FloatingPointError(anomaly.backward_report(_name(node), argnum, g, out, node._args))
    return out


def _is_fresh(out, g, node) -> bool:
    """True when a VJP's result is a new array that nothing else refers to.

    Pass-throughs (``add`` returns ``g``), views (``g.T``, ``broadcast_to``) and the
    node's own arrays are shared; a product such as ``g @ W.T`` is fresh.
    """
    return (out.base is None and out is not g and out is not node._value
            and all(out is not a for a in node._args))


def _name_of(op) -> str:
    return getattr(op, "__name__", str(op)).lstrip("_")


def _name(node) -> str:
    return _name_of(node._op)   # _matmul reports itself as matmul

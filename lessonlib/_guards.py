r"""What ``backward()`` checks on its way (private to :mod:`lessonlib.autodiff`).

:meth:`lessonlib.autodiff.Tensor.backward` is a short loop: seed, walk the graph
backwards, call each VJP, add up. Around that loop sit four guards, so that a
mistake becomes an error that names the op instead of a wrong number:

* :func:`seed_grad`: the seed has the output's shape (or the output is one number);
* :func:`check_versions`: no input of an op was changed in place since the forward pass;
* :func:`run_vjp`: a VJP returned an array of numbers of its input's shape
  (after summing away broadcasting), and gave no nan or inf under ``detect_anomaly``;
* :func:`stored_grad`: what ends up in ``.grad`` is safe to edit (a parameter's) or
  read-only (an intermediate result's, which may be shared with another tensor).
"""
from __future__ import annotations

import numpy as np

from . import anomaly
from ._arrays import as_float_array, named_error, plain, stamp, unbroadcast

__all__ = ["seed_grad", "check_versions", "stored_grad", "run_vjp", "op_name"]


def op_name(op) -> str:
    """The name an op reports in messages: ``_matmul`` reports itself as ``matmul``."""
    return getattr(op, "__name__", str(op)).lstrip("_")


def seed_grad(out, grad):
    """dL/d(out) to start ``backward()`` from: 1 for a one-element output, else ``grad``."""
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


def check_versions(node):
    """Refuse to differentiate through values that changed after the forward pass.

    ``node._saved`` holds, for each input the op kept, its version counter (a Tensor)
    or its sum (a large numpy array) at the time the op ran.
    """
    for i, t, v in node._saved:
        now = t._version if type(t) is not np.ndarray else stamp(t)
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
        f"backward: {op_name(node._op)} used {what}: the array was changed in place after the "
        "forward pass, so its gradient would be computed from values the forward pass never "
        "used. Change tensors only after backward() (call optimizer.step() after "
        "loss.backward()), then run the forward pass again; to keep a graph, assign a new "
        "array instead (t.data = new_values), or pass np.copy(x) to the op."
    )


def _describe(t) -> str:
    what = f"{t.name!r}, " if t.name else ""
    made = f"the output of {op_name(t._op)}" if t._op is not None else "a leaf tensor"
    return f"{what}{made}, shape {t.shape}"


def stored_grad(g, node):
    """The array kept in ``node.grad``.

    A parameter (a leaf) gets its own writable array, so in-place edits such as
    gradient clipping (``p.grad *= c``) touch nothing else (:func:`run_vjp`
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


def run_vjp(node, g, parent, argnum):
    """Run one VJP of ``node``'s op and sum its result back to the parent's shape."""
    vjps = node._op.vjps
    vjp = vjps[argnum] if argnum < len(vjps) else None
    if vjp is None:
        raise NotImplementedError(f"{op_name(node._op)}: no VJP for argument {argnum} "
                                  "(see defvjp)")
    try:
        out = vjp(g, node._value, *node._args, **node._kwargs)
    except Exception as err:
        where = f"backward through {op_name(node._op)} (the VJP for argument {argnum})"
        raise named_error(err, where, " and ".join(str(np.shape(a)) for a in node._args)) from err
    if out is None:
        raise TypeError(f"{op_name(node._op)}: the VJP for argument {argnum} returned None; "
                        "did it forget `return`?")
    try:
        if type(out) is not np.ndarray or out.dtype != np.float64:
            out = np.asarray(plain(out), dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{op_name(node._op)}: the VJP for argument {argnum} returned "
                        f"{type(out).__name__}, not an array of numbers") from None
    out = unbroadcast(out, parent.shape)
    if out.shape != parent.shape:
        raise ValueError(
            f"{op_name(node._op)}: the VJP for argument {argnum} returned shape {out.shape}, "
            f"but that input has shape {parent.shape} (and {out.shape} is not a broadcast "
            "of it that could be summed back)"
        )
    # A parameter's .grad must be an array of its own, because clipping edits it in place
    # (p.grad *= c). Copying every gradient would be the simple rule, but a large copy
    # costs a fresh buffer each step, and fresh buffers cost page faults: copying two
    # 512 kB arrays per step made the training step 8-30% slower (benchmarks/README.md).
    # So copy only an array that may be shared with something else (see _is_fresh), and
    # any small one (below 1,024 entries a copy is cheaper than the check).
    if not parent._parents and (out.size < 1024 or not _is_fresh(out, g, node)):
        out = np.array(out)
    if anomaly.on() and not np.isfinite(out).all():
        raise FloatingPointError(anomaly.backward_report(op_name(node._op), argnum, g, out,
                                                         node._args))
    return out


def _is_fresh(out, g, node) -> bool:
    """True when a VJP's result is a new array that nothing else refers to.

    Shared: a pass-through (``add``'s VJP returns ``g`` itself), a view (``g.T``,
    ``broadcast_to``) and the node's own arrays. Fresh: a product such as ``g @ W.T``.
    """
    return (out.base is None and out is not g and out is not node._value
            and all(out is not a for a in node._args))

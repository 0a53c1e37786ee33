r"""Anomaly mode: find the first operation that made a nan or an inf.

Outside anomaly mode, non-finite values flow through as numpy makes them
(overflow to ``inf``, ``0/0`` and ``inf - inf`` to ``nan``), and a loss that
prints ``nan`` says nothing about where it came from. Inside ::

    from lessonlib.anomaly import detect_anomaly

    with detect_anomaly():
        loss = lessonlib.mse(model(x), y)
        loss.backward()

the first op whose result is not finite raises ``FloatingPointError`` naming the
op, the shapes of its inputs and the first bad entry. Forward, that is an op
with a non-finite output; backward, a VJP whose result is not finite although
the gradient it received was. Every result costs one extra ``isfinite`` pass,
so the mode is off by default.
"""
from __future__ import annotations

import contextlib
import contextvars

import numpy as np

__all__ = ["detect_anomaly"]

# A context variable rather than a module-level flag: it is restored when the block
# exits (also on an exception) and is separate for each thread and asyncio task.
_ON = contextvars.ContextVar("lessonlib_detect_anomaly", default=False)


@contextlib.contextmanager
def detect_anomaly():
    """Inside this block, the first op that makes a nan or an inf raises FloatingPointError."""
    token = _ON.set(True)
    try:
        yield
    finally:
        _ON.reset(token)


# on() is True inside ``with detect_anomaly():``. The engine asks once per op and per
# gradient, so it is the context variable's own getter: as cheap as a call can be.
on = _ON.get


def _count_bad(a) -> str:
    a = np.asarray(a)
    n_nan, n_inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
    return " and ".join(f"{n} {kind}" for n, kind in ((n_nan, "nan"), (n_inf, "inf")) if n)


def _first_bad(a):
    """Index of the first non-finite entry of ``a`` (a tuple; () for 0-d)."""
    a = np.asarray(a)
    return np.unravel_index(int(np.argmin(np.isfinite(a))), a.shape)


def _at(index) -> str:
    return f"; the first at index {list(map(int, index))}" if index else ""


def forward_report(name, raw, ans) -> str:
    """Why an op's output is not finite: bad data coming in, or the op itself."""
    for i, r in enumerate(raw):
        if not np.isfinite(r).all():
            return (f"detect_anomaly: {name} received non-finite values in its input {i} "
                    f"(shape {r.shape}: {_count_bad(r)}{_at(_first_bad(r))}); they come from "
                    "the data or from a tensor computed outside detect_anomaly()")
    where = _first_bad(ans)
    values = ""
    if all(r.shape == ans.shape for r in raw):        # elementwise: show the inputs there
        values = f" (inputs there: {', '.join(repr(float(r[where])) for r in raw)})"
    shapes = ", ".join(str(r.shape) for r in raw)
    return (f"detect_anomaly: {name} turned finite inputs of shapes {shapes} into "
            f"{_count_bad(ans)}{_at(where)}{values}")


def backward_report(name, argnum, g, out, args) -> str:
    """Why a VJP's result is not finite although the gradient it received was."""
    shapes = ", ".join(str(np.shape(a)) for a in args)
    return (f"detect_anomaly: backward through {name}: the gradient for its input {argnum} "
            f"(shape {np.shape(out)}) has {_count_bad(out)}{_at(_first_bad(out))}, although "
            f"the gradient {name} received (shape {np.shape(g)}) is finite; its inputs have "
            f"shapes {shapes}")


def sum_report(op, g) -> str:
    """A gradient whose contributions were finite but whose sum (or seed) is not."""
    made_by = f"the output of {op.__name__.lstrip('_')}" if op is not None else "a leaf tensor"
    return (f"detect_anomaly: the gradient of {made_by} (shape {np.shape(g)}) has "
            f"{_count_bad(g)}: the seed of backward(), or the sum of finite contributions "
            "from its several uses, is not finite")

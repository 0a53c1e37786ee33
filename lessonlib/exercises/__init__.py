r"""Checkers for the exercises: they grade the learner's own answer and say what is wrong.

A chapter's exercise has a *starter* cell that the learner fills in and that ends with a
checker call, for example::

    def he_variance(n_in):
        ...                                   # your answer here
    check_function(he_variance, lambda n: 2 / n, [(64,), (256,)], name="he_variance")

Every checker prints a one-line verdict and returns a :class:`Verdict`:

* ``correct`` when the answer matches;
* what is wrong when it does not ("off by a factor 2", "that is the standard deviation,
  not the variance", "shape (64, 32), expected (32, 64): transposed?");
* ``not attempted yet`` for an untouched starter (``...``, ``None``, or a function that
  raises ``NotImplementedError``). A checker never raises on an unattempted starter, so
  the notebook still runs from top to bottom.

The generic checkers live here; a chapter's own checkers (``lessonlib.exercises.<topic>``)
build on them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..autodiff import Tensor

__all__ = ["Verdict", "NOT_ATTEMPTED", "unattempted", "verdict", "diagnose_numbers",
           "check_number", "check_array", "check_function"]

NOT_ATTEMPTED = "not attempted yet"


@dataclass(frozen=True)
class Verdict:
    """The outcome of a checker.

    Fields: ``ok`` (True: correct; False: wrong; None: not attempted), ``message`` (the
    one-line reason shown to the learner) and ``name`` (what was checked).
    """
    ok: bool | None
    message: str
    name: str = "answer"

    @property
    def attempted(self) -> bool:
        return self.ok is not None

    def __str__(self) -> str:
        mark = {True: "\u2713", False: "\u2717", None: "\u2026"}[self.ok]
        return f"{mark} {self.name}: {self.message}"


def verdict(ok, message, name="answer", *, show=True) -> Verdict:
    """Make a :class:`Verdict`, print it (unless ``show=False``) and return it."""
    v = Verdict(ok, message, name)
    if show:
        print(v)
    return v


def unattempted(answer) -> bool:
    """True for what a starter holds before the learner answers: ``...`` or ``None``."""
    return answer is Ellipsis or answer is None


def _raw(x):
    """A Tensor's array, anything else as it is."""
    return x.data if isinstance(x, Tensor) else x


def _close(a, b, rtol, atol) -> bool:
    return bool(np.all(np.isclose(a, b, rtol=rtol, atol=atol)))


def diagnose_numbers(answer, expected, *, rtol=1e-6, atol=1e-12) -> str | None:
    """Why ``answer`` differs from ``expected`` (arrays of one shape), or None if it matches.

    Looks for the usual slips in this order: a non-finite answer, a sign flip, a
    standard deviation given for a variance (or the reverse), a reciprocal, a constant
    factor; otherwise reports the largest relative error.
    """
    a = np.asarray(answer, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if _close(a, e, rtol, atol):
        return None
    if not np.all(np.isfinite(a)):
        return f"the answer has {np.size(a) - np.count_nonzero(np.isfinite(a))} non-finite value(s) (nan or inf)"
    if _close(-a, e, rtol, atol):
        return "the sign is wrong"
    if np.all(a >= 0) and np.all(e >= 0):
        if _close(a ** 2, e, rtol, atol):
            return "that is the square root of the answer (a standard deviation, not the variance?)"
        if _close(np.sqrt(a), e, rtol, atol):
            return "that is the square of the answer (a variance, not the standard deviation?)"
    with np.errstate(divide="ignore", invalid="ignore"):
        if np.all(a != 0) and _close(1.0 / a, e, rtol, atol):
            return "that is the reciprocal of the answer"
        nz = (e != 0) & (a != 0)
        if np.any(nz):
            ratios = a[nz] / e[nz]
            k = float(np.median(ratios))
            if np.all(np.isfinite(ratios)) and _close(a, k * e, rtol, atol) and k != 0:
                shown = f"{k:.4g}" if abs(k) >= 1 else f"1/{1 / k:.4g}"
                return f"off by a constant factor {shown}"
        scale = np.maximum(np.abs(e), atol if atol > 0 else 1e-300)
        worst = float(np.max(np.abs(a - e) / scale))
    return f"largest relative error {worst:.2g} (allowed {rtol:g})"


def check_number(answer, expected, *, name="answer", rtol=1e-6, atol=1e-12, show=True) -> Verdict:
    """Grade a number against ``expected``; says which slip it looks like."""
    if unattempted(answer):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    try:
        value = float(_raw(answer))
    except (TypeError, ValueError):
        return verdict(False, f"expected a number, got {type(answer).__name__}", name, show=show)
    why = diagnose_numbers(value, expected, rtol=rtol, atol=atol)
    if why is None:
        return verdict(True, f"correct ({value:.6g})", name, show=show)
    return verdict(False, f"{value:.6g} is not right: {why}", name, show=show)


def check_array(answer, expected, *, name="answer", rtol=1e-6, atol=1e-12, show=True) -> Verdict:
    """Grade an array: shape first (and whether it is transposed), then the values."""
    if unattempted(answer):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    try:
        a = np.asarray(_raw(answer), dtype=np.float64)
    except (TypeError, ValueError):
        return verdict(False, f"expected an array of numbers, got {type(answer).__name__}", name, show=show)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        hint = ": transposed?" if a.ndim == 2 and a.shape == e.shape[::-1] else ""
        return verdict(False, f"shape {a.shape}, expected {e.shape}{hint}", name, show=show)
    why = diagnose_numbers(a, e, rtol=rtol, atol=atol)
    if why is None:
        return verdict(True, "correct", name, show=show)
    if a.ndim == 2 and a.shape[0] == a.shape[1] and diagnose_numbers(a.T, e, rtol=rtol, atol=atol) is None:
        why = "it is the transpose of the answer"
    return verdict(False, why, name, show=show)


def check_function(fn, reference, inputs, *, name=None, rtol=1e-6, atol=1e-12, show=True) -> Verdict:
    """Call the learner's ``fn`` and ``reference`` on each argument tuple in ``inputs``.

    ``NotImplementedError`` or an ``...`` result means not attempted; any other error is
    reported with its type and message (it is the learner's bug, not the notebook's).
    """
    name = name or getattr(fn, "__name__", "function")
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    if not callable(fn):
        return verdict(False, f"expected a function, got {type(fn).__name__}", name, show=show)
    for args in inputs:
        args = args if isinstance(args, tuple) else (args,)
        shown = ", ".join(np.array2string(np.asarray(x), precision=3, threshold=6) if np.ndim(x) else repr(x)
                          for x in args)
        try:
            got = fn(*args)
        except NotImplementedError:
            return verdict(None, NOT_ATTEMPTED, name, show=show)
        except Exception as err:  # the learner's code raised: say what and where
            return verdict(False, f"raised {type(err).__name__}: {err} (at {name}({shown}))", name, show=show)
        if unattempted(got):
            return verdict(None, NOT_ATTEMPTED, name, show=show)
        inner = check_array(got, reference(*args), name=name, rtol=rtol, atol=atol, show=False)
        if not inner.ok:
            return verdict(False, f"{inner.message} (at {name}({shown}))", name, show=show)
    return verdict(True, f"correct on {len(inputs)} input(s)", name, show=show)

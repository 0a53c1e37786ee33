"""What a checker returns, and the two openings every checker shares.

A checker prints one line and returns a :class:`Verdict`. Before it can grade anything it
has to get an answer out of the learner's cell, and two openings come back in every
chapter's checkers; each is written once here:

* :func:`as_number` (and :func:`as_numbers` for several): the answer should be one
  number. ``...`` or ``None`` means "not attempted yet"; a string, a bool or an array of
  several numbers gets "expected a number, got str".
* :func:`call_learner`: the answer is a function to call. ``NotImplementedError`` or a
  result of ``...``/``None`` means "not attempted yet"; any other error is the learner's
  bug, reported with its type and message, never raised.

Both return ``(value, None)`` when there is something to grade and ``(None, verdict)``
when the checker should stop and return that verdict::

    value, early = as_number(answer, name, show=show)
    if early is not None:
        return early
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..autodiff import Tensor

__all__ = ["Verdict", "NOT_ATTEMPTED", "unattempted", "verdict", "as_number", "as_numbers", "call_learner"]

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
    shown: bool = field(default=False, compare=False, repr=False)

    @property
    def attempted(self) -> bool:
        return self.ok is not None

    def __str__(self) -> str:
        mark = {True: "\u2713", False: "\u2717", None: "\u2026"}[self.ok]
        return f"{mark} {self.name}: {self.message}"

    def _ipython_display_(self):
        """A starter cell ends with the checker call: show the verdict once, not twice."""
        if not self.shown:
            print(self)


def verdict(ok, message, name="answer", *, show=True) -> Verdict:
    """Make a :class:`Verdict`, print it (unless ``show=False``) and return it."""
    v = Verdict(ok, message, name, shown=show)
    if show:
        print(v)
    return v


def unattempted(answer) -> bool:
    """True for what a starter holds before the learner answers: ``...`` or ``None``."""
    return answer is Ellipsis or answer is None


def _unfinished(result) -> bool:
    """An unattempted result, or a tuple/list of results with an unattempted one in it."""
    return unattempted(result) or (isinstance(result, (tuple, list)) and any(unattempted(r) for r in result))


def _raw(x):
    """A Tensor's array, anything else as it is."""
    return x.data if isinstance(x, Tensor) else x


def as_number(answer, name="answer", *, what="a number", show=True):
    """``(float, None)`` for an answer that is one number (a Tensor or an array of one
    entry too), else ``(None, verdict)``: not attempted for ``...``/``None``, and
    "expected ``what``, got <type>" for a string, a bool or anything that is not one number."""
    if unattempted(answer):
        return None, verdict(None, NOT_ATTEMPTED, name, show=show)
    try:
        if isinstance(answer, (str, bytes, bool, np.bool_)):
            raise TypeError
        value = float(np.asarray(_raw(answer), dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        return None, verdict(False, f"expected {what}, got {type(answer).__name__}", name, show=show)
    return value, None


def as_numbers(answers, name="answer", *, show=True):
    """``(list of floats, None)`` for a dict ``{what it is: answer}`` of several numbers
    (``{"gamma": gamma, "the bound": factor}``), else ``(None, verdict)`` for the first one
    that is not a number: not attempted, or "expected a number for gamma, got str"."""
    values = []
    for what, answer in answers.items():
        value, early = as_number(answer, name, what=f"a number for {what}", show=show)
        if early is not None:
            return None, early
        values.append(value)
    return values, None


def call_learner(fn, args=(), name="answer", *, kwargs=None, where="", step="", show=True):
    """``(fn(*args, **kwargs), None)``, or ``(None, verdict)`` when the learner's function
    gave no answer to grade.

    Not attempted: ``fn`` raises ``NotImplementedError`` or returns ``...``/``None`` (or
    a tuple with one of them in it). Any other exception becomes
    "<step> raised ValueError: <its message> (<where>)", the learner's bug told in one line.
    """
    try:
        got = fn(*args, **(kwargs or {}))
    except NotImplementedError:
        return None, verdict(None, NOT_ATTEMPTED, name, show=show)
    except Exception as err:  # the learner's code raised: say what, and where
        at = f" ({where})" if where else ""
        said = f"{step} raised" if step else "raised"
        return None, verdict(False, f"{said} {type(err).__name__}: {err}{at}", name, show=show)
    if _unfinished(got):
        return None, verdict(None, NOT_ATTEMPTED, name, show=show)
    return got, None

"""The input checks every lessonlib function makes, in one place, with one wording.

Each check returns the value it accepted (as a plain ``int``, ``float`` or the value
itself) or raises :class:`InputError` with a message that names the function, the
argument, what was expected and what came, e.g.
``he_normal: fan_in must be a positive integer, got 0``.

:class:`InputError` is both a ``ValueError`` and a ``TypeError`` (as numpy's
``AxisError`` is both a ``ValueError`` and an ``IndexError``): a wrong value and a
value of the wrong kind are the same mistake to a learner, and code that catches
either keeps working.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["InputError", "positive_int", "finite_number", "one_of", "generator"]


class InputError(ValueError, TypeError):
    """A bad argument to a lessonlib function; the message says which and why."""


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def positive_int(where: str, name: str, value, *, minimum: int = 1) -> int:
    """``value`` as an ``int`` if it is an integer ``>= minimum`` (not a bool, not 3.0)."""
    if not (isinstance(value, numbers.Integral) and _is_real(value) and value >= minimum):
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise InputError(f"{where}: {name} must be {what}, got {value!r}")
    return int(value)


def finite_number(where: str, name: str, value, *, low=None, low_open: bool = False, high=None) -> float:
    """``value`` as a ``float`` if it is a finite real number, ``>= low`` (``> low`` if
    ``low_open``) when ``low`` is given, and ``<= high`` when ``high`` is given."""
    ok = _is_real(value) and np.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        bounds = ([] if low is None else [f"{'>' if low_open else '>='} {low:g}"]) + \
                 ([] if high is None else [f"<= {high:g}"])
        bound = (" " + " and ".join(bounds)) if bounds else ""
        raise InputError(f"{where}: {name} must be a finite number{bound}, got {value!r}")
    return float(value)


def one_of(where: str, name: str, value, choices, *, or_function: bool = False):
    """``value`` if it is one of ``choices`` (or, with ``or_function``, any callable)."""
    if or_function and callable(value):
        return value
    if isinstance(value, str) and value in choices:
        return value
    extra = " or pass a function" if or_function else ""
    raise InputError(f"{where}: unknown {name} {value!r}; choose one of {sorted(choices)}{extra}")


def generator(where: str, rng) -> np.random.Generator:
    """``rng`` if it is a ``numpy.random.Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise InputError(f"{where}: rng must be a numpy Generator such as np.random.default_rng(0), "
                         f"got {type(rng).__name__}")
    return rng

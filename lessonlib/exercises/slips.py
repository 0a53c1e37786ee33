"""What a wrong number looks like: the slips :func:`diagnose_numbers` names.

A checker that compares numbers does not stop at "wrong": it says which slip the answer
matches (a sign, a square root, a reciprocal, off by one, a constant factor such as 2,
sqrt(2) or ln(10)), so that the learner knows where to look.
"""
from __future__ import annotations

import numpy as np

__all__ = ["diagnose_numbers"]


def _close(a, b, rtol, atol) -> bool:
    return bool(np.all(np.isclose(a, b, rtol=rtol, atol=atol)))


# Factors a slip produces: small integers, a square root, pi, and a log in the wrong base.
_NAMED_FACTORS = {"sqrt(2)": np.sqrt(2), "sqrt(3)": np.sqrt(3), "pi": np.pi, "2 pi": 2 * np.pi,
                  "sqrt(pi)": np.sqrt(np.pi), "e": np.e,
                  "ln(10) (natural log against log10?)": np.log(10),
                  "ln(2) (natural log against log2?)": np.log(2)}


def _factor_name(k) -> str | None:
    """A name for the factor ``k`` (or its reciprocal) when it is a recognizable one."""
    for name, value in _NAMED_FACTORS.items():
        for v, shown in ((value, name), (1 / value, f"1/{name}")):
            if abs(abs(k) - v) < 1e-6 * v:
                return ("-" if k < 0 else "") + shown
    return None


def _telling_factor(k) -> bool:
    """True if ``k`` or ``1/k`` is a whole number up to 1000 or a named factor: for a single
    number, any other ratio is just a wrong value, not a slip worth naming."""
    m = max(abs(k), 1 / abs(k))
    return _factor_name(k) is not None or (round(m) >= 2 and m <= 1000 and abs(m - round(m)) < 1e-6 * m)


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
    if a.size == 1 and np.all(e == np.round(e)) and np.all(a == np.round(a)) and abs(float(a.sum() - e.sum())) == 1:
        return "off by one (rounded the wrong way, or counted one step too many or too few?)"
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
            if np.all(np.isfinite(ratios)) and _close(a, k * e, rtol, atol) and k != 0 \
                    and (np.count_nonzero(nz) > 1 or _telling_factor(k)):
                shown = _factor_name(k) or (f"{k:.4g}" if abs(k) >= 1 else f"1/{1 / k:.4g}")
                return f"off by a constant factor {shown}"
        scale = np.maximum(np.abs(e), atol if atol > 0 else 1e-300)
        worst = float(np.max(np.abs(a - e) / scale))
    return f"largest relative error {worst:.2g} (allowed {rtol:g})"

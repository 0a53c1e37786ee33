r"""Checkers for chapter 3's exercises (initialization and variance propagation).

Each checker grades the learner's own answer, prints a one-line verdict that says what
is wrong ("fan-out instead of fan-in", "the variance used as the standard deviation",
"off by a factor 2", "not orthogonal", "no sign fix"), and returns a
:class:`~lessonlib.exercises.Verdict`. None of them raises on an unattempted starter.
"""
from __future__ import annotations

import numpy as np

from ..checks import one_of
from .checkers import check_function, check_number
from .slips import diagnose_numbers
from .verdicts import NOT_ATTEMPTED, _raw, as_number, as_numbers, call_learner, unattempted, verdict

__all__ = ["TARGET_VARIANCE", "check_initializer", "check_orthogonal", "check_uniform_limit",
           "check_slip_gain", "check_pyramid_ratios"]

#: Var(W) of each scheme as a function of (fan_in, fan_out): the derivation of chapter 3.
TARGET_VARIANCE = {
    "lecun": lambda n_in, n_out: 1.0 / n_in,
    "xavier": lambda n_in, n_out: 2.0 / (n_in + n_out),
    "he": lambda n_in, n_out: 2.0 / n_in,
}


def _near(a, b, rtol):
    return abs(a / b - 1) < rtol


def _call(fn, name, *args, **kwargs):
    """(result, None) or (None, Verdict) when the learner's function is unattempted or raises."""
    shown = ", ".join([repr(a) for a in args] + [f"{k}=..." for k in kwargs])
    return call_learner(fn, args, name, kwargs=kwargs, where=f"at {name}({shown})")


def check_initializer(fn, scheme="he", *, fan_in=512, fan_out=128, seed=0, rtol=0.03):
    """Grade an initializer ``fn(fan_in, fan_out, *, rng)`` against ``TARGET_VARIANCE[scheme]``.

    It draws one ``fan_in x fan_out`` matrix (65,536 entries: the variance is measured to
    about 0.6%) and reports the shape, the mean, and which slip the variance matches.
    """
    one_of("check_initializer", "scheme", scheme, TARGET_VARIANCE)
    name = getattr(fn, "__name__", "initializer")
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name)
    W, failed = _call(fn, name, fan_in, fan_out, rng=np.random.default_rng(seed))
    if failed:
        return failed
    W = np.asarray(_raw(W), dtype=np.float64)
    if W.shape != (fan_in, fan_out):
        hint = (f": the layer maps {fan_in} -> {fan_out}, and lessonlib stores W as (fan_in, fan_out) for x @ W"
                if W.shape == (fan_out, fan_in) else "")
        return verdict(False, f"shape {W.shape}, expected {(fan_in, fan_out)}{hint}", name)
    if not np.all(np.isfinite(W)):
        return verdict(False, "W has non-finite entries", name)
    v, e = float(np.mean(W ** 2)), TARGET_VARIANCE[scheme](fan_in, fan_out)
    if abs(W.mean()) > 5 * np.sqrt(v / W.size):
        return verdict(False, f"the weights have mean {W.mean():.3g}, not 0", name)
    if _near(v, e, rtol):
        return verdict(True, f"correct: Var(W) = {v:.4g}, the derivation says {e:.4g}", name)
    swapped = TARGET_VARIANCE[scheme](fan_out, fan_in)
    if swapped != e and _near(v, swapped, rtol):
        why = "fan-out instead of fan-in (the fan-in is the number of rows of W here)"
    elif _near(v, e ** 2, rtol):
        why = "the variance used as the standard deviation: scale the standard normals by sqrt(Var)"
    elif _near(v, 2 * e, rtol) or _near(v, e / 2, rtol):
        why = f"off by a factor 2 (too {'large' if v > e else 'small'})"
    else:
        other = [k for k, f in TARGET_VARIANCE.items() if k != scheme and _near(v, f(fan_in, fan_out), rtol)]
        why = (f"that is the {other[0]} variance, not the {scheme} one" if other
               else f"off by a factor {v / e:.3g}")
    return verdict(False, f"Var(W) = {v:.4g}, expected {e:.4g}: {why}", name)


def check_orthogonal(fn, *, n=8, draws=400, seed=0):
    """Grade ``fn(n, *, rng)`` -> an n x n random orthogonal matrix with uniform (Haar) distribution.

    Checks the shape, Q^T Q = I, and the sign fix: without it, numpy's QR returns a Q whose
    diagonal is mostly negative (with ``sign(diag(Q))`` instead, always positive); a uniformly
    distributed Q has positive and negative diagonal entries equally often.
    """
    name = getattr(fn, "__name__", "orthogonal")
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name)
    rng = np.random.default_rng(seed)
    diagonals = []
    for k in range(draws):
        Q, failed = _call(fn, name, n, rng=rng)
        if failed:
            return failed
        Q = np.asarray(_raw(Q), dtype=np.float64)
        if Q.shape != (n, n):
            return verdict(False, f"shape {Q.shape}, expected {(n, n)}", name)
        off = float(np.abs(Q.T @ Q - np.eye(n)).max())
        if not off < 1e-10:
            return verdict(False, f"not orthogonal: Q^T Q differs from I by {off:.3g} "
                                  "(return the Q of the QR decomposition, not A or R)", name)
        diagonals.append(np.diag(Q))
        if k == 1 and np.array_equal(diagonals[0], diagonals[1]):
            return verdict(False, "two calls returned the same matrix: draw from the rng you are given", name)
    D = np.array(diagonals)
    positive = float(np.mean(D > 0))
    if positive > 0.9:
        return verdict(False, f"the diagonal of Q is positive in {positive:.0%} of draws: fix the signs with "
                              "diag(R), not diag(Q) (Q's diagonal is then biased)", name)
    if abs(positive - 0.5) > 0.1 or abs(D[:, 0].mean()) > 0.1:
        return verdict(False, f"not uniformly distributed: Q[0, 0] averages {D[:, 0].mean():.2f} over {draws} "
                              "draws (0 expected); multiply column j by sign(R[j, j]) (the sign fix)", name)
    return verdict(True, f"correct: orthogonal to {off:.0e}, diagonal positive in {positive:.0%} of "
                         f"{draws} draws (50% expected)", name)


def check_uniform_limit(fn):
    """Grade ``fn(fan_in, fan_out)`` -> the a of U(-a, a) with Glorot's variance 2/(fan_in + fan_out)."""
    name = getattr(fn, "__name__", "uniform_limit")
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name)
    if not callable(fn):
        return verdict(False, f"expected a function, got {type(fn).__name__}", name)
    got, failed = _call(fn, name, 300, 100)
    if failed:
        return failed
    slips = [(np.sqrt(2.0 / 400), "that a gives the variance a^2/3, not a^2: Var(U(-a, a)) = a^2/3"),
             (2.0 / 400, "that is Glorot's variance, not the limit a"),
             (6.0 / 400, "that is a^2: take the square root"),
             (np.sqrt(3.0 / 400), "off by a factor sqrt(2): Glorot's variance is 2/(n_in + n_out)")]
    try:
        value = float(np.asarray(_raw(got)))
    except (TypeError, ValueError):
        value = None
    for slip, why in slips:
        if value is not None and _near(value, slip, 1e-6):
            return verdict(False, f"{value:.4g} at (300, 100), expected {np.sqrt(6 / 400):.4g}: {why}", name)
    return check_function(fn, lambda i, o: np.sqrt(6.0 / (i + o)), [(300, 100), (64, 64), (10, 1000)],
                          name=name)


def check_slip_gain(answer):
    r"""Grade the gain that propagating Var instead of the mean square would recommend: $\sqrt{\pi/(\pi-1)}$."""
    name = "gain"
    value, early = as_number(answer, name)
    if early is not None:
        return early
    e = np.sqrt(np.pi / (np.pi - 1))
    slips = [(np.pi / (np.pi - 1), "that is the gain squared: a gain multiplies the standard deviation"),
             (np.sqrt(2 * np.pi / (np.pi - 1)), "that includes He's sqrt(2): the gain goes on top of He's std"),
             ((np.pi - 1) / (2 * np.pi), "that is Var(relu(z))/q, the ingredient, not the gain"),
             (2 * np.pi / (np.pi - 1), "that is n Var(W), a variance, not a gain on He's standard deviation")]
    for value_, why in slips:
        if _near(value, value_, 1e-4):
            return verdict(False, f"{value:.4g} is not right: {why}", name)
    return check_number(value, e, name=name, rtol=1e-4)


def check_pyramid_ratios(backward_lecun, forward_fan_out):
    """Grade the two predicted RMS ratios of the 256 -> 128 -> 64 -> 32 -> 16 linear pyramid.

    ``backward_lecun``: RMS(dL/dx) / RMS(dL/dout) with Var(W) = 1/n_in; ``forward_fan_out``:
    RMS(out) / RMS(x) with Var(W) = 1/n_out.
    """
    name = "pyramid ratios"
    values, early = as_numbers({"backward_lecun": backward_lecun, "forward_fan_out": forward_fan_out}, name)
    if early is not None:
        return early
    got = np.array(values)
    e = np.array([0.25, 4.0])
    if np.allclose(got, e, rtol=1e-6):
        return verdict(True, "correct: 1/4 backward with fan-in scaling, 4 forward with fan-out scaling", name)
    if np.allclose(got, e ** 2, rtol=1e-6):
        return verdict(False, "those are ratios of mean squares (1/16, 16): an RMS is their square root", name)
    if np.allclose(got, 1 / e, rtol=1e-6):
        return verdict(False, "both inverted: the product telescopes to n_L/n_0 backward and n_0/n_L forward", name)
    parts = [f"{label}: {diagnose_numbers(g, x) or 'correct'}"
             for label, g, x in zip(("backward (LeCun)", "forward (fan-out)"), got, e)]
    return verdict(False, "; ".join(parts), name)

r"""Checkers for the exercises of chapter 2 (saturating activations and the bound of 1/4).

Each grades the learner's own answer, prints a one-line verdict that says what is
wrong, and returns a :class:`~lessonlib.exercises.Verdict`; none raises on an
unattempted starter.
"""
from __future__ import annotations

import numpy as np

from .. import nn
from ..autodiff import Tensor
from ..activations import SLOPE_MAX, SLOPES
from ..theory import slope_threshold
from .slips import diagnose_numbers
from .verdicts import NOT_ATTEMPTED, as_number, call_learner, unattempted, verdict

__all__ = ["check_tanh_threshold", "reference_grad_norms", "check_grad_norms",
           "check_saturated_fraction", "check_sigmoid_twin"]


def _number_from(fn, args, name, where, show):
    """``(float, None)`` from the learner's ``fn(*args)``, or ``(None, Verdict)``."""
    got, early = call_learner(fn, args, name, where=where, show=show)
    return (None, early) if early is not None else as_number(got, name, show=show)


# --- the tanh threshold from the sigmoid's ---------------------------------------------------
def check_tanh_threshold(fn, *, show=True):
    r"""Grade ``fn(c)`` = the $|x|$ beyond which $\tanh'(x) < c$, computed from the sigmoid's threshold."""
    name = getattr(fn, "__name__", "tanh_threshold")
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    levels = (0.01, 0.3, 1e-6)
    for c in levels:
        got, early = _number_from(fn, (c,), name, f"at c = {c:g}", show)
        if early is not None:
            return early
        if np.isclose(got, slope_threshold("tanh", c), rtol=1e-10):
            continue
        if np.isclose(got, slope_threshold("sigmoid", min(c, 0.2499)) / 2, rtol=1e-10):
            why = "you used the level c for the sigmoid; tanh'(x) = 4 sigma'(2x) < c needs sigma'(2x) < c/4"
        elif np.isclose(got, slope_threshold("sigmoid", c / 4), rtol=1e-10):
            why = "that is |2x|, the sigmoid's threshold: divide by 2 to get |x|"
        else:
            why = diagnose_numbers(got, slope_threshold("tanh", c), rtol=1e-10)
        return verdict(False, f"{got:.6g} at c = {c:g}: {why}", name, show=show)
    return verdict(True, f"correct at c = {', '.join(f'{c:g}' for c in levels)}", name, show=show)


# --- the per-layer gradient profile loop ------------------------------------------------------
def _test_case(seed=0, depth=4, width=8, batch=5, activation="tanh"):
    rng = np.random.default_rng(seed)
    net = nn.MLP([width] * (depth + 1) + [3], activation=activation, init="xavier_normal", rng=rng)
    x = rng.standard_normal((batch, width))
    G = rng.standard_normal((batch, 3))
    return net, x, G


def reference_grad_norms(net, x, G):
    r"""$\lVert\partial\mathcal{L}/\partial h_l\rVert$ for $l = 0..L$ (input to last hidden layer), $\mathcal{L} = \sum (\text{out} \odot G)/N$."""
    h = [Tensor(x, requires_grad=True)]
    for layer in net.layers[:-1]:
        h.append(net.activation(layer(h[-1])))
    ((net.layers[-1](h[-1]) * G).sum() / x.shape[0]).backward()
    return np.array([np.linalg.norm(h_l.grad) for h_l in h])


def check_grad_norms(fn, *, show=True):
    r"""Grade ``fn(net, x, G)`` -> the norms $\lVert\partial\mathcal{L}/\partial h_l\rVert$, $l = 0..L$.

    Tried on a small tanh MLP (4 hidden layers of 8 units, a batch of 5, 3 outputs); says
    whether the list is reversed, misses the input, includes the output, or is off by the
    batch size or by the RMS normalization.
    """
    name = getattr(fn, "__name__", "grad_norms")
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    net, x, G = _test_case()
    expected = reference_grad_norms(net, x, G)
    depth, (batch, width) = len(net.layers) - 1, x.shape
    for p in net.parameters():
        p.zero_grad()
    got, early = call_learner(fn, (net, x, G), name, show=show)
    if early is not None:
        return early
    got = np.asarray(got, dtype=float).ravel()
    if got.size == depth:
        return verdict(False, f"{got.size} values for {depth} hidden layers: include h_0, the input "
                       f"(its gradient is dL/dx), so {depth + 1} values", name, show=show)
    if got.size == depth + 2:
        return verdict(False, f"{got.size} values: stop at the last hidden layer h_L; the network's "
                       f"output is not a hidden layer ({depth + 1} values)", name, show=show)
    if got.size != depth + 1:
        return verdict(False, f"expected {depth + 1} values (h_0 .. h_{depth}), got {got.size}", name, show=show)
    if diagnose_numbers(got, expected, rtol=1e-8) is None:
        return verdict(True, f"correct on a {depth}-layer tanh net (width {width}, batch {batch})", name, show=show)
    if diagnose_numbers(got[::-1], expected, rtol=1e-8) is None:
        why = "the list is reversed: start with h_0 (the input) and end with h_L"
    elif diagnose_numbers(got, expected / np.sqrt(batch * width), rtol=1e-8) is None:
        why = "that is the RMS of each gradient, not its Frobenius norm (off by sqrt(batch x width))"
    elif diagnose_numbers(got, expected * batch, rtol=1e-8) is None:
        why = "off by the batch size: the loss divides sum(out * G) by N"
    else:
        why = diagnose_numbers(got, expected, rtol=1e-8)
    return verdict(False, why, name, show=show)


# --- the fraction of saturated units ----------------------------------------------------------
def check_saturated_fraction(fn, *, show=True):
    r"""Grade ``fn(z, activation)`` -> the fraction of entries of ``z`` with $\phi'(z) < 1\%$ of $\max\phi'$."""
    name = getattr(fn, "__name__", "saturated_fraction")
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    rng = np.random.default_rng(0)
    for activation, scale in (("sigmoid", 6.0), ("tanh", 3.0)):
        z = rng.normal(scale=scale, size=(40, 25))
        slope = SLOPES[activation](z)
        expected = float(np.mean(slope < 0.01 * SLOPE_MAX[activation]))
        got, early = _number_from(fn, (z, activation), name, f"for {activation}", show)
        if early is not None:
            return early
        if np.isclose(got, expected, rtol=1e-12, atol=1e-12):
            continue
        where = f" (for {activation}, z of std {scale:g})"
        if np.isclose(got, expected * z.size):
            why = f"{got:g} is a count of units: divide by the number of entries, {z.size}"
        elif np.isclose(got, np.mean(slope < 0.01)):
            why = f"{got:.4f}: the level is 1% of the largest slope ({0.01 * SLOPE_MAX[activation]:g}), not 0.01"
        elif np.isclose(got, 1 - expected):
            why = f"{got:.4f} is the fraction of units that are NOT saturated"
        else:
            why = f"{got:.4f} is not right: expected {expected:.4f}"
        return verdict(False, why + where, name, show=show)
    return verdict(True, "correct for the sigmoid and for tanh", name, show=show)


def _is_sigmoid(phi) -> bool:
    try:
        return bool(np.allclose(phi(Tensor(np.array([-1.0, 0.0, 2.0]))).data, 1 / (1 + np.exp([1.0, 0.0, -2.0]))))
    except Exception:
        return False


# --- a sigmoid network that computes what a tanh network computes -------------------------------
def check_sigmoid_twin(fn, *, show=True):
    r"""Grade ``fn(tanh_net) -> sigmoid_net`` with the same outputs as ``tanh_net`` (an MLP without biases)."""
    name = getattr(fn, "__name__", "sigmoid_twin")
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    rng = np.random.default_rng(5)
    sizes = [6, 10, 10, 10, 2]
    tanh_net = nn.MLP(sizes, activation="tanh", init="xavier_normal", rng=rng)
    for layer in tanh_net.layers:
        layer.b.data[...] = 0.0
    x = rng.standard_normal((16, sizes[0]))
    want = tanh_net(Tensor(x)).data
    twin, failed = call_learner(fn, (tanh_net,), name, show=show)
    if failed is not None:
        return failed
    try:
        got = np.asarray(twin(Tensor(x)).data, dtype=float)
    except Exception as err:
        return verdict(False, f"calling your network raised {type(err).__name__}: {err}", name, show=show)
    if got.shape != want.shape:
        return verdict(False, f"output shape {got.shape}, expected {want.shape}", name, show=show)
    if not _is_sigmoid(getattr(twin, "activation", None)):
        return verdict(False, "the twin must use the sigmoid activation (an MLP with activation='sigmoid')",
                       name, show=show)
    if np.allclose(got, want, rtol=0, atol=1e-10):
        return verdict(True, "correct: the outputs agree to 1e-10", name, show=show)
    diff = got - want
    if np.allclose(diff, diff[0], atol=1e-10):
        why = "the outputs differ by a constant: the output layer's bias must cancel 1/2 * 1^T W"
    else:
        why = (f"the outputs differ by up to {np.abs(diff).max():.3g}: check the scales "
               "(2 for the first and the output layer, 4 in between) and the centred biases")
    return verdict(False, why, name, show=show)

r"""Checkers for the exercises of chapter 1 (the chain rule and backpropagation).

Each grades the learner's own answer, prints a one-line verdict that says what is
wrong, and returns a :class:`~lessonlib.exercises.Verdict`; none raises on an
unattempted starter.
"""
from __future__ import annotations

import numpy as np

from .. import ops
from ..autodiff import Tensor
from .checkers import check_array, check_number
from .slips import diagnose_numbers
from .verdicts import NOT_ATTEMPTED, as_number, call_learner, unattempted, verdict

__all__ = ["tanh_chain_grads", "check_backprop_by_hand", "check_vjp", "check_softplus_vjp",
           "check_first_depth_below", "check_accumulation"]


# --- backpropagation by hand through a tanh chain -------------------------------------------
def tanh_chain_grads(w, x, y):
    r"""$[\partial\mathcal{L}/\partial w_l]_{l=1..L}$ for $h_l = \tanh(w_l h_{l-1})$, $\mathcal{L} = (h_L - y)^2/2$, by the engine."""
    ws = [Tensor(float(v), requires_grad=True) for v in w]
    h = Tensor(float(x))
    for w_l in ws:
        h = ops.tanh(w_l * h)
    ((h - float(y)) ** 2 / 2).backward()
    return np.array([w_l.grad.item() for w_l in ws])


def _tanh_chain_variants(w, x, y):
    """Typical slips, each computed exactly, keyed by what went wrong."""
    w = np.asarray(w, dtype=float)
    h = [float(x)]
    for w_l in w:
        h.append(np.tanh(w_l * h[-1]))
    h = np.array(h)
    slope = 1 - h[1:] ** 2                                  # tanh'(z_l) = 1 - h_l^2
    top = h[-1] - y
    out = {}
    for name, local, jac in (
        ("no weights in the Jacobians: each layer-to-layer factor is tanh'(z_l) * w_l",
         lambda l: slope[l] * h[l], lambda l: slope[l]),
        ("no tanh' in the Jacobians: each layer-to-layer factor is tanh'(z_l) * w_l",
         lambda l: slope[l] * h[l], lambda l: w[l]),
        ("the local factor of w_l is tanh'(z_l) * h_{l-1}, the layer's input, not the network input x",
         lambda l: slope[l] * x, lambda l: slope[l] * w[l]),
        ("the local factor of w_l is tanh'(z_l) * h_{l-1}, not h_l (its output)",
         lambda l: slope[l] * h[l + 1], lambda l: slope[l] * w[l]),
    ):
        out[name] = np.array([top * np.prod([jac(k) for k in range(l + 1, len(w))]) * local(l)
                              for l in range(len(w))])
    return out


def check_backprop_by_hand(fn, w=(0.5, -1.0, 2.0), x=1.0, y=0.5, *, show=True):
    r"""Grade ``fn(w, x, y) -> [dL/dw_1, ..., dL/dw_L]`` for the tanh chain, against the engine.

    Tried at the exercise's setting and at a second one; says which weight is wrong and,
    for the usual slips, which factor.
    """
    name = getattr(fn, "__name__", "backprop_by_hand")
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    for w_try, x_try, y_try in ((tuple(w), x, y), ((0.8, 1.3, -0.6, 1.1), -0.7, 0.2)):
        expected = tanh_chain_grads(w_try, x_try, y_try)
        got, early = call_learner(fn, (list(w_try), x_try, y_try), name, where=f"at w = {w_try}", show=show)
        if early is not None:
            return early
        got = np.asarray(got, dtype=float).ravel()
        where = f" (at w = {w_try}, x = {x_try}, y = {y_try})"
        if got.shape != expected.shape:
            return verdict(False, f"expected {expected.size} gradients, one per weight, got {got.size}{where}",
                           name, show=show)
        if diagnose_numbers(got, expected, rtol=1e-8) is None:
            continue
        if diagnose_numbers(got[::-1], expected, rtol=1e-8) is None:
            return verdict(False, "the gradients are in reverse order: list dL/dw_1 first" + where, name, show=show)
        for slip, wrong in _tanh_chain_variants(w_try, x_try, y_try).items():
            if diagnose_numbers(got, wrong, rtol=1e-8) is None:
                return verdict(False, slip + where, name, show=show)
        bad = [l + 1 for l in range(got.size) if diagnose_numbers(got[l], expected[l], rtol=1e-8) is not None]
        first = bad[0] - 1
        why = diagnose_numbers(got[first], expected[first], rtol=1e-8)
        return verdict(False, f"dL/dw_l is wrong for l = {bad}; dL/dw_{bad[0]}: {why}{where}", name, show=show)
    return verdict(True, "correct: every gradient agrees with backward() to 8 digits", name, show=show)


# --- a primitive and its VJP ----------------------------------------------------------------
def check_vjp(op, forward, slope, *, name=None, x=None, show=True):
    r"""Grade a learner's ``@primitive`` ``op`` and its VJP against ``forward`` and its derivative ``slope``.

    The VJP is called directly with an incoming gradient ``g`` that is not 1, so that a VJP
    that forgets to multiply by ``g`` is caught; then one real ``backward()`` is run.
    """
    name = name or getattr(op, "__name__", "op")
    if unattempted(op):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    if not hasattr(op, "vjps"):
        return verdict(False, "is not a lessonlib operation: decorate it with @primitive", name, show=show)
    x = np.array([-3.0, -0.5, 0.0, 0.7, 2.5, 8.0]) if x is None else np.asarray(x, dtype=float)
    out, early = call_learner(op, (Tensor(x),), name, step="the forward pass", show=show)
    if early is not None:
        return early
    forward_ok = check_array(out, forward(x), name=name, rtol=1e-10, show=False)
    if not forward_ok.ok:
        return verdict(False, f"the forward pass is wrong: {forward_ok.message}", name, show=show)
    if len(op.vjps) != 1:
        return verdict(False if op.vjps else None,
                       f"register one VJP with defvjp({name}, lambda g, ans, x: ...)" if op.vjps else NOT_ATTEMPTED,
                       name, show=show)
    g = np.linspace(0.5, 2.0, x.size)                      # an incoming gradient that is not 1
    got, early = call_learner(op.vjps[0], (g, out.data, x), name, step="the VJP", show=show)
    if early is not None:
        return early
    expected = g * slope(x)
    got = np.broadcast_to(np.asarray(got, dtype=float), x.shape)
    if diagnose_numbers(got, expected, rtol=1e-8) is not None:
        if diagnose_numbers(got, slope(x), rtol=1e-8) is None:
            why = "it returns the slope phi'(x) but forgets to multiply by the incoming gradient g"
        elif diagnose_numbers(got, g * out.data, rtol=1e-8) is None:
            why = "it returns g * ans, the function itself, not g times its derivative"
        else:
            why = diagnose_numbers(got, expected, rtol=1e-8)
        return verdict(False, f"the VJP is wrong: {why}", name, show=show)
    t = Tensor(x, requires_grad=True)
    (op(t) * g).sum().backward()
    if diagnose_numbers(t.grad, expected, rtol=1e-8) is not None:
        return verdict(False, "the VJP is right when called alone, but backward() gives something else", name, show=show)
    return verdict(True, f"correct: forward pass and VJP agree with the derivative on {x.size} inputs", name, show=show)


def check_softplus_vjp(op, *, show=True):
    r"""Grade the softplus exercise: $\ln(1 + e^x)$ and its derivative $\sigma(x)$."""
    return check_vjp(op, lambda x: np.logaddexp(0.0, x), lambda x: ops.sigmoid(x).data,
                     name=getattr(op, "__name__", "softplus"), show=show)


# --- how deep until a product of equal factors is small --------------------------------------
def check_first_depth_below(answer, factor, threshold, *, name="depth", show=True):
    """Grade the smallest whole number of layers ``L`` with ``factor ** L < threshold``."""
    value, early = as_number(answer, name, what="a whole number of layers", show=show)
    if early is not None:
        return early
    expected = int(np.floor(np.log(threshold) / np.log(factor))) + 1
    if value == expected:
        return verdict(True, f"correct: {factor}**{expected} = {factor ** expected:.3g} < {threshold:g}", name, show=show)
    if value != int(value):
        return verdict(False, f"{value:g} is not a whole number of layers: round up "
                       f"(the product first drops below {threshold:g} at a whole depth)", name, show=show)
    if value == expected - 1:
        return verdict(False, f"{value:g} is one too few: {factor}**{value:g} = {factor ** value:.3g} is still "
                       f"above {threshold:g}", name, show=show)
    if value == expected + 1:
        return verdict(False, f"{value:g} is one too many: already {factor}**{expected} = "
                       f"{factor ** expected:.3g} < {threshold:g}", name, show=show)
    return check_number(value, expected, name=name, show=show)


# --- accumulation in backward() ---------------------------------------------------------------
def check_accumulation(contributions, overwritten, after_two_calls, *, x=2.0, show=True):
    r"""Grade the three answers of the accumulation exercise for $f(x) = (x \cdot x) \cdot x$.

    ``contributions``: what each edge into ``x`` sends back in one ``backward()``;
    ``overwritten``: ``x.grad`` if the engine kept only the last contribution;
    ``after_two_calls``: ``x.grad`` after two ``backward()`` calls.
    """
    name = "accumulation"
    if any(unattempted(a) for a in (contributions, overwritten, after_two_calls)):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    parts = np.sort(np.asarray(contributions, dtype=float).ravel())
    expected_parts = np.full(3, x * x)      # f -> x sends t = x^2; each t -> x edge sends (df/dt = x) * x
    if parts.size != 3:
        return verdict(False, f"x has three outgoing edges (two into t = x*x, one into f), "
                       f"so three contributions, got {parts.size}", name, show=show)
    if not np.allclose(parts, expected_parts):
        return verdict(False, f"the contributions {parts.tolist()} are not right: each edge sends back "
                       f"its local derivative times the gradient arriving at its node", name, show=show)
    if float(overwritten) != x * x:
        return verdict(False, f"an engine that overwrites keeps one contribution, {x * x:g}, not "
                       f"{float(overwritten):g}", name, show=show)
    if float(after_two_calls) == 3 * x * x:
        return verdict(False, "backward() adds into .grad, it does not reset it: two calls give twice "
                       "the gradient", name, show=show)
    if float(after_two_calls) != 6 * x * x:
        return verdict(False, f"after two calls x.grad = {6 * x * x:g}, not {float(after_two_calls):g}",
                       name, show=show)
    return verdict(True, f"correct: {x * x:g} + {x * x:g} + {x * x:g} = {3 * x * x:g}, "
                   f"{x * x:g} if overwritten, {6 * x * x:g} after two calls", name, show=show)

r"""Checkers for chapter 4's exercises (ReLU and its family).

Each grades the learner's own answer, prints a one-line verdict that says what is wrong,
and returns a :class:`~lessonlib.exercises.Verdict`; none raises on an unattempted starter.

* :func:`check_leaky_gain`: a function ``gain(alpha)`` against $\sqrt{2/(1+\alpha^2)}$;
* :func:`check_dead_counter`: a function ``dead_fraction(Z)`` that counts the units of a
  layer that are off on every example (chapter 4's definition of a dead unit);
* :func:`check_elu_vjp`: an ELU op (forward and VJP, $\alpha = 1$) against the library's,
  with :func:`lessonlib.gradcheck.check_grad` as the arbiter of the VJP;
* :func:`check_scaling_exponent`: the power of $c$ by which a bias-free ReLU network's
  output grows when every weight matrix is multiplied by $c$.
"""
from __future__ import annotations

import numpy as np

from ..activations import elu, elu_slope
from ..autodiff import Tensor
from ..gradcheck import check_grad
from .checkers import check_function
from .slips import diagnose_numbers
from .verdicts import NOT_ATTEMPTED, as_number, call_learner, unattempted, verdict

__all__ = ["check_leaky_gain", "check_dead_counter", "check_elu_vjp", "check_scaling_exponent"]

_SLOPES = (0.0, 0.1, 0.2, 0.5, 1.0, -1.0)


def _leaky_gain(alpha):
    return np.sqrt(2.0 / (1.0 + alpha * alpha))


def _numbers(fn, args, name, of, returns, show):
    """``(array of fn(*a) for every a, None)``, or ``(None, Verdict)`` when the learner's
    code did not give one number for each (``fn`` is a function of ``of``; ``returns``
    says what it should return)."""
    if unattempted(fn):
        return None, verdict(None, NOT_ATTEMPTED, name, show=show)
    if not callable(fn):
        return None, verdict(False, f"expected a function of {of}, got {type(fn).__name__}", name, show=show)
    values = []
    for a in args:
        got, early = call_learner(fn, a, name, where=f"at {name}{a}", show=show)
        if early is not None:
            return None, early
        values.append(got)
    try:
        return np.array([float(np.asarray(g)) for g in values]), None
    except (TypeError, ValueError):
        return None, verdict(False, returns, name, show=show)


def check_leaky_gain(gain, *, show=True):
    r"""Grade ``gain(alpha)``, the weight gain (in units of $1/\sqrt{n_{in}}$) for leaky ReLU."""
    name = "gain"
    a = np.array(_SLOPES)
    got, early = _numbers(gain, [(float(x),) for x in a], name, "alpha", "gain(alpha) should return one number", show)
    if early is not None:
        return early
    right = _leaky_gain(a)
    if np.allclose(got, right, rtol=1e-9):
        return verdict(True, f"correct on alpha = {list(_SLOPES)}", name, show=show)
    slips = (
        (np.sqrt(2.0) * np.ones_like(a), "that is He's sqrt(2) for every alpha: the slope alpha on the left adds "
                                         "alpha^2 Var(z)/2 to the second moment"),
        (2.0 / (1.0 + a * a), "that is the variance factor n Var(W); the gain is its square root"),
        (np.sqrt(2.0 / (1.0 + np.abs(a))), "alpha enters squared: E[lrelu(z)^2] = (1 + alpha^2) Var(z) / 2"),
        (np.sqrt((1.0 + a * a) / 2.0), "that is the reciprocal: the layer multiplies by sqrt(n Var(W) (1+alpha^2)/2), "
                                       "so Var(W) must divide by (1 + alpha^2)/2"),
        (np.sqrt(1.0 / (1.0 + a * a)), "off by a factor sqrt(2): ReLU's half-zero slope needs He's factor 2"),
    )
    for wrong, why in slips:
        if np.allclose(got, wrong, rtol=1e-9):
            return verdict(False, why, name, show=show)
    bad = int(np.argmax(np.abs(got - right) / right))
    why = diagnose_numbers(got, right, rtol=1e-9) or "wrong"
    return verdict(False, f"{why} (for example gain({_SLOPES[bad]}) = {got[bad]:.6g}, expected {right[bad]:.6g})",
                   name, show=show)


def _dead_cases():
    """(Z, right answer) pairs, built so that each usual slip gives a different number."""
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((50, 8)) + 0.5
    Z[:, 0] = -np.abs(Z[:, 0])           # unit 0: off on every example -> dead
    Z[:, 1] = -np.abs(Z[:, 1])
    Z[3, 1] = 0.0                        # unit 1: z = 0 on one example, < 0 elsewhere -> dead (relu' = 0 there)
    Z[:, 2] = -np.abs(Z[:, 2])
    Z[7, 2] = 0.3                        # unit 2: fires on one example -> alive
    small = np.array([[-1.0, 2.0, 0.0], [-0.5, -1.0, 0.0], [-2.0, 0.5, 0.0], [-0.1, -3.0, 0.0]])
    return [Z, small, -np.ones((3, 5)), np.ones((4, 2))]


def check_dead_counter(dead_fraction, *, show=True):
    """Grade ``dead_fraction(Z)``: the fraction of units (columns) with z <= 0 on every example (row)."""
    name = "dead_fraction"
    cases = _dead_cases()
    got, early = _numbers(dead_fraction, [(Z.copy(),) for Z in cases], name, "Z",
                          "dead_fraction(Z) should return one number, the fraction of dead units", show)
    if early is not None:
        return early
    right = np.array([np.mean(np.all(Z <= 0, axis=0)) for Z in cases])
    if np.allclose(got, right, atol=1e-12):
        return verdict(True, f"correct on {len(cases)} layers", name, show=show)
    slips = (
        ([np.sum(np.all(Z <= 0, axis=0)) for Z in cases], "that is the number of dead units; divide by the number of units"),
        ([np.mean(Z <= 0) for Z in cases], "that is the fraction of zero entries of relu(Z) (its sparsity), "
                                           "not of units that are off on every example"),
        ([np.mean(np.all(Z < 0, axis=0)) for Z in cases], "a unit with z = 0 exactly is off too: relu'(0) = 0, so use z <= 0"),
        ([np.mean(np.all(Z <= 0, axis=1)) for Z in cases], "that counts examples on which every unit is off; a dead unit is a "
                                                          "column (unit) that is off on every row (example): reduce over axis 0"),
        ([np.mean(np.any(Z <= 0, axis=0)) for Z in cases], "that counts units that are off on *some* example; "
                                                          "dead means off on *every* example (all, not any)"),
    )
    for wrong, why in slips:
        if np.allclose(got, np.array(wrong, dtype=float), atol=1e-12):
            return verdict(False, why, name, show=show)
    bad = int(np.argmax(np.abs(got - right)))
    return verdict(False, f"on a layer of shape {cases[bad].shape} you return {got[bad]:.4g}, expected {right[bad]:.4g}",
                   name, show=show)


def check_elu_vjp(my_elu, *, show=True):
    r"""Grade an ELU op with $\alpha = 1$: its values, then its VJP (via ``backward()`` and ``check_grad``)."""
    name = "my_elu"
    if unattempted(my_elu):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    rng = np.random.default_rng(1)
    z = rng.normal(scale=2.0, size=(4, 6))
    z = np.where(np.abs(z) < 0.1, z + np.sign(z) * 0.1 + 1e-3, z)      # away from the kink at 0
    values = check_function(my_elu, lambda x: elu(x).data, [(z,)], name=name, rtol=1e-9, show=False)
    if not values.ok:
        if values.ok is None:
            return verdict(None, NOT_ATTEMPTED, name, show=show)
        return verdict(False, f"the forward values are wrong: {values.message}", name, show=show)
    weights = rng.standard_normal(z.shape)
    x = Tensor(z.copy(), requires_grad=True)
    try:
        out = my_elu(x)
        if not isinstance(out, Tensor):
            return verdict(False, "my_elu(x) returned a plain array for a Tensor input: decorate it with @primitive",
                           name, show=show)
        (out * weights).sum().backward()
    except NotImplementedError:
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    except Exception as err:  # the learner's VJP raised
        hint = " (is my_elu decorated with @primitive?)" if "Tensor" in str(err) else ""
        return verdict(False, f"backward() raised {type(err).__name__}: {err}{hint}", name, show=show)
    if x.grad is None:
        return verdict(False, "no gradient reached x: register the VJP with defvjp(my_elu, ...)", name, show=show)
    grad = np.asarray(x.grad, dtype=float)
    right = weights * elu_slope(z)
    if np.allclose(grad, right, rtol=1e-9, atol=1e-12):
        err = check_grad(lambda t: (my_elu(t) * weights).sum(), Tensor(z.copy(), requires_grad=True))
        if err > 1e-6:
            return verdict(False, f"backward() looks right but check_grad reports a relative error {err:.1e}",
                           name, show=show)
        return verdict(True, f"correct: values and VJP (check_grad relative error {err:.1e})", name, show=show)
    left = z <= 0
    ans = elu(z).data
    slips = (
        (weights, "the VJP passes g unchanged: on the left the slope is e^z, not 1"),
        (weights * np.where(left, ans, 1.0), "on the left the slope is elu(z) + 1 = e^z, not elu(z) = e^z - 1"),
        (weights * np.where(left, 0.0, 1.0), "that is ReLU's VJP: ELU's slope on the left is e^z, not 0"),
        (weights * np.exp(z), "e^z is the slope only for z <= 0; for z > 0 it is 1"),
        (np.where(left, np.exp(z), 1.0), "multiply the slope by the incoming gradient g"),
    )
    for wrong, why in slips:
        if np.allclose(grad, wrong, rtol=1e-9, atol=1e-12):
            return verdict(False, why, name, show=show)
    why = diagnose_numbers(grad, right, rtol=1e-9, atol=1e-12)
    return verdict(False, f"the VJP is wrong: {why}", name, show=show)


def check_scaling_exponent(exponent, hidden_layers, *, show=True):
    r"""Grade the exponent $k$ in "the output is multiplied by $c^k$" for an MLP with
    ``hidden_layers`` ReLU layers, a linear output layer and zero biases."""
    name = "exponent"
    k, early = as_number(exponent, name, show=show)
    if early is not None:
        return early
    right = hidden_layers + 1
    if k == right:
        return verdict(True, f"correct: {hidden_layers} hidden layers and the output layer, {right} weight matrices",
                       name, show=show)
    if k == hidden_layers:
        why = "that counts the hidden layers only: the linear output layer multiplies by c too"
    elif k == right + 1:
        why = "one too many: the network has L + 1 weight matrices, each contributing one factor c"
    elif k in (1, 2 * right):
        why = ("a factor c per weight matrix compounds: relu(c z) = c relu(z), so layer l carries c^l"
               if k == 1 else "the output is linear in each weight matrix: one factor c each, not c^2")
    else:
        why = f"count the weight matrices between the input and the output ({hidden_layers} hidden layers + 1)"
    return verdict(False, f"{k:g} is not right: {why}", name, show=show)

r"""Checkers for chapter 5's exercises (batch normalization).

Each checker grades the learner's own answer and says what is wrong, recognizing the
usual slips of this chapter: the chance level taken as $\ln K$ for imbalanced classes,
a backward pass that treats the batch mean or the batch variance as a constant, the
unbiased variance used to normalize, a sum over the wrong axis, a missing $\gamma$.
A starter left as it is (``...``, ``None`` or ``raise NotImplementedError``) gets
"not attempted yet", never an exception.
"""
from __future__ import annotations

import numpy as np

from ..autodiff import Tensor
from ..normalization import batch_norm
from .checkers import check_array, check_function, check_number
from .slips import diagnose_numbers
from .verdicts import NOT_ATTEMPTED, as_number, call_learner, unattempted, verdict

__all__ = ["check_chance_level", "bn_backward_reference", "check_bn_backward", "check_layer_norm",
           "check_batch_of_two"]


def check_chance_level(answer, frequencies, *, show=True):
    r"""Grade the chance-level cross-entropy $-\sum_k p_k \ln p_k$ (nats) for class ``frequencies``."""
    p = np.asarray(frequencies, dtype=float)
    p = p / p.sum()
    expected = float(-np.sum(p[p > 0] * np.log(p[p > 0])))
    name = "chance level"
    value, early = as_number(answer, name, show=show)
    if early is not None:
        return early
    slips = {
        np.log(len(p)): f"that is ln {len(p)}, the chance level only when the {len(p)} classes are equally frequent",
        expected / np.log(2): "that is in bits (log base 2); cross-entropy here is in nats (natural log)",
        -expected: "the sign is wrong: the entropy -sum p ln p is positive",
        float(-np.sum(np.log(p[p > 0])) / len(p)): "you averaged -ln p_k over the classes; weight each by its frequency p_k",
    }
    for wrong, why in slips.items():
        if np.isclose(value, wrong, rtol=1e-6) and not np.isclose(value, expected, rtol=1e-6):
            return verdict(False, f"{value:.6g} is not right: {why}", name, show=show)
    return check_number(value, expected, name=name, rtol=1e-6, show=show)


def _bn_terms(x, gamma, g, ddof=0, eps=1e-5):
    n = x.shape[0]
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).sum(axis=0) / (n - ddof)
    inv_sigma = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_sigma
    return n, inv_sigma, x_hat, g.sum(axis=0), (g * x_hat).sum(axis=0)


def bn_backward_reference(x, gamma, g, eps=1e-5):
    r"""$(\partial L/\partial x, \partial L/\partial\gamma, \partial L/\partial\beta)$ for
    $L = \sum y \odot g$, $y$ = :func:`~lessonlib.normalization.batch_norm` ``(x, gamma, 0)``: by autodiff."""
    xt = Tensor(np.array(x, dtype=float), requires_grad=True)
    gt = Tensor(np.array(gamma, dtype=float), requires_grad=True)
    bt = Tensor(np.zeros(np.shape(gamma)), requires_grad=True)
    (batch_norm(xt, gt, bt, eps=eps) * g).sum().backward()
    return xt.grad, gt.grad, bt.grad


def _dx_slips(x, gamma, g, eps):
    """Wrong versions of dL/dx that learners write, each with what it means."""
    n, inv_sigma, x_hat, sum_g, sum_gx = _bn_terms(x, gamma, g, eps=eps)
    slips = [
        (gamma * inv_sigma * g,
         "your dL/dx treats the batch mean and variance as constants: x also changes mu and sigma"),
        (gamma * inv_sigma / n * (n * g - x_hat * sum_gx),
         "the path through the batch mean mu is missing (the -sum_n g_n term)"),
        (gamma * inv_sigma / n * (n * g - sum_g),
         "the path through the batch variance is missing (the -x_hat * sum_n g_n x_hat_n term)"),
        (inv_sigma / n * (n * g - sum_g - x_hat * sum_gx), "gamma is missing: dL/dx_hat = gamma * dL/dy"),
    ]
    n_, inv_u, x_hat_u, sum_g_u, sum_gx_u = _bn_terms(x, gamma, g, ddof=1, eps=eps)
    slips.append((gamma * inv_u / n * (n * g - sum_g_u - x_hat_u * sum_gx_u * n / (n - 1)),
                  "you normalized with the unbiased variance (divide by N - 1); the forward pass divides by N"))
    return slips


def check_bn_backward(fn, *, seed=0, eps=1e-5, show=True):
    r"""Grade ``fn(x, gamma, g) -> (dx, dgamma, dbeta)``, batch norm's backward pass written op by op.

    ``g`` is $\partial L/\partial y$ of shape (N, n); the answer is compared with
    lessonlib's :func:`~lessonlib.normalization.batch_norm` differentiated by the engine,
    on two random batches (N = 8 and N = 3).
    """
    name = "batch-norm backward"
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    rng = np.random.default_rng(seed)
    for N in (8, 3):
        x = rng.normal(2.0, 1.5, size=(N, 4))
        gamma = rng.normal(1.0, 0.5, size=4)
        g = rng.standard_normal((N, 4))
        got, early = call_learner(fn, (x.copy(), gamma.copy(), g.copy()), name, where=f"batch of {N}", show=show)
        if early is not None:
            return early
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            return verdict(False, "return the three gradients (dx, dgamma, dbeta) as a tuple", name, show=show)
        expected = bn_backward_reference(x, gamma, g, eps)
        for label, a, e in zip(("dL/dx", "dL/dgamma", "dL/dbeta"), got, expected):
            a = np.asarray(a, dtype=float)
            if a.shape != e.shape:
                hint = " (summed over the units instead of the examples? sum over axis 0)" if a.shape == (N,) else ""
                return verdict(False, f"{label} has shape {a.shape}, expected {e.shape}{hint}", name, show=show)
            if diagnose_numbers(a, e, rtol=1e-7, atol=1e-10) is None:
                continue
            if label == "dL/dx":
                for wrong, why in _dx_slips(x, gamma, g, eps):
                    if diagnose_numbers(a, wrong, rtol=1e-7, atol=1e-10) is None:
                        return verdict(False, why, name, show=show)
            why = diagnose_numbers(a, e, rtol=1e-7, atol=1e-10)
            return verdict(False, f"{label}: {why} (batch of {N})", name, show=show)
    return verdict(True, "correct: matches lessonlib's three-term VJP on batches of 8 and 3", name, show=show)


def check_layer_norm(fn, *, seed=0, show=True):
    r"""Grade a layer-norm primitive ``fn(x)`` (no $\gamma$, $\beta$; $\epsilon = 10^{-5}$) and its VJP.

    The forward values are compared with rows standardized over their units; the VJP
    is compared with central differences, entry by entry.
    """
    name = "layer_norm_mine"
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    rng = np.random.default_rng(seed)
    x = rng.normal(2.0, 3.0, size=(6, 5))
    centred = x - x.mean(axis=1, keepdims=True)
    expected = centred / np.sqrt((centred ** 2).mean(axis=1, keepdims=True) + 1e-5)
    over_batch = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5)
    out, early = call_learner(fn, (Tensor(x, requires_grad=True),), name, show=show)
    if early is not None:
        return early
    values = np.asarray(out.data if isinstance(out, Tensor) else out, dtype=float)
    if values.shape == expected.shape and np.allclose(values, over_batch, rtol=1e-8):
        return verdict(False, "you standardized each unit over the batch (axis 0): that is batch "
                              "normalization; layer normalization standardizes each row (axis 1)", name, show=show)
    forward = check_array(values, expected, name=name, show=False)
    if not forward.ok:
        return verdict(False, f"forward pass: {forward.message}", name, show=show)
    if not isinstance(out, Tensor) or not out.requires_grad:
        return verdict(False, "the output is not connected to the graph: decorate the function with "
                              "@primitive and register its VJP with defvjp", name, show=show)
    G = rng.standard_normal(x.shape)
    try:
        t = Tensor(x, requires_grad=True)
        (fn(t) * G).sum().backward()
        grad = t.grad
    except NotImplementedError:
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    except Exception as error:
        return verdict(False, f"the VJP raised {type(error).__name__}: {error}", name, show=show)
    loss = lambda a: float(np.sum(np.asarray(fn(Tensor(a)).data) * G))
    numeric = np.zeros_like(x)
    for i in np.ndindex(x.shape):                 # central differences, entry by entry
        step = np.zeros_like(x)
        step[i] = 1e-6
        numeric[i] = (loss(x + step) - loss(x - step)) / 2e-6
    if grad is None:
        return verdict(False, "the input received no gradient: is the output built from x, and is the VJP "
                              "registered with defvjp for this function?", name, show=show)
    err = float(np.max(np.abs(numeric - grad)) / max(1.0, np.max(np.abs(numeric))))
    if not err < 1e-6:
        return verdict(False, f"forward pass correct, but the VJP disagrees with central differences "
                              f"(largest error {err:.1e}); the three-term form needs sums over each row",
                       name, show=show)
    return verdict(True, f"correct: forward matches, VJP agrees with central differences ({err:.0e})",
                   name, show=show)


def check_batch_of_two(fn, *, show=True):
    r"""Grade ``fn(g1, g2, v, eps)``: $\partial L/\partial x_1$ for batch norm with $N = 2$, $\gamma = 1$.

    ``v`` is the biased variance of the two inputs; the answer is
    $\frac{g_1 - g_2}{2\sqrt{v + \epsilon}} \cdot \frac{\epsilon}{v + \epsilon}$.
    """
    reference = lambda g1, g2, v, eps: (g1 - g2) / (2 * np.sqrt(v + eps)) * eps / (v + eps)
    inputs = [(0.7, -1.2, 0.5, 1e-5), (2.0, 0.5, 3.0, 1e-3), (-1.0, 1.5, 1e-4, 1e-5)]
    name = getattr(fn, "__name__", "dL/dx_1 at N = 2")
    if not unattempted(fn) and callable(fn):
        try:
            got = fn(*inputs[0])
        except Exception:  # graded (and reported) by check_function below
            got = None
        if got is not None and not unattempted(got) and np.ndim(got) == 0 and float(got) == 0.0:
            return verdict(False, "0 is the answer only for eps = 0; with eps > 0 a remainder of relative "
                                  "size eps / (v + eps) is left", name, show=show)
    return check_function(fn, reference, inputs, name=name, rtol=1e-8, show=show)

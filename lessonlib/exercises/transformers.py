"""Checkers for chapter 8's exercises (Transformers). Each grades the learner's answer, says
what is wrong, and never raises on an unattempted starter."""
from __future__ import annotations

import numpy as np

from .checkers import check_vjp
from .verdicts import NOT_ATTEMPTED, as_number, unattempted, verdict

__all__ = ["check_softmax_vjp", "check_dot_variance", "check_layer_norm_backward", "check_causal_mask"]


def _softmax_np(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def check_softmax_vjp(f, *, show=True):
    """``f`` maps a Tensor of logits (rows) to the softmax over the last axis, via the
    learner's ``@primitive`` and VJP; graded on a (3, 5) batch of logits with one large row."""
    x = np.array([[0.3, -1.2, 0.8, 0.1, -0.4], [1.0, 2.0, 3.0, 4.0, 5.0], [50.0, 51.0, 49.0, 50.5, 48.0]])
    if unattempted(f):
        return verdict(None, NOT_ATTEMPTED, "softmax VJP", show=show)
    return check_vjp(f, x, name="softmax VJP", reference=_softmax_np, show=show)


def check_dot_variance(answer, *, d, var_q, var_k, show=True):
    r"""The variance of $q \cdot k$ for independent zero-mean entries: $d\,\sigma_q^2 \sigma_k^2$."""
    name = "Var(q . k)"
    a, early = as_number(answer, name, show=show)
    if early is not None:
        return early
    expected = d * var_q * var_k
    if np.isclose(a, expected, rtol=1e-6):
        return verdict(True, f"correct: d var_q var_k = {expected:g}", name, show=show)
    slips = [(np.sqrt(expected), "that is the standard deviation of q . k, not its variance"),
             (var_q * var_k, f"that is one term's variance: the sum has d = {d} independent terms"),
             (d * np.sqrt(var_q * var_k), "the variance of a product of independent zero-mean numbers "
                                          "is the product of the variances, not of the standard deviations"),
             (d * (var_q + var_k), "the variance of a product multiplies the variances; it does not add them"),
             (expected / d, f"divided by d = {d}: the scaled logit's variance, not q . k's"),
             (np.sqrt(d) * var_q * var_k, "the variances of the d terms add: d, not sqrt(d)")]
    for value, why in slips:
        if np.isclose(a, value, rtol=1e-6):
            return verdict(False, why, name, show=show)
    return verdict(False, f"{a:g} is not the variance; add up the d = {d} terms' variances", name, show=show)


def _layer_norm_reference(g, x, gamma, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    inv = 1.0 / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps)
    xh = (x - mu) * inv
    gh = g * gamma
    n = x.shape[-1]
    full = inv / n * (n * gh - gh.sum(-1, keepdims=True) - xh * (gh * xh).sum(-1, keepdims=True))
    no_mean = inv / n * (n * gh - xh * (gh * xh).sum(-1, keepdims=True))
    no_var = inv / n * (n * gh - gh.sum(-1, keepdims=True))
    no_gamma = inv / n * (n * g - g.sum(-1, keepdims=True) - xh * (g * xh).sum(-1, keepdims=True))
    mu0 = x.mean(0, keepdims=True)
    inv0 = 1.0 / np.sqrt(((x - mu0) ** 2).mean(0, keepdims=True) + eps)
    xh0, m = (x - mu0) * inv0, x.shape[0]
    over_batch = inv0 / m * (m * gh - gh.sum(0, keepdims=True) - xh0 * (gh * xh0).sum(0, keepdims=True))
    return full, {"no_mean": no_mean, "no_var": no_var, "no_gamma": no_gamma, "batch": over_batch}


def check_layer_norm_backward(fn, *, show=True):
    r"""``fn(g, x, gamma)`` returns $\partial L/\partial x$ for LayerNorm over the last axis
    (eps = 1e-5), given $g = \partial L/\partial y$. Graded on a (4, 6) batch."""
    name = "layer_norm_backward"
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    rng = np.random.default_rng(8)
    x, g, gamma = rng.standard_normal((4, 6)) * 2 + 1, rng.standard_normal((4, 6)), rng.uniform(0.5, 2, 6)
    try:
        got = fn(g, x, gamma)
    except NotImplementedError:
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    except Exception as err:  # the learner's code raised: say what
        return verdict(False, f"raised {type(err).__name__}: {err}", name, show=show)
    if got is None or got is Ellipsis:
        return verdict(None, f"{NOT_ATTEMPTED} ({name} returns {got!r})", name, show=show)
    got = np.asarray(got, dtype=float)
    if got.shape != x.shape:
        return verdict(False, f"shape {got.shape}, but dL/dx has the shape of x, {x.shape}", name, show=show)
    full, wrong = _layer_norm_reference(g, x, gamma)
    if np.allclose(got, full, rtol=1e-6, atol=1e-10):
        return verdict(True, "correct: the three-term form over the feature axis", name, show=show)
    why = {"no_mean": "the term -sum_j g_j (from the mean) is missing",
           "no_var": "the term -x_hat sum_j g_j x_hat_j (from the variance) is missing",
           "no_gamma": "gamma is missing: the gradient reaching x_hat is gamma * g",
           "batch": "those sums run over the batch (axis 0): that is BatchNorm; LayerNorm sums over the features"}
    for key, value in wrong.items():
        if np.allclose(got, value, rtol=1e-6, atol=1e-10):
            return verdict(False, why[key], name, show=show)
    k = np.vdot(got, full) / np.vdot(full, full)
    if np.allclose(got, k * full, rtol=1e-6, atol=1e-10):
        return verdict(False, f"off by a constant factor {k:.4g}", name, show=show)
    return verdict(False, f"wrong (largest error {np.max(np.abs(got - full)):.3g} at entry "
                          f"{np.unravel_index(np.argmax(np.abs(got - full)), x.shape)})", name, show=show)


def check_causal_mask(mask, *, T, show=True):
    """``mask`` (T, T) is added to the logits: 0 where query t may see key s (s <= t) and a
    large negative number (or -inf) where it may not."""
    name = "causal mask"
    if unattempted(mask):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    m = np.asarray(getattr(mask, "data", mask), dtype=float)
    if m.shape != (T, T):
        return verdict(False, f"shape {m.shape}, but one entry per (query, key) pair is ({T}, {T})", name,
                       show=show)
    allowed = np.tri(T, dtype=bool)
    diag = np.eye(T, dtype=bool)
    future, past = ~allowed, allowed & ~diag
    blocked = m < -1e8
    if np.all(blocked[future]) and np.all(m[allowed] == 0):
        return verdict(True, f"correct: each of the {T} queries sees itself and the past", name, show=show)
    if T > 1 and np.all(blocked[past]) and np.all(m[future] == 0):
        return verdict(False, "this mask hides the past and shows the future: transpose it (rows are "
                              "queries, columns keys)", name, show=show)
    if np.all(blocked[future]) and np.all(blocked[diag]) and np.all(m[past] == 0):
        return verdict(False, "the diagonal is masked: query t must see its own key (else the first "
                              "query sees nothing)", name, show=show)
    if not np.any(blocked):
        return verdict(False, "nothing is masked: the entries above the diagonal need a large negative "
                              "number (below -1e8), e.g. -1e9 or -inf", name, show=show)
    if not np.all(blocked[future]):
        return verdict(False, "some future keys (above the diagonal) are not masked", name, show=show)
    return verdict(False, "the allowed entries (key s <= query t) must be exactly 0, so that they "
                          "leave the logits unchanged", name, show=show)

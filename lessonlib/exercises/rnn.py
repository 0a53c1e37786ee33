r"""Checkers for chapter 7's exercises (recurrent networks): each grades the learner's own
answer, says what is wrong, and prints "not attempted yet" for an untouched starter.

* :func:`check_clip_by_norm`: a learner's ``clip_by_norm(grads, max_norm)``;
* :func:`check_lstm_step`: a learner's ``lstm_step(x, h, c, W_xh, W_hh, b)`` built from
  Tensor ops: its forward values against :class:`lessonlib.recurrent.LSTMCell`, its
  gradients with :func:`lessonlib.gradcheck.check_grad`, and $\partial c_t/\partial c_{t-1} = \operatorname{diag}(f_t)$;
* :func:`check_sigmoid_bound`: $\gamma$ and the per-step bound of a sigmoid RNN;
* :func:`check_nonnormal`: the largest singular value and the decay rate of $\lVert W^m\rVert$;
* :func:`check_half_memory`: the error of a network that remembers only the second value.
"""
from __future__ import annotations

import numpy as np

from ..autodiff import Tensor
from ..gradcheck import check_grad
from ..recurrent import LSTMCell
from .checkers import check_number
from .slips import diagnose_numbers
from .verdicts import NOT_ATTEMPTED, Verdict, as_number, as_numbers, call_learner, unattempted, verdict

__all__ = ["check_clip_by_norm", "check_lstm_step", "check_sigmoid_bound", "check_nonnormal",
           "check_half_memory"]


# --- clipping by norm -----------------------------------------------------------------------
def _reference_clip(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    scale = min(1.0, max_norm / total) if total > 0 else 1.0
    return [g * scale for g in grads]


def _clip_cases():
    rng = np.random.default_rng(7)
    big = [3.0 * rng.standard_normal((4, 3)), 5.0 * rng.standard_normal(3), rng.standard_normal((3, 1))]
    small = [0.01 * g for g in big]
    return [(big, 1.0), (small, 1.0), (big, 2.5)]


def _clip_diagnosis(got, grads, max_norm):
    """Name the usual wrong rule that ``got`` matches, or None."""
    norms = [np.linalg.norm(g) for g in grads]
    per_param = [g * min(1.0, max_norm / n) for g, n in zip(grads, norms)]
    by_value = [np.clip(g, -max_norm, max_norm) for g in grads]
    total = np.sqrt(sum(n ** 2 for n in norms))
    always = [g * max_norm / total for g in grads]
    candidates = [
        (per_param, "each array was clipped to its own norm; clip by the joint norm of all of them, "
                    "so that the direction of the whole gradient is kept"),
        (by_value, "that is clipping by value (every entry cut to [-c, c]); clipping by norm rescales "
                   "all entries by the same factor"),
        (always, "the gradient was rescaled although its norm was below max_norm: clipping only ever "
                 "shortens, it never lengthens a small gradient"),
    ]
    for wrong, why in candidates:
        if all(np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-9, atol=1e-12)
               for a, b in zip(got, wrong)):
            return why
    return None


def check_clip_by_norm(fn, *, show=True) -> Verdict:
    """Grade ``fn(grads, max_norm) -> list of arrays`` against clipping by the joint norm."""
    name = "clip_by_norm"
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    for grads, max_norm in _clip_cases():
        originals = [g.copy() for g in grads]
        got, early = call_learner(fn, ([g.copy() for g in grads], max_norm), name, show=show)
        if early is not None:
            return early
        if np.isscalar(got) or (isinstance(got, np.ndarray) and got.ndim == 0):
            return verdict(False, "returned a number; return the list of clipped gradient arrays", name,
                           show=show)
        got = [np.asarray(g, dtype=float) for g in got]
        if len(got) != len(grads):
            return verdict(False, f"returned {len(got)} arrays for {len(grads)} gradients", name, show=show)
        expected = _reference_clip(originals, max_norm)
        if all(a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=1e-12) for a, b in zip(got, expected)):
            continue
        why = _clip_diagnosis(got, originals, max_norm)
        if why is None:
            flat_got = np.concatenate([g.ravel() for g in got])
            flat_exp = np.concatenate([g.ravel() for g in expected])
            why = diagnose_numbers(flat_got, flat_exp, rtol=1e-9) if flat_got.shape == flat_exp.shape \
                else "the shapes of the returned arrays differ from the gradients'"
        total = np.sqrt(sum(np.sum(g ** 2) for g in originals))
        return verdict(False, f"{why} (joint norm {total:.3g}, max_norm {max_norm:g})", name, show=show)
    return verdict(True, "correct: the joint norm is capped and the direction kept", name, show=show)


# --- one LSTM step ----------------------------------------------------------------------------
def _lstm_case(seed=3, n_in=3, n=4, batch=2):
    rng = np.random.default_rng(seed)
    cell = LSTMCell(n_in, n, rng=rng)
    cell.b_h.data[...] += 0.3 * rng.standard_normal(4 * n)
    x, h, c = (rng.standard_normal(s) for s in ((batch, n_in), (batch, n), (batch, n)))
    return cell, x, h, c


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _lstm_variants(x, h, c, W_xh, W_hh, b):
    """Outputs (h_new, c_new) of the correct step and of typical slips, on plain arrays."""
    n = h.shape[1]
    z = x @ W_xh + h @ W_hh + b
    zi, zf, zo, zg = (z[:, k * n:(k + 1) * n] for k in range(4))
    i, f, o, g = _sigmoid(zi), _sigmoid(zf), _sigmoid(zo), np.tanh(zg)
    c_new = f * c + i * g
    return {
        "correct": (o * np.tanh(c_new), c_new),
        "h_t = o * c_t: the output needs tanh(c_t), h_t = o_t * tanh(c_t)": (o * c_new, c_new),
        "the input and forget gates are swapped: c_t = f_t * c_(t-1) + i_t * g_t, with the forget "
        "gate in columns n:2n": (o * np.tanh(i * c + f * g), i * c + f * g),
        "the candidate g_t must go through tanh, not the sigmoid": (
            o * np.tanh(f * c + i * _sigmoid(zg)), f * c + i * _sigmoid(zg)),
        "the gate order is i, f, o, g: columns 2n:3n are the output gate and 3n:4n the candidate": (
            _sigmoid(zg) * np.tanh(f * c + i * np.tanh(zo)), f * c + i * np.tanh(zo)),
        "the cell state is not carried: c_t = f_t * c_(t-1) + i_t * g_t (the f_t * c_(t-1) term is missing)": (
            o * np.tanh(i * g), i * g),
    }


def _as_pair(out):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return None
    return tuple(o.data if isinstance(o, Tensor) else np.asarray(o, dtype=float) for o in out)


def check_lstm_step(fn, *, show=True) -> Verdict:
    r"""Grade ``fn(x, h, c, W_xh, W_hh, b) -> (h_new, c_new)``, gates in the order i, f, o, g.

    Three checks: the values (against :class:`~lessonlib.recurrent.LSTMCell`, with a
    diagnosis of the usual slips), the gradients with respect to all six inputs
    (:func:`~lessonlib.gradcheck.check_grad`: an answer computed on ``.data`` with numpy has none),
    and $\partial c_t/\partial c_{t-1} = \operatorname{diag}(f_t)$.
    """
    name = "lstm_step"
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    cell, x, h, c = _lstm_case()
    arrays = (x, h, c, cell.W_xh.data, cell.W_hh.data, cell.b_h.data)
    out, early = call_learner(fn, tuple(Tensor(a.copy()) for a in arrays), name, show=show)
    if early is not None:
        return early
    pair = _as_pair(out)
    if pair is None:
        return verdict(False, "return the pair (h_new, c_new)", name, show=show)
    variants = _lstm_variants(*arrays)
    want_h, want_c = variants["correct"]
    if pair[0].shape != want_h.shape or pair[1].shape != want_c.shape:
        return verdict(False, f"shapes {pair[0].shape} and {pair[1].shape}, expected {want_h.shape} for both",
                       name, show=show)
    if not (np.allclose(pair[0], want_h, rtol=1e-9, atol=1e-12) and np.allclose(pair[1], want_c, rtol=1e-9,
                                                                                 atol=1e-12)):
        for why, (vh, vc) in variants.items():
            if why != "correct" and np.allclose(pair[0], vh, rtol=1e-9) and np.allclose(pair[1], vc, rtol=1e-9):
                return verdict(False, why, name, show=show)
        if np.allclose(pair[1], want_c, rtol=1e-9):
            return verdict(False, "c_new is right but h_new is not: h_t = o_t * tanh(c_t)", name, show=show)
        return verdict(False, "the values differ from an LSTM step: " + str(diagnose_numbers(pair[1], want_c)),
                       name, show=show)
    # gradients: a scalar loss of both outputs, checked against central differences
    readout = np.random.default_rng(0).standard_normal(want_h.shape)
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]

    def loss(*ts):
        h_new, c_new = fn(*ts)
        return (h_new * readout).sum() + (c_new * c_new).sum() * 0.5

    try:
        out = loss(*tensors)
        if not isinstance(out, Tensor) or not out.requires_grad:
            raise TypeError("no graph")
        err = check_grad(loss, *tensors)
    except Exception:  # computed on .data (numpy): the engine saw no operations
        return verdict(False, "the values are right but no gradient flows: build the step from Tensor "
                              "operations (lessonlib.sigmoid, lessonlib.tanh, @, *), not on .data", name, show=show)
    missing = [k for k, t in zip(("x", "h", "c", "W_xh", "W_hh", "b"), tensors) if t.grad is None
               or not np.any(t.grad)]
    if missing:
        return verdict(False, f"no gradient reaches {', '.join(missing)}: was it used through .data?",
                       name, show=show)
    if not err < 1e-6:
        return verdict(False, f"the gradients disagree with central differences (relative error {err:.1e})",
                       name, show=show)
    return verdict(True, f"correct: values match LSTMCell, gradients pass check_grad ({err:.0e})",
                   name, show=show)


# --- numbers ------------------------------------------------------------------------------
def check_sigmoid_bound(gamma, factor, *, sigma_max=3.5, show=True) -> Verdict:
    r"""Grade $\gamma = \max\sigma'$ and the bound per step $\gamma\,\sigma_{\max}$ of a sigmoid RNN."""
    name = "sigmoid bound"
    values, early = as_numbers({"gamma": gamma, "the bound per step": factor}, name, show=show)
    if early is not None:
        return early
    g, f = values
    if np.isclose(g, 1.0):
        return verdict(False, "gamma = 1 is tanh's largest slope; the sigmoid's is sigma'(0) = 1/4", name, show=show)
    if np.isclose(g, 0.5):
        return verdict(False, "gamma = 1/2 is sigma(0), the value; the largest slope is sigma'(0) = "
                              "sigma(0)(1 - sigma(0)) = 1/4", name, show=show)
    if not np.isclose(g, 0.25):
        return verdict(False, f"gamma = {g:g} is not the largest slope of the sigmoid", name, show=show)
    if np.isclose(f, 1 / (0.25 * sigma_max)):
        return verdict(False, "that is 1/(gamma sigma_max); the bound per step is gamma * sigma_max", name,
                       show=show)
    if np.isclose(f, sigma_max):
        return verdict(False, "that is sigma_max alone; multiply by gamma = 1/4", name, show=show)
    if not np.isclose(f, 0.25 * sigma_max):
        return verdict(False, f"the bound per step is gamma * sigma_max, not {f:g}", name, show=show)
    return verdict(True, f"correct: gamma = 1/4, bound {f:g} per step < 1, so vanishing is guaranteed",
                   name, show=show)


def check_nonnormal(W, sigma_max, rate, *, show=True) -> Verdict:
    r"""Grade $\sigma_{\max}(W)$ and the late decay rate of $\lVert W^m\rVert_2$ (the spectral radius)."""
    name = "non-normal W"
    values, early = as_numbers({"sigma_max": sigma_max, "the rate": rate}, name, show=show)
    if early is not None:
        return early
    s, r = values
    W = np.asarray(W, dtype=float)
    true_sigma = np.linalg.norm(W, 2)
    radius = np.max(np.abs(np.linalg.eigvals(W)))
    if not np.isclose(s, true_sigma, rtol=1e-6):
        if np.isclose(s, radius, rtol=1e-6):
            return verdict(False, "that is the spectral radius (largest |eigenvalue|), not the largest "
                                  "singular value", name, show=show)
        if np.isclose(s, np.linalg.norm(W), rtol=1e-6):
            return verdict(False, "that is the Frobenius norm; the spectral norm is np.linalg.norm(W, 2)",
                           name, show=show)
        return verdict(False, f"sigma_max = {s:.4g}, but the largest singular value is not that", name, show=show)
    if abs(r - radius) > 0.03:
        if abs(r - true_sigma) < 0.05:
            return verdict(False, "the decay rate is the spectral radius (Gelfand), not sigma_max: measure it "
                                  "over large powers only", name, show=show)
        return verdict(False, f"rate {r:.3f} is not within 0.03 of the spectral radius {radius:.3f}: "
                              "fit over large powers (m = 60..100), per step", name, show=show)
    return verdict(True, f"correct: sigma_max = {true_sigma:.2f} > 1 > rate {r:.3f} = spectral radius",
                   name, show=show)


def check_half_memory(mse, *, show=True) -> Verdict:
    """Grade the MSE of predicting u2 + 1/2 on the adding problem (exactly Var(u1) = 1/12)."""
    name = "half memory"
    m, early = as_number(mse, name, show=show)
    if early is not None:
        return early
    if abs(m - 1 / 6) < 0.005:
        return verdict(False, "that is the baseline 1/6 of a network that remembers nothing", name, show=show)
    if abs(m - 1 / np.sqrt(12)) < 0.005:
        return verdict(False, "that is the standard deviation of u1, not its variance", name, show=show)
    if abs(m - 1 / 3) < 0.005:
        return verdict(False, "1/3 is E[u1^2]; the error u1 - 1/2 has mean 0 and variance 1/12", name, show=show)
    return check_number(m, 1 / 12, name=name, rtol=0.03, show=show)

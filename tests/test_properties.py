"""Property tests (hypothesis, derandomized): broadcasting VJPs, reductions, initializer variances.

Shapes, axes and fan sizes are drawn by hypothesis; the numbers inside the arrays come
from ``np.random.default_rng(seed)`` with a drawn seed (faster than drawing each float).
``derandomize=True`` makes every run try the same examples, so a failure reproduces.

Gradients are checked as in test_ops_grad.py: the backward pass is seeded with a random
weight ``w`` and the autodiff gradient along a random unit direction ``v`` is compared
with the central difference of ``phi(x) = sum(w * op(x))`` (relative error < 1e-6).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lessonlib import Tensor, init, ops

SETTINGS = settings(derandomize=True, max_examples=40, deadline=None, database=None)
EPS, TOL = 1e-6, 1e-6


# --------------------------------------------------------------------------- strategies
@st.composite
def broadcast_pair(draw):
    """Two shapes that numpy broadcasts together: drop leading axes, set some axes to 1."""
    full = draw(st.lists(st.integers(1, 4), min_size=0, max_size=3))
    shapes = []
    for _ in range(2):
        keep = draw(st.integers(0, len(full)))
        shape = [1 if draw(st.booleans()) else n for n in full[len(full) - keep:]]
        shapes.append(tuple(shape))
    return shapes


@st.composite
def axes_for(draw, ndim):
    """None, one axis (maybe negative) or a tuple of distinct axes of an ndim-array."""
    if ndim == 0 or draw(st.booleans()):
        return None
    picked = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    signed = [a - ndim if draw(st.booleans()) else a for a in picked]
    return signed[0] if len(signed) == 1 and draw(st.booleans()) else tuple(signed)


def directional_error(op, arrays, rng):
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    out = op(*tensors)
    w = rng.standard_normal(out.shape)
    out.backward(grad=w)

    def phi(i, x):
        return float(np.sum(w * op(*(Tensor(x if j == i else a) for j, a in enumerate(arrays))).data))

    worst = 0.0
    for i, (a, t) in enumerate(zip(arrays, tensors)):
        assert t.grad.shape == a.shape, f"input {i}: grad {t.grad.shape} for shape {a.shape}"
        v = rng.standard_normal(a.shape)
        v /= max(np.linalg.norm(v), 1e-300)
        numeric = (phi(i, a + EPS * v) - phi(i, a - EPS * v)) / (2 * EPS)
        analytic = float(np.sum(t.grad * v))
        scale = max(abs(numeric), abs(analytic))
        worst = max(worst, 0.0 if scale < 1e-12 else abs(analytic - numeric) / scale)
    return worst


# --------------------------------------------------------------------------- broadcasting
@SETTINGS
@given(shapes=broadcast_pair(), op=st.sampled_from(["add", "sub", "mul", "div"]),
       seed=st.integers(0, 2**16))
def test_broadcasting_vjps_match_central_differences(shapes, op, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shapes[0])
    b = rng.standard_normal(shapes[1])
    if op == "div":                                   # keep denominators away from 0
        b = np.sign(b) * (0.5 + np.abs(b)) + (b == 0)
    assert directional_error(getattr(ops, op), [a, b], rng) < TOL


@SETTINGS
@given(shapes=broadcast_pair(), seed=st.integers(0, 2**16))
def test_broadcast_gradient_is_the_sum_over_the_copies(shapes, seed):
    """Exact statement: d/da sum(w * (a + b)) = w summed over the axes a was broadcast along."""
    rng = np.random.default_rng(seed)
    a = Tensor(rng.standard_normal(shapes[0]), requires_grad=True)
    b = Tensor(rng.standard_normal(shapes[1]), requires_grad=True)
    out = a + b
    w = rng.standard_normal(out.shape)
    out.backward(grad=w)
    for t in (a, b):
        expected = w.sum(axis=tuple(range(w.ndim - t.ndim))) if w.ndim > t.ndim else w
        stretched = tuple(i for i, n in enumerate(t.shape) if n == 1 and expected.shape[i] != 1)
        expected = expected.sum(axis=stretched, keepdims=True) if stretched else expected
        np.testing.assert_allclose(t.grad, expected, rtol=1e-13, atol=1e-13)


# --------------------------------------------------------------------------- reductions
@SETTINGS
@given(data=st.data(), shape=st.lists(st.integers(1, 4), min_size=0, max_size=3),
       op=st.sampled_from(["sum", "mean"]), keepdims=st.booleans(), seed=st.integers(0, 2**16))
def test_reduction_vjps_for_random_axes(data, shape, op, keepdims, seed):
    axis = data.draw(axes_for(len(shape)))
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(tuple(shape))
    reduce = lambda t: getattr(ops, op)(t, axis=axis, keepdims=keepdims)
    expected = getattr(np, op)(a, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(reduce(Tensor(a)).data, expected, rtol=1e-14)
    assert directional_error(reduce, [a], rng) < TOL


# --------------------------------------------------------------------------- initializers
# Var(W) = E[W^2] for these zero-mean initializers, estimated by m = mean(W^2) over the
# n = fan_in * fan_out independent entries. Its standard error is sqrt((E[W^4] - s^4) / n):
# sqrt(2/n) s^2 for a normal (E[W^4] = 3 s^4) and sqrt(0.8/n) s^2 for a uniform
# (E[W^4] = a^4/5 = 9 s^4/5). We allow 5 standard errors: a correct formula fails with
# probability < 1e-6 per example, while a wrong factor (such as fan_out for fan_in) is
# caught whenever it changes the variance by more than 5 standard errors.
VARIANCE = {
    "normal": (lambda fi, fo: 1.0, 2.0),
    "lecun_normal": (lambda fi, fo: 1.0 / fi, 2.0),
    "xavier_normal": (lambda fi, fo: 2.0 / (fi + fo), 2.0),
    "he_normal": (lambda fi, fo: 2.0 / fi, 2.0),
    "xavier_uniform": (lambda fi, fo: 2.0 / (fi + fo), 0.8),
}


@SETTINGS
@given(name=st.sampled_from(sorted(VARIANCE)), fan_in=st.integers(8, 400), fan_out=st.integers(8, 400),
       gain=st.sampled_from([0.5, 1.0, 2.0]), seed=st.integers(0, 2**16))
def test_initializer_variance_matches_its_formula(name, fan_in, fan_out, gain, seed):
    W = getattr(init, name)(fan_in, fan_out, rng=np.random.default_rng(seed), gain=gain)
    formula, kurtosis_term = VARIANCE[name]
    var = gain**2 * formula(fan_in, fan_out)
    n = W.size
    standard_error = np.sqrt(kurtosis_term / n) * var
    assert abs(np.mean(W**2) - var) < 5 * standard_error, (
        f"{name}({fan_in}, {fan_out}, gain={gain}): mean(W^2) = {np.mean(W**2):.4g}, "
        f"formula {var:.4g}, standard error {standard_error:.2g}")


@SETTINGS
@given(fan_in=st.integers(1, 120), fan_out=st.integers(1, 120), gain=st.sampled_from([0.5, 1.0, 3.0]),
       seed=st.integers(0, 2**16))
def test_orthogonal_has_every_singular_value_equal_to_the_gain(fan_in, fan_out, gain, seed):
    """Exact, no statistics: and so mean(W^2) = gain^2 / max(fan_in, fan_out)."""
    W = init.orthogonal(fan_in, fan_out, rng=np.random.default_rng(seed), gain=gain)
    np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), gain, rtol=1e-12)
    assert np.mean(W**2) == pytest.approx(gain**2 / max(fan_in, fan_out), rel=1e-12)

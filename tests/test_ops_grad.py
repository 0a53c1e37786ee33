"""Per-op gradient checks: autodiff against central differences along random directions.

For every op we seed the backward pass with a random output weight ``w`` (so the whole
vector-Jacobian product is tested, not just a sum) and compare, for a random unit direction
``v`` in each input's space,

    <autodiff gradient, v>   vs   (phi(x + eps v) - phi(x - eps v)) / (2 eps),

where ``phi(x) = sum(w * op(x))`` is computed from raw numpy data.  The check is written out
here on purpose, independently of ``lessonlib.check_grad``, so that a bug in check_grad cannot
hide a bug in an op.  Tolerance 1e-6 (a correct op gives ~1e-9, a wrong one ~1e-1).
"""

import numpy as np
import pytest

import lessonlib
from lessonlib import Tensor

EPS = 1e-6
TOL = 1e-6


# --------------------------------------------------------------------------- helper
def directional_errors(op, arrays, seed):
    """Relative error of autodiff vs central differences along a random direction, per input.

    ``op`` maps Tensors (one per array in ``arrays``) to a Tensor of any shape.
    Also checks that every gradient is a float64 array in its input's shape.
    """
    rng = np.random.default_rng(seed)
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = op(*tensors)
    if out.shape == ():
        w = np.float64(1.0)
        out.backward()
    else:
        w = rng.standard_normal(out.shape)
        out.backward(grad=w)

    def phi(i, x):
        args = [Tensor(x if j == i else a) for j, a in enumerate(arrays)]
        return float(np.sum(w * op(*args).data))

    errors = []
    for i, (a, t) in enumerate(zip(arrays, tensors, strict=True)):
        assert t.grad is not None, f"input {i} got no gradient"
        assert np.result_type(t.grad) == np.float64
        assert np.shape(t.grad) == a.shape, f"input {i}: grad shape {np.shape(t.grad)} != {a.shape}"
        v = rng.standard_normal(a.shape)
        v /= np.linalg.norm(v)
        numerical = (phi(i, a + EPS * v) - phi(i, a - EPS * v)) / (2 * EPS)
        analytic = float(np.sum(t.grad * v))
        scale = max(abs(numerical), abs(analytic))
        errors.append(0.0 if scale == 0.0 else abs(analytic - numerical) / scale)
    return errors


def assert_grad_ok(op, arrays, seed):
    errors = directional_errors(op, arrays, seed)
    assert max(errors) < TOL, f"relative errors per input: {errors}"


# --------------------------------------------------------------------------- inputs
def normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def positive(*shape):
    return lambda rng: rng.uniform(0.5, 2.0, size=shape)


def away_from_zero(*shape):
    """|x| in [0.5, 2] with random sign: safe denominators, and far from relu's kink."""
    return lambda rng: rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


A34 = np.random.default_rng(100).standard_normal((3, 4))   # constant numpy operands
A4 = np.random.default_rng(101).standard_normal(4)
A42 = np.random.default_rng(102).standard_normal((4, 2))
LABELS = np.array([0, 2, 1, 3, 2])


def sigmoid_np(x):
    return 1.0 / (1.0 + np.exp(-x))


def cross_entropy_naive(logits, labels):
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return -np.mean(np.log(p[np.arange(len(labels)), labels]))


# Each case: (op on Tensors, the same computation in numpy, input makers).
CASES = {
    # elementwise binary, same shape
    "add": (lambda a, b: a + b, np.add, [normal(3, 4), normal(3, 4)]),
    "sub": (lambda a, b: a - b, np.subtract, [normal(3, 4), normal(3, 4)]),
    "mul": (lambda a, b: a * b, np.multiply, [normal(3, 4), normal(3, 4)]),
    "div": (lambda a, b: a / b, np.divide, [normal(3, 4), away_from_zero(3, 4)]),
    # broadcasting between Tensors
    "add_34_4": (lambda a, b: a + b, np.add, [normal(3, 4), normal(4)]),
    "mul_34_31": (lambda a, b: a * b, np.multiply, [normal(3, 4), normal(3, 1)]),
    "add_31_14": (lambda a, b: a + b, np.add, [normal(3, 1), normal(1, 4)]),
    "sub_31_14": (lambda a, b: a - b, np.subtract, [normal(3, 1), normal(1, 4)]),
    "div_34_4": (lambda a, b: a / b, np.divide, [normal(3, 4), away_from_zero(4)]),
    "add_scalar_tensor": (lambda s, m: s + m, np.add, [normal(), normal(3, 4)]),
    "mul_matrix_scalar_tensor": (lambda m, s: m * s, np.multiply, [normal(3, 4), normal()]),
    # Python numbers on either side
    "add_float_right": (lambda a: a + 2.0, lambda a: a + 2.0, [normal(3, 4)]),
    "add_float_left": (lambda a: 2.0 + a, lambda a: 2.0 + a, [normal(3, 4)]),
    "rsub_float": (lambda a: 2.0 - a, lambda a: 2.0 - a, [normal(3, 4)]),
    "sub_float": (lambda a: a - 2.0, lambda a: a - 2.0, [normal(3, 4)]),
    "rmul_float": (lambda a: 3.0 * a, lambda a: 3.0 * a, [normal(3, 4)]),
    "div_float": (lambda a: a / 4.0, lambda a: a / 4.0, [normal(3, 4)]),
    "rdiv_int": (lambda a: 1 / a, lambda a: 1 / a, [away_from_zero(3, 4)]),
    "rdiv_float": (lambda a: 2.5 / a, lambda a: 2.5 / a, [away_from_zero(3, 4)]),
    # numpy float arrays on either side (ndarray on the LEFT must defer to Tensor)
    "ndarray_add_tensor": (lambda b: A34 + b, lambda b: A34 + b, [normal(4)]),
    "ndarray_sub_tensor": (lambda b: A34 - b, lambda b: A34 - b, [normal(3, 1)]),
    "ndarray_mul_tensor": (lambda b: A34 * b, lambda b: A34 * b, [normal(3, 4)]),
    "ndarray_div_tensor": (lambda b: A34 / b, lambda b: A34 / b, [away_from_zero(4)]),
    "ndarray_matmul_tensor": (lambda b: A34 @ b, lambda b: A34 @ b, [normal(4, 2)]),
    "tensor_add_ndarray": (lambda a: a + A4, lambda a: a + A4, [normal(3, 4)]),
    "tensor_matmul_ndarray": (lambda a: a @ A42, lambda a: a @ A42, [normal(3, 4)]),
    # matmul, including 1-D operands
    "matmul_2d_2d": (lambda a, b: a @ b, np.matmul, [normal(3, 4), normal(4, 2)]),
    "matmul_square": (lambda a, b: a @ b, np.matmul, [normal(4, 4), normal(4, 4)]),
    "matmul_1d_2d": (lambda a, b: a @ b, np.matmul, [normal(4), normal(4, 2)]),
    "matmul_2d_1d": (lambda a, b: a @ b, np.matmul, [normal(3, 4), normal(4)]),
    "matmul_1d_1d": (lambda a, b: a @ b, np.matmul, [normal(4), normal(4)]),
    # powers with a number exponent (positive inputs)
    "pow_int_2": (lambda a: a**2, lambda a: a**2, [normal(3, 4)]),
    "pow_int_3": (lambda a: a**3, lambda a: a**3, [positive(3, 4)]),
    "pow_half": (lambda a: a**0.5, lambda a: a**0.5, [positive(3, 4)]),
    "pow_frac_2.7": (lambda a: a**2.7, lambda a: a**2.7, [positive(3, 4)]),
    "pow_neg_int": (lambda a: a**-2, lambda a: a**-2.0, [positive(3, 4)]),
    "pow_neg_frac": (lambda a: a**-1.5, lambda a: a**-1.5, [positive(3, 4)]),
    # unary and shape ops
    "neg": (lambda a: -a, np.negative, [normal(3, 4)]),
    "transpose": (lambda a: a.T, lambda a: a.T, [normal(3, 4)]),
    "reshape_4_3": (lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), [normal(3, 4)]),
    "reshape_flat": (lambda a: a.reshape(12), lambda a: a.reshape(12), [normal(3, 4)]),
    "reshape_2_3_2": (lambda a: a.reshape(2, 3, 2), lambda a: a.reshape(2, 3, 2), [normal(3, 4)]),
    # elementwise functions
    "exp": (lessonlib.exp, np.exp, [normal(3, 4)]),
    "log": (lessonlib.log, np.log, [positive(3, 4)]),
    "tanh": (lessonlib.tanh, np.tanh, [normal(3, 4)]),
    "sigmoid": (lessonlib.sigmoid, sigmoid_np, [lambda rng: 3 * rng.standard_normal((3, 4))]),
    "relu": (lessonlib.relu, lambda a: np.maximum(a, 0.0), [away_from_zero(3, 4)]),
    "leaky_relu": (
        lessonlib.leaky_relu,
        lambda a: np.where(a > 0, a, 0.01 * a),
        [away_from_zero(3, 4)],
    ),
    "leaky_relu_slope_0.2": (
        lambda a: lessonlib.leaky_relu(a, slope=0.2),
        lambda a: np.where(a > 0, a, 0.2 * a),
        [away_from_zero(3, 4)],
    ),
    # losses
    "mse": (lessonlib.mse, lambda p, t: np.mean((p - t) ** 2), [normal(6, 2), normal(6, 2)]),
    "mse_ndarray_target": (
        lambda p: lessonlib.mse(p, A34),
        lambda p: np.mean((p - A34) ** 2),
        [normal(3, 4)],
    ),
    "cross_entropy": (
        lambda z: lessonlib.cross_entropy(z, LABELS),
        lambda z: cross_entropy_naive(z, LABELS),
        [lambda rng: 2 * rng.standard_normal((5, 4))],
    ),
    # a small network end to end: the ops composed
    "two_layer_net": (
        lambda x, W1, b1, W2: lessonlib.cross_entropy(lessonlib.tanh(x @ W1 + b1) @ W2, LABELS),
        lambda x, W1, b1, W2: cross_entropy_naive(np.tanh(x @ W1 + b1) @ W2, LABELS),
        [normal(5, 3), normal(3, 6), normal(6), normal(6, 4)],
    ),
}

for _axis in (None, 0, 1, -1):
    for _keep in (False, True):
        CASES[f"sum_axis{_axis}_keepdims{_keep}"] = (
            lambda a, ax=_axis, k=_keep: a.sum(axis=ax, keepdims=k),
            lambda a, ax=_axis, k=_keep: a.sum(axis=ax, keepdims=k),
            [normal(3, 4)],
        )
        CASES[f"mean_axis{_axis}_keepdims{_keep}"] = (
            lambda a, ax=_axis, k=_keep: a.mean(axis=ax, keepdims=k),
            lambda a, ax=_axis, k=_keep: a.mean(axis=ax, keepdims=k),
            [normal(3, 4)],
        )


@pytest.mark.parametrize("name", list(CASES))
def test_forward_matches_numpy(name):
    op, ref, makers = CASES[name]
    rng = np.random.default_rng(0)
    arrays = [make(rng) for make in makers]
    out = op(*[Tensor(a) for a in arrays])
    assert isinstance(out, Tensor)
    assert out.data.dtype == np.float64
    expected = np.asarray(ref(*arrays))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", list(CASES))
def test_gradient_along_random_direction(name, seed):
    op, _, makers = CASES[name]
    rng = np.random.default_rng(seed)
    arrays = [make(rng) for make in makers]
    assert_grad_ok(op, arrays, seed=1000 + seed)


def test_the_directional_check_catches_a_wrong_gradient():
    """The helper itself must fail for a wrong VJP (here: a factor-2 bug)."""

    @lessonlib.primitive
    def square_wrong(x):
        return x * x

    lessonlib.defvjp(square_wrong, lambda g, ans, x: 4.0 * x * g)  # should be 2x
    errors = directional_errors(square_wrong, [np.random.default_rng(0).standard_normal(5)], 0)
    assert errors[0] > 0.1


# --------------------------------------------------------------------------- exact results
def test_broadcast_gradients_are_summed_back_exactly():
    a = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    row = Tensor(np.ones(4), requires_grad=True)
    col = Tensor(np.ones((3, 1)), requires_grad=True)
    s = Tensor(2.0, requires_grad=True)
    ((a + row) * col * s).sum().backward()
    assert row.grad.shape == (4,)
    assert col.grad.shape == (3, 1)
    assert s.grad.shape == ()
    np.testing.assert_array_equal(row.grad, np.full(4, 6.0))       # 3 rows * s
    np.testing.assert_array_equal(col.grad, 2.0 * (a.data + 1).sum(axis=1, keepdims=True))
    assert float(s.grad) == float((a.data + 1).sum())


def test_ndarray_on_the_left_returns_a_tensor():
    b = Tensor(np.ones(4), requires_grad=True)
    c = np.float64(2.0)   # numpy scalars, e.g. from np.sqrt(2.0), defer to Tensor as well
    for result in (A34 + b, A34 - b, A34 * b, A34 / b, A4 @ b, 2.0 - b, 1 / b, c * b, c - b):
        assert isinstance(result, Tensor)


def test_sigmoid_derivative_in_the_tails():
    """Finite differences cannot resolve sigma'(x) ~ 1e-13..1e-18; use the closed form."""
    x = np.array([-40.0, -30.0, -20.0, 20.0, 30.0, 40.0])
    t = Tensor(x, requires_grad=True)
    s = lessonlib.sigmoid(t)
    s.backward(grad=np.ones_like(x))
    e = np.exp(-np.abs(x))
    np.testing.assert_allclose(t.grad, e / (1.0 + e) ** 2, rtol=1e-12, atol=0)
    np.testing.assert_allclose(s.data, np.where(x > 0, 1 / (1 + e), e / (1 + e)), rtol=1e-12)
    assert np.all(t.grad > 0)   # ans * (1 - ans) would give exactly 0 at +40


def test_tanh_derivative_in_the_tails():
    """tanh'(x) = 1/cosh^2 = 4e/(1+e)^2 with e = exp(-2|x|); 1 - tanh^2 loses it at |x| >~ 10."""
    x = np.array([-20.0, -10.0, 10.0, 20.0])
    t = Tensor(x, requires_grad=True)
    lessonlib.tanh(t).backward(grad=np.ones_like(x))
    e = np.exp(-2 * np.abs(x))
    np.testing.assert_allclose(t.grad, 4 * e / (1.0 + e) ** 2, rtol=1e-12, atol=0)


@pytest.mark.parametrize("fn", [lessonlib.sigmoid, lessonlib.tanh], ids=["sigmoid", "tanh"])
def test_sigmoid_and_tanh_do_not_overflow(fn):
    x = np.array([-1000.0, -750.0, 0.0, 750.0, 1000.0])
    t = Tensor(x, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = fn(t)
        y.backward(grad=np.ones_like(x))
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(t.grad))
    assert np.all(t.grad >= 0)


def test_cross_entropy_matches_naive_reference():
    rng = np.random.default_rng(3)
    logits = 3 * rng.standard_normal((8, 5))
    labels = rng.integers(0, 5, size=8)
    loss = lessonlib.cross_entropy(Tensor(logits), labels)
    assert loss.shape == ()
    assert loss.item() == pytest.approx(cross_entropy_naive(logits, labels), rel=1e-12)


@pytest.mark.parametrize("scale", [1.0, 1e3])
def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n(scale):
    """Exact closed form; at logits ~1e3 a naive softmax overflows, the loss must not."""
    rng = np.random.default_rng(4)
    N, K = 6, 4
    logits = scale * rng.standard_normal((N, K))
    labels = rng.integers(0, K, size=N)
    z = Tensor(logits, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = lessonlib.cross_entropy(z, labels)
        loss.backward()
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    onehot = np.eye(K)[labels]
    assert np.isfinite(loss.item())
    assert loss.item() == pytest.approx(-log_p[np.arange(N), labels].mean(), rel=1e-12)
    np.testing.assert_allclose(z.grad, (np.exp(log_p) - onehot) / N, rtol=1e-10, atol=1e-15)


def test_mse_value_and_gradient_closed_form():
    rng = np.random.default_rng(5)
    p = Tensor(rng.standard_normal((7, 3)), requires_grad=True)
    y = Tensor(rng.standard_normal((7, 3)), requires_grad=True)
    loss = lessonlib.mse(p, y)
    loss.backward()
    diff = p.data - y.data
    assert loss.item() == pytest.approx(np.mean(diff**2), rel=1e-12)
    np.testing.assert_allclose(p.grad, 2 * diff / diff.size, rtol=1e-12)
    np.testing.assert_allclose(y.grad, -2 * diff / diff.size, rtol=1e-12)

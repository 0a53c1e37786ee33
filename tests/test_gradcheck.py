"""lessonlib.gradcheck: rel_error, numerical_grad, check_grad and its diagnostics."""

import re

import numpy as np
import pytest

import lessonlib
from lessonlib import Tensor, defvjp, primitive
from lessonlib.gradcheck import check_grad, grad_report, numerical_grad, rel_error


# --------------------------------------------------------------------------- rel_error
def test_rel_error_is_zero_for_equal_arrays():
    a = np.random.default_rng(0).standard_normal((3, 4))
    assert rel_error(a, a.copy()) == 0.0


def test_rel_error_is_zero_for_two_zero_arrays():
    assert rel_error(np.zeros(5), np.zeros(5)) == 0.0


def test_rel_error_is_symmetric_and_matches_the_formula():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(6), rng.standard_normal(6)
    expected = np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b))
    assert rel_error(a, b) == pytest.approx(expected, rel=1e-14)
    assert rel_error(b, a) == pytest.approx(rel_error(a, b), rel=1e-14)


def test_rel_error_known_values():
    assert rel_error(np.array([3.0, 4.0]), np.zeros(2)) == pytest.approx(1.0)
    assert rel_error(np.array([2.0]), np.array([1.0])) == pytest.approx(0.5)
    assert rel_error(np.array([1.0]), np.array([-1.0])) == pytest.approx(2.0)


def test_top_level_reexports():
    assert lessonlib.rel_error is rel_error
    assert lessonlib.numerical_grad is numerical_grad
    assert lessonlib.check_grad is check_grad


# --------------------------------------------------------------------------- numerical_grad
def test_numerical_grad_of_a_quadratic_matches_analytic():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((5, 5))
    b = rng.standard_normal(5)
    x = rng.standard_normal(5)
    x_before = x.copy()
    g = numerical_grad(lambda v: 0.5 * v @ A @ v + b @ v, x)
    assert g.shape == x.shape
    assert rel_error(g, 0.5 * (A + A.T) @ x + b) < 1e-8
    np.testing.assert_array_equal(x, x_before)   # x is restored after probing


def test_numerical_grad_of_a_matrix_function_returning_a_tensor():
    rng = np.random.default_rng(3)
    C = rng.standard_normal((3, 4))
    X = rng.standard_normal((3, 4))
    g = numerical_grad(lambda M: (Tensor(M) * Tensor(M) * Tensor(C)).sum(), X)
    assert g.shape == (3, 4)
    assert rel_error(g, 2 * C * X) < 1e-8


# --------------------------------------------------------------------------- check_grad
def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@primitive
def softplus(x):
    return np.logaddexp(0.0, x)


defvjp(softplus, lambda g, ans, x: g * _sigmoid(x))


@primitive
def mul_sq(x, y):
    """x * y**2 with broadcasting; the VJPs return the broadcast shape, the engine sums back."""
    return x * y**2


defvjp(mul_sq, lambda g, ans, x, y: g * y**2, lambda g, ans, x, y: g * 2 * x * y)


@primitive
def scaled(x, *, c=1.0):
    return c * x


defvjp(scaled, lambda g, ans, x, c=1.0: c * g)


def _weighted_sum(op, seed=0):
    """f(*tensors) = sum(w * op(*tensors)) with fixed random w (a generic scalar test function)."""

    def f(*tensors):
        out = op(*tensors)
        w = np.random.default_rng(seed).standard_normal(out.shape)
        return (out * w).sum()

    return f


def test_check_grad_passes_for_a_correct_primitive():
    x = Tensor(np.random.default_rng(4).standard_normal((4, 3)) * 3, requires_grad=True)
    err = check_grad(_weighted_sum(softplus), x)
    assert isinstance(err, float)
    assert err < 1e-8
    assert check_grad(_weighted_sum(softplus), x, tol=1e-6) < 1e-8   # no raise


def test_check_grad_two_inputs_with_broadcasting():
    rng = np.random.default_rng(5)
    x = Tensor(rng.standard_normal((3, 1)), requires_grad=True)
    y = Tensor(rng.standard_normal((1, 4)), requires_grad=True)
    assert check_grad(_weighted_sum(mul_sq), x, y, tol=1e-6) < 1e-8
    out = mul_sq(x, y)
    out.backward(grad=np.ones((3, 4)))
    assert x.grad.shape == (3, 1) and y.grad.shape == (1, 4)


def test_primitive_keyword_arguments_are_static_parameters():
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    out = scaled(x, c=3.0)
    np.testing.assert_array_equal(out.data, [3.0, -6.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


@primitive
def softplus_factor2(x):
    return np.logaddexp(0.0, x)


defvjp(softplus_factor2, lambda g, ans, x: 2.0 * g * _sigmoid(x))


@primitive
def softplus_sign(x):
    return np.logaddexp(0.0, x)


defvjp(softplus_sign, lambda g, ans, x: -g * _sigmoid(x))


@primitive
def softplus_zero(x):
    return np.logaddexp(0.0, x)


defvjp(softplus_zero, lambda g, ans, x: np.zeros_like(x))


@pytest.mark.parametrize(
    "op, hint",
    [(softplus_factor2, r"factor\D*2"), (softplus_sign, "sign"), (softplus_zero, "zero")],
    ids=["factor2", "sign", "zero"],
)
def test_check_grad_says_what_is_wrong(op, hint):
    x = Tensor(np.random.default_rng(6).standard_normal(5), requires_grad=True)
    f = _weighted_sum(op)
    assert check_grad(f, x) > 0.3          # without tol: returns the (large) error
    with pytest.raises(AssertionError, match=hint):
        check_grad(f, x, tol=1e-6)
    report = grad_report(f, x)
    assert isinstance(report, str)
    assert re.search(hint, report)


def test_check_grad_catches_a_bug_in_the_second_input_only():
    @primitive
    def mul_bad_y(x, y):
        return x * y

    defvjp(mul_bad_y, lambda g, ans, x, y: g * y, lambda g, ans, x, y: -g * x)
    rng = np.random.default_rng(7)
    x = Tensor(rng.standard_normal(4), requires_grad=True)
    y = Tensor(rng.standard_normal(4), requires_grad=True)
    with pytest.raises(AssertionError, match="sign"):
        check_grad(_weighted_sum(mul_bad_y), x, y, tol=1e-6)


def test_vjp_returning_the_wrong_shape_names_the_op():
    @primitive
    def wrong_shape_op(x):
        return 2.0 * x

    defvjp(wrong_shape_op, lambda g, ans, x: np.ones(x.size + 1))
    x = Tensor(np.ones(3), requires_grad=True)
    y = wrong_shape_op(x).sum()
    with pytest.raises(ValueError, match="wrong_shape_op"):
        y.backward()


# ------------------------------------------------- directions along which f hardly changes
def _layer_norm_values(x):
    centred = x - x.mean(axis=1, keepdims=True)
    return centred / np.sqrt((centred ** 2).mean(axis=1, keepdims=True) + 1e-5)


def _layer_norm_vjp(g, ans, x, sigma_term=True):
    n = x.shape[1]
    inv_sigma = 1 / np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
    term = ans * (g * ans).sum(axis=1, keepdims=True) if sigma_term else 0.0
    return (inv_sigma / n) * (n * g - g.sum(axis=1, keepdims=True) - term)


_layer_norm = primitive(_layer_norm_values)
defvjp(_layer_norm, _layer_norm_vjp)
# wrong: forgets that sigma depends on x (the term - ans * sum(g * ans))
_layer_norm_no_sigma_term = primitive(_layer_norm_values)
defvjp(_layer_norm_no_sigma_term, lambda g, ans, x: _layer_norm_vjp(g, ans, x, sigma_term=False))


def _layer_norm_case(seed, op=_layer_norm):
    """x = 2 + 3z with z the first draw of rng(seed): check_grad(seed=seed) then draws v = z/|z|,
    a per-row shift and scale of x, along which layer norm changes only through eps = 1e-5."""
    x = np.random.default_rng(seed).normal(2.0, 3.0, size=(6, 5))
    G = np.random.default_rng(seed + 100).standard_normal(x.shape)   # a generic direction of L
    return x, (lambda t: (op(t) * G).sum())


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_check_grad_of_a_correct_vjp_along_a_nearly_invariant_direction(seed):
    # The first direction's derivative is ~1e-6 while |grad| is ~2, so the ~1e-10 rounding
    # noise of the difference quotient, divided by that derivative, used to be returned as
    # a relative error of 1e-4 to 2e-3. It is now measured against |grad| / sqrt(size).
    x, f = _layer_norm_case(seed)
    t = Tensor(x, requires_grad=True)
    assert check_grad(f, t, seed=seed) < 1e-7
    assert np.linalg.norm(t.grad) > 0.5                  # a gradient well away from 0
    v = np.random.default_rng(seed).standard_normal(x.shape)
    assert abs(np.sum(t.grad * v)) / np.linalg.norm(v) < 1e-4 * np.linalg.norm(t.grad)  # (invariant)
    check_grad(f, Tensor(x, requires_grad=True), seed=seed, tol=1e-6)     # does not raise
    entrywise = numerical_grad(lambda a: float(f(Tensor(a)).data), x)
    assert rel_error(t.grad, entrywise) < 1e-8           # the VJP is right, entry by entry


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_check_grad_still_catches_a_wrong_layer_norm_vjp_on_the_same_directions(seed):
    x, f = _layer_norm_case(seed, _layer_norm_no_sigma_term)
    assert check_grad(f, Tensor(x, requires_grad=True), seed=seed) > 0.1
    with pytest.raises(AssertionError, match="WRONG"):
        check_grad(f, Tensor(x, requires_grad=True), seed=seed, tol=1e-6)

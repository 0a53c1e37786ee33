"""Bad input gets a clear error or a correct result, never a silent nan; anomaly mode.

What lessonlib does with unusual input, decided and tested here:

* non-numbers (None, strings, booleans, ragged lists) are refused with a TypeError that
  names the op, rather than converted (numpy turns None into nan without a word);
* empty arrays give the correct empty result (a sum over no numbers is 0, a matrix
  product with a zero-length inner dimension is a matrix of zeros), except where the
  answer is undefined: a mean over no entries (``mean``, ``mse``, ``cross_entropy``
  with N = 0) is a ValueError, not numpy's nan with a RuntimeWarning;
* nan and inf in the data are allowed and flow through as numpy computes them; inside
  ``with detect_anomaly():`` the first op that makes (or receives) one raises
  FloatingPointError naming the op, its input shapes and the first bad entry.
"""

import re
import threading
import warnings

import numpy as np
import pytest

import lessonlib
from lessonlib import Tensor, ops
from lessonlib.anomaly import detect_anomaly, on


def all_of(*patterns):
    return "(?s)^" + "".join(f"(?=.*{p})" for p in patterns)


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # a RuntimeWarning (e.g. "Mean of empty slice") fails
        yield


# --------------------------------------------------------------------------- non-numbers
@pytest.mark.parametrize("value, word", [
    (None, "None"), ([1.0, None], "None"), (["1.0"], "str"), ([True, False], "bool"),
    ([[1.0, 2.0], [3.0]], "list"), ({"a": 1}, "dict"),
])
def test_tensor_refuses_non_numbers_instead_of_making_nan(value, word):
    with pytest.raises(TypeError, match=all_of("Tensor", word)):
        Tensor(value)


def test_none_in_an_op_names_the_op():
    with pytest.raises(TypeError, match=all_of("mul", "None")):
        Tensor(np.ones(2)) * [1.0, None]


def test_backward_seed_of_integer_dtype_names_backward():
    y = Tensor(np.ones(3), requires_grad=True) * 2.0
    with pytest.raises(TypeError, match=all_of("backward", "int64")):
        y.backward(grad=np.arange(3))


# --------------------------------------------------------------------------- wrong shapes
def test_broadcasting_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=all_of("add", re.escape("(2, 3)"), re.escape("(4,)"))):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))


def test_reshape_to_the_wrong_size_names_both_shapes():
    with pytest.raises(ValueError, match=all_of("reshape", re.escape("(2, 3)"), re.escape("(4, 2)"))):
        ops.reshape(Tensor(np.ones((2, 3))), 4, 2)


def test_reduction_over_a_missing_axis_names_the_op():
    with pytest.raises(ValueError, match=all_of("mean", "axis 2", "2 dimension")):
        ops.mean(Tensor(np.ones((2, 3))), axis=2)


# --------------------------------------------------------------------------- empty arrays
def test_sum_over_an_empty_axis_is_zero_with_zero_gradient(no_warnings):
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    s = ops.sum(x, axis=0)
    np.testing.assert_array_equal(s.data, np.zeros(3))
    s.backward(grad=np.ones(3))
    assert x.grad.shape == (0, 3)


def test_mean_over_a_non_empty_axis_of_an_empty_array_is_empty(no_warnings):
    m = ops.mean(Tensor(np.zeros((0, 3)), requires_grad=True), axis=1)
    assert m.shape == (0,)


@pytest.mark.parametrize("axis", [None, 0, (0, 1)])
def test_mean_over_no_entries_is_an_error_not_nan(axis, no_warnings):
    with pytest.raises(ValueError, match=all_of("mean", re.escape("(0, 3)"), "no entries")):
        ops.mean(Tensor(np.zeros((0, 3))), axis=axis)


def test_matmul_with_an_empty_inner_dimension_is_zero_and_differentiable(no_warnings):
    a = Tensor(np.zeros((3, 0)), requires_grad=True)
    b = Tensor(np.zeros((0, 4)), requires_grad=True)
    y = a @ b
    np.testing.assert_array_equal(y.data, np.zeros((3, 4)))
    (y * 2.0).sum().backward()
    assert a.grad.shape == (3, 0) and b.grad.shape == (0, 4)


def test_matmul_with_no_rows_is_empty_and_gives_zero_weight_gradient(no_warnings):
    x = Tensor(np.zeros((0, 5)))
    W = Tensor(np.ones((5, 2)), requires_grad=True)
    y = x @ W
    assert y.shape == (0, 2)
    y.sum().backward()
    np.testing.assert_array_equal(W.grad, np.zeros((5, 2)))


def test_mse_of_empty_arrays_is_an_error(no_warnings):
    with pytest.raises(ValueError, match=all_of("mse", "empty", re.escape("(0, 1)"))):
        lessonlib.mse(Tensor(np.zeros((0, 1))), np.zeros((0, 1)))


def test_cross_entropy_of_an_empty_batch_is_an_error(no_warnings):
    with pytest.raises(ValueError, match=all_of("cross_entropy", re.escape("(0, 3)"), "empty batch")):
        lessonlib.cross_entropy(Tensor(np.zeros((0, 3))), np.zeros(0, dtype=int))


def test_cross_entropy_with_no_classes_is_an_error(no_warnings):
    with pytest.raises(ValueError, match=all_of("cross_entropy", re.escape("(2, 0)"), "class")):
        lessonlib.cross_entropy(Tensor(np.zeros((2, 0))), np.zeros(2, dtype=int))


def test_repr_of_an_empty_tensor_shows_its_shape():
    assert "(0, 4)" in repr(Tensor(np.zeros((0, 4))))


# --------------------------------------------------------------------------- labels
@pytest.mark.parametrize("labels, error, words", [
    (np.array([True, False]), TypeError, ["cross_entropy", "bool"]),
    (np.array([[0], [1]]), ValueError, ["cross_entropy", re.escape("(2, 1)")]),
    (np.array([0, 7], dtype=np.uint8), ValueError, ["cross_entropy", "7"]),
    (np.array([0, -3]), ValueError, ["cross_entropy", "-3"]),
])
def test_bad_labels_name_the_op_and_the_values(labels, error, words):
    with pytest.raises(error, match=all_of(*words)):
        lessonlib.cross_entropy(Tensor(np.zeros((2, 3))), labels)


def test_labels_as_a_list_of_ints_are_accepted():
    loss = lessonlib.cross_entropy(Tensor(np.zeros((2, 3))), [0, 2])
    assert loss.item() == pytest.approx(np.log(3.0), rel=1e-14)


# --------------------------------------------------------------------------- nan and inf
def test_non_finite_data_is_allowed_and_flows_through_outside_anomaly_mode():
    x = Tensor([1.0, np.nan, np.inf], requires_grad=True)
    y = (x * 2.0).sum()
    assert np.isnan(y.item())
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_anomaly_mode_names_the_op_that_overflows_and_where():
    x = Tensor([1.0, 800.0, 2.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(FloatingPointError,
                                         match=all_of("exp", re.escape("(3,)"), "1 inf", r"\[1\]", "800")):
        with np.errstate(over="ignore"):
            lessonlib.exp(x)


def test_anomaly_mode_names_a_division_by_zero():
    with detect_anomaly(), pytest.raises(FloatingPointError, match=all_of("div", "inf", "0.0")):
        with np.errstate(divide="ignore"):
            Tensor([1.0, 2.0]) / Tensor([1.0, 0.0])


def test_anomaly_mode_says_when_the_nan_came_with_the_data():
    data = Tensor([0.5, np.nan])
    with detect_anomaly(), pytest.raises(FloatingPointError, match=all_of("tanh", "input 0", "1 nan", "data")):
        lessonlib.tanh(data)


def test_anomaly_mode_finds_a_vjp_that_overflows():
    x = Tensor(1e-320, requires_grad=True)          # log is finite here, 1/x is not
    with detect_anomaly():
        y = lessonlib.log(x)
        with pytest.raises(FloatingPointError, match=all_of("backward through log", "input 0", "inf")):
            with np.errstate(over="ignore", divide="ignore"):
                y.backward()


def test_anomaly_mode_finds_an_overflowing_sum_of_finite_contributions():
    x = Tensor(1e-300, requires_grad=True)          # forward 1e8 + 1e8; backward 1e308 + 1e308
    a = 1e308
    with detect_anomaly():
        y = x * a + x * a
        with pytest.raises(FloatingPointError, match=all_of("gradient of a leaf", "inf", "sum")):
            with np.errstate(over="ignore"):
                y.backward()


def test_anomaly_mode_checks_the_seed():
    y = Tensor(np.ones(2), requires_grad=True) * 3.0
    with detect_anomaly(), pytest.raises(FloatingPointError, match=all_of("mul", "nan", "seed")):
        y.backward(grad=np.array([1.0, np.nan]))


def test_anomaly_mode_changes_nothing_for_finite_values():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((4, 3))
    x = rng.standard_normal((5, 4))
    grads = []
    for mode in (False, True):
        Wt = Tensor(W, requires_grad=True)
        with detect_anomaly() if mode else np.errstate():
            lessonlib.tanh(x @ Wt).sum().backward()
        grads.append(Wt.grad)
    np.testing.assert_array_equal(grads[0], grads[1])


def test_anomaly_mode_is_restored_on_exit_even_after_an_error_and_nests():
    assert not on()
    with pytest.raises(FloatingPointError):
        with detect_anomaly():
            assert on()
            with detect_anomaly():
                assert on()
            assert on()
            with np.errstate(over="ignore"):
                lessonlib.exp(Tensor(1000.0))
    assert not on()
    with np.errstate(over="ignore"):
        assert lessonlib.exp(Tensor(1000.0)).item() == np.inf      # off again: no error


def test_anomaly_mode_is_per_thread():
    seen = []
    with detect_anomaly():
        worker = threading.Thread(target=lambda: seen.append(on()))
        worker.start()
        worker.join()
    assert seen == [False]


# --------------------------------------------------------------------------- backward
def test_backward_on_a_non_scalar_names_the_shape_and_the_fix():
    y = Tensor(np.ones((2, 2)), requires_grad=True) * 2.0
    with pytest.raises(ValueError, match=all_of("backward", re.escape("(2, 2)"), "sum", "grad=")):
        y.backward()


def test_backward_on_a_constant_says_nothing_requires_grad():
    with pytest.raises(RuntimeError, match="requires_grad"):
        (Tensor(2.0) * 3.0).backward()


def test_error_messages_use_public_op_names():
    x = Tensor(1e-320, requires_grad=True)
    with detect_anomaly(), pytest.raises(FloatingPointError) as err:
        with np.errstate(over="ignore", divide="ignore"):
            lessonlib.log(x).backward()
    assert "_log" not in str(err.value)


# --------------------------------------------------------------------------- grads: no aliasing
def test_accumulated_grads_leave_the_grads_they_were_summed_from_alone():
    """A tensor used three times: its first contribution is the very array another tensor
    holds as .grad (add passes g through); the later ones must not be added into it."""
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 1.0
    w = np.array([3.0, 5.0])
    y1 = h + 0.0
    loss = (y1 * w).sum() + (h * 2.0).sum() + (h * 7.0).sum()
    loss.backward()
    np.testing.assert_array_equal(y1.grad, w)
    np.testing.assert_array_equal(h.grad, w + 9.0)
    np.testing.assert_array_equal(x.grad, w + 9.0)


def test_a_weight_used_at_every_step_gets_the_sum_of_its_contributions():
    """h_{t+1} = h_t W (scalar W = a): dL/dW for L = h_T is T a^(T-1) h_0."""
    a, T, h0 = 0.9, 30, 1.5
    W = Tensor(a, requires_grad=True)
    h = Tensor(h0)
    for _ in range(T):
        h = h * W
    h.backward()
    assert float(W.grad) == pytest.approx(T * a ** (T - 1) * h0, rel=1e-13)
    W.grad *= 2.0                                    # a leaf's grad is writable


@pytest.mark.parametrize("x", [
    np.array([-30.0, -19.0, -3.0, -0.5, 0.0, 0.7, 2.5, 19.0, 30.0]),       # small array
    np.linspace(-1.5, 1.5, 200),                                           # none in the tails
    np.r_[np.linspace(-1.0, 1.0, 190), [-30.0, -19.0, -3.0, 2.5, 19.0]],   # a few in the tails
    np.linspace(-40.0, 40.0, 101).reshape(1, 101),                         # mostly tails
    np.array(25.0),                                                        # 0-d, in the tail
    np.array(0.3),                                                         # 0-d, in the bulk
], ids=["small", "bulk", "few-tails", "mostly-tails", "0d-tail", "0d-bulk"])
def test_tanh_gradient_is_the_accurate_slope_everywhere(x):
    """The gradient is tanh_slope(x) = 4e/(1+e)^2, accurate everywhere, for small and large
    arrays, in the bulk and in the tails (a faster VJP must keep this: see benchmarks/README.md)."""
    t = Tensor(x, requires_grad=True)
    lessonlib.tanh(t).backward(grad=np.ones_like(x))
    np.testing.assert_allclose(t.grad, ops.tanh_slope(x), rtol=1e-14, atol=0)
    assert np.all(t.grad > 0)


# --------------------------------------------------------------------------- gradcheck
def test_check_grad_does_not_pass_a_nan_gradient():
    """max(0.0, nan) is 0.0 in Python: a nan error must not read as a perfect match."""
    @lessonlib.primitive
    def double(x):
        return 2.0 * x

    lessonlib.defvjp(double, lambda g, ans, x: g * np.nan)
    x = Tensor(np.ones(3), requires_grad=True)
    assert lessonlib.check_grad(lambda t: double(t).sum(), x) == np.inf
    with pytest.raises(AssertionError, match=all_of("WRONG", "nan", "detect_anomaly")):
        lessonlib.check_grad(lambda t: double(t).sum(), x, tol=1e-6)

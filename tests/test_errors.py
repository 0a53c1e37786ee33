"""Bad input gets an error in the learner's language: it names the op and the shapes/dtypes."""

import re

import numpy as np
import pytest

import lessonlib
from lessonlib import Tensor, init


def all_of(*patterns):
    """A regex that matches when every pattern occurs somewhere in the message, in any order."""
    return "(?s)^" + "".join(f"(?=.*{p})" for p in patterns)


def shape(*dims):
    return re.escape(str(tuple(dims)))


# --------------------------------------------------------------------------- matmul
@pytest.mark.parametrize(
    "left, right",
    [((32, 10), (20, 5)), ((5,), (4, 2)), ((3, 4), (5,)), ((3,), (4,))],
)
def test_matmul_shape_mismatch_names_op_and_both_shapes(left, right):
    a, b = Tensor(np.zeros(left)), Tensor(np.zeros(right))
    with pytest.raises(ValueError, match=all_of("matmul", shape(*left), shape(*right))):
        a @ b


def test_matmul_mismatch_with_ndarray_on_the_left():
    with pytest.raises(ValueError, match=all_of("matmul", shape(3, 4), shape(5, 2))):
        np.zeros((3, 4)) @ Tensor(np.zeros((5, 2)))


# --------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize(
    "array, dtype_name",
    [
        (np.arange(3), "int64"),
        (np.array([True, False]), "bool"),
        (np.array([1 + 2j]), "complex128"),
    ],
)
def test_tensor_rejects_non_float_arrays_naming_the_dtype(array, dtype_name):
    with pytest.raises(TypeError, match=dtype_name):
        Tensor(array)


def test_tensor_rejects_object_arrays():
    with pytest.raises(TypeError, match="object"):
        Tensor(np.array([1.0, "a"], dtype=object))


def test_tensor_accepts_numbers_lists_and_float_arrays_as_float64():
    assert Tensor(3).data.dtype == np.float64
    assert Tensor([1, 2, 3]).data.dtype == np.float64
    assert Tensor(np.ones(3, dtype=np.float32)).data.dtype == np.float64
    assert (Tensor(np.ones(3)) + 2).data.dtype == np.float64


@pytest.mark.parametrize(
    "op, name",
    [
        (lambda t, a: t + a, r"(add|\+)"),
        (lambda t, a: a + t, r"(add|\+)"),
        (lambda t, a: t * a, r"(mul|\*)"),
        (lambda t, a: a - t, r"(sub|-)"),
    ],
    ids=["tensor+int_array", "int_array+tensor", "tensor*int_array", "int_array-tensor"],
)
def test_integer_array_mixed_into_an_op_names_op_and_dtype(op, name):
    t = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match=all_of(name, "int64")):
        op(t, np.arange(3))


def test_integer_array_in_matmul_names_op_and_dtype():
    with pytest.raises(TypeError, match=all_of(r"(matmul|@)", "int64")):
        Tensor(np.ones((2, 3))) @ np.ones((3, 2), dtype=np.int64)


# --------------------------------------------------------------------------- losses
def test_mse_does_not_broadcast_mismatched_shapes():
    pred, target = Tensor(np.zeros((32, 1))), Tensor(np.zeros(32))
    with pytest.raises(ValueError, match=all_of("mse", shape(32, 1), shape(32))):
        lessonlib.mse(pred, target)


def test_mse_mismatch_with_ndarray_target():
    with pytest.raises(ValueError, match=all_of("mse", shape(4, 2), shape(2, 4))):
        lessonlib.mse(Tensor(np.zeros((4, 2))), np.zeros((2, 4)))


# The valid range for K=3 classes, however it is written: [0, 3), 0..2, 0 and 2, ...
K3_RANGE = r"(\[0, ?3\)|\[0, ?2\]|0 ?\.\.\.? ?2|0 (and|to) 2|range\(3\)|< ?3|K ?= ?3)"


@pytest.mark.parametrize("bad_label", [-1, 3, 10])
def test_cross_entropy_label_out_of_range_names_the_range(bad_label):
    logits = Tensor(np.zeros((4, 3)))
    labels = np.array([0, 1, bad_label, 2])
    with pytest.raises(ValueError, match=all_of("cross_entropy", K3_RANGE)):
        lessonlib.cross_entropy(logits, labels)


def test_cross_entropy_float_labels_are_a_type_error():
    with pytest.raises(TypeError, match=all_of("cross_entropy", "float")):
        lessonlib.cross_entropy(Tensor(np.zeros((3, 3))), np.array([0.0, 1.0, 2.0]))


def test_cross_entropy_label_count_mismatch():
    with pytest.raises(ValueError, match=all_of("cross_entropy", r"\b4\b", r"\b5\b")):
        lessonlib.cross_entropy(Tensor(np.zeros((4, 3))), np.array([0, 1, 2, 0, 1]))


# --------------------------------------------------------------------------- other ops
@pytest.mark.parametrize("values", [[1.0, 0.0, 2.0], [1.0, -2.0], [-1.0]])
def test_log_of_non_positive_input_is_a_value_error(values):
    with pytest.raises(ValueError, match="log"):
        lessonlib.log(Tensor(values))


def test_power_with_a_tensor_exponent_is_a_type_error():
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match=r"(\*\*|pow)"):
        x ** Tensor(2.0)


# --------------------------------------------------------------------------- init
INITIALIZERS = [getattr(init, n) for n in init.__all__]   # every initializer lessonlib exports


@pytest.mark.parametrize("initializer", INITIALIZERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad_rng", [42, np.random.RandomState(0)], ids=["int", "RandomState"])
def test_init_rejects_a_non_generator_rng(initializer, bad_rng):
    with pytest.raises(TypeError, match="Generator"):
        initializer(4, 3, rng=bad_rng)


@pytest.mark.parametrize("initializer", INITIALIZERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("fans", [(0, 3), (3, 0), (-2, 3)])
def test_init_rejects_non_positive_fans(initializer, fans):
    which = "fan_in" if fans[0] <= 0 else "fan_out"
    with pytest.raises(ValueError, match=which):
        initializer(*fans, rng=np.random.default_rng(0))

"""Chapter 4's exercise checkers: one right answer and typical wrong ones, with the verdict text."""
import numpy as np

from lessonlib.activations import elu_slope
from lessonlib.autodiff import defvjp, primitive
from lessonlib.exercises.relu import check_dead_counter, check_elu_vjp, check_leaky_gain, check_scaling_exponent


def _not_attempted(v):
    return v.ok is None and "not attempted" in v.message


# --- leaky gain ----------------------------------------------------------------------------------
def test_leaky_gain_right_answer():
    assert check_leaky_gain(lambda a: np.sqrt(2 / (1 + a ** 2)), show=False).ok


def test_leaky_gain_wrong_answers_say_why():
    he = check_leaky_gain(lambda a: np.sqrt(2.0), show=False)
    assert he.ok is False and "He's sqrt(2)" in he.message
    var = check_leaky_gain(lambda a: 2 / (1 + a ** 2), show=False)
    assert var.ok is False and "square root" in var.message
    unsquared = check_leaky_gain(lambda a: np.sqrt(2 / (1 + abs(a))), show=False)
    assert unsquared.ok is False and "squared" in unsquared.message
    other = check_leaky_gain(lambda a: 1.3, show=False)
    assert other.ok is False and "expected" in other.message


def test_leaky_gain_unattempted_and_broken():
    assert _not_attempted(check_leaky_gain(..., show=False))

    def starter(alpha):
        raise NotImplementedError

    assert _not_attempted(check_leaky_gain(starter, show=False))
    assert _not_attempted(check_leaky_gain(lambda a: ..., show=False))
    broken = check_leaky_gain(lambda a: 1 / a, show=False)
    assert broken.ok is False and "ZeroDivisionError" in broken.message


# --- dead-unit counter ------------------------------------------------------------------------------
def test_dead_counter_right_answer():
    assert check_dead_counter(lambda Z: np.mean(np.all(Z <= 0, axis=0)), show=False).ok


def test_dead_counter_wrong_answers_say_why():
    sparsity = check_dead_counter(lambda Z: np.mean(Z <= 0), show=False)
    assert sparsity.ok is False and "sparsity" in sparsity.message
    strict = check_dead_counter(lambda Z: np.mean(np.all(Z < 0, axis=0)), show=False)
    assert strict.ok is False and "z <= 0" in strict.message
    rows = check_dead_counter(lambda Z: np.mean(np.all(Z <= 0, axis=1)), show=False)
    assert rows.ok is False and "axis 0" in rows.message
    count = check_dead_counter(lambda Z: np.sum(np.all(Z <= 0, axis=0)), show=False)
    assert count.ok is False and "number of dead units" in count.message
    some = check_dead_counter(lambda Z: np.mean(np.any(Z <= 0, axis=0)), show=False)
    assert some.ok is False and "*every* example" in some.message


def test_dead_counter_unattempted():
    assert _not_attempted(check_dead_counter(None, show=False))
    assert _not_attempted(check_dead_counter(lambda Z: ..., show=False))


# --- ELU VJP ---------------------------------------------------------------------------------------
def _elu_op(vjp):
    @primitive
    def my_elu(x):
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))

    defvjp(my_elu, vjp)
    return my_elu


def test_elu_vjp_right_answer():
    v = check_elu_vjp(_elu_op(lambda g, ans, x: g * np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0)))), show=False)
    assert v.ok and "check_grad" in v.message
    assert check_elu_vjp(_elu_op(lambda g, ans, x: g * elu_slope(x)), show=False).ok


def test_elu_vjp_wrong_answers_say_why():
    ans_only = check_elu_vjp(_elu_op(lambda g, ans, x: g * np.where(x > 0, 1.0, ans)), show=False)
    assert ans_only.ok is False and "elu(z) + 1" in ans_only.message
    relu_like = check_elu_vjp(_elu_op(lambda g, ans, x: g * (x > 0)), show=False)
    assert relu_like.ok is False and "ReLU's VJP" in relu_like.message
    no_g = check_elu_vjp(_elu_op(lambda g, ans, x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0)))), show=False)
    assert no_g.ok is False and "incoming gradient" in no_g.message

    @primitive
    def wrong_forward(x):
        return np.maximum(x, 0.0)

    fwd = check_elu_vjp(wrong_forward, show=False)
    assert fwd.ok is False and "forward values" in fwd.message


def test_elu_vjp_unattempted_and_missing_vjp():
    assert _not_attempted(check_elu_vjp(..., show=False))

    @primitive
    def starter(x):
        raise NotImplementedError

    assert _not_attempted(check_elu_vjp(starter, show=False))

    plain = check_elu_vjp(lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))), show=False)
    assert plain.ok is False and "@primitive" in plain.message


# --- scaling exponent --------------------------------------------------------------------------------
def test_scaling_exponent_right_and_wrong():
    assert check_scaling_exponent(6, 5, show=False).ok
    hidden_only = check_scaling_exponent(5, 5, show=False)
    assert hidden_only.ok is False and "output layer" in hidden_only.message
    once = check_scaling_exponent(1, 5, show=False)
    assert once.ok is False and "compounds" in once.message
    other = check_scaling_exponent(9, 5, show=False)
    assert other.ok is False and "count the weight matrices" in other.message
    assert _not_attempted(check_scaling_exponent(..., 5, show=False))

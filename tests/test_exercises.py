"""The generic exercise checkers (lessonlib.exercises): a right answer, typical wrong
answers and an untouched starter each get the verdict a learner should read."""
import numpy as np
import pytest

from lessonlib.autodiff import Tensor, defvjp, primitive
from lessonlib.exercises import (NOT_ATTEMPTED, Verdict, as_number, as_numbers, call_learner, check_array,
                                 check_function, check_number, check_vjp, diagnose_numbers, unattempted, verdict)
from lessonlib.ops import sigmoid


# --- Verdict and verdict -------------------------------------------------------------

def test_verdict_prints_once_and_returns(capsys):
    v = verdict(True, "correct", "x")
    assert capsys.readouterr().out == "\u2713 x: correct\n"
    assert v == Verdict(True, "correct", "x") and v.attempted
    v._ipython_display_()                       # the cell's last value: not shown again
    assert capsys.readouterr().out == ""
    quiet = verdict(False, "wrong", "x", show=False)
    assert capsys.readouterr().out == ""
    quiet._ipython_display_()                   # not printed yet: displayed once
    assert capsys.readouterr().out == "\u2717 x: wrong\n"
    assert not verdict(None, NOT_ATTEMPTED, show=False).attempted


def test_unattempted():
    assert unattempted(...) and unattempted(None)
    assert not unattempted(0) and not unattempted(np.zeros(2))


# --- the shared openings: as_number, as_numbers, call_learner ---------------------------

@pytest.mark.parametrize("answer, value", [(0.25, 0.25), (3, 3.0), (np.float32(0.5), 0.5), (Tensor(2.0), 2.0),
                                           (np.array([1.5]), 1.5)])
def test_as_number_gives_the_float(answer, value):
    got, early = as_number(answer, "x", show=False)
    assert early is None and got == value and type(got) is float


@pytest.mark.parametrize("answer, ok, message", [
    (..., None, NOT_ATTEMPTED), (None, None, NOT_ATTEMPTED),
    ("0.5", False, "expected a number, got str"), (True, False, "expected a number, got bool"),
    (np.zeros(2), False, "expected a number, got ndarray"), (1j, False, "expected a number, got complex"),
    ([1, 2], False, "expected a number, got list"),
])
def test_as_number_stops_with_a_verdict(answer, ok, message, capsys):
    got, early = as_number(answer, "x")
    assert got is None and early.ok is ok and early.message == message and early.name == "x"
    assert capsys.readouterr().out == str(early) + "\n"               # printed once, by as_number


def test_as_numbers_names_the_first_bad_one():
    assert as_numbers({"gamma": 0.25, "the bound": 1}, show=False) == ([0.25, 1.0], None)
    _, early = as_numbers({"gamma": 0.25, "the bound": "1"}, "b", show=False)
    assert early.ok is False and early.message == "expected a number for the bound, got str"
    assert as_numbers({"gamma": ..., "the bound": "1"}, show=False)[1].ok is None


def test_call_learner():
    assert call_learner(lambda a, b=0: a + b, (1,), "f", kwargs={"b": 2}, show=False) == (3, None)

    def starter(x):
        raise NotImplementedError

    for fn in (starter, lambda x: ..., lambda x: None, lambda x: (1.0, ...)):
        got, early = call_learner(fn, (1,), "f", show=False)
        assert got is None and early.ok is None and early.message == NOT_ATTEMPTED
    _, early = call_learner(lambda x: 1 / x, (0,), "f", where="at x = 0", step="the VJP", show=False)
    assert early.ok is False and early.message == "the VJP raised ZeroDivisionError: division by zero (at x = 0)"


# --- check_number ------------------------------------------------------------------

def test_check_number_right(capsys):
    v = check_number(2 / 64, 2 / 64, name="he_variance")
    assert v.ok and "correct" in v.message
    assert capsys.readouterr().out.startswith("\u2713 he_variance: correct")


@pytest.mark.parametrize("answer, expected_text", [
    (np.sqrt(2 / 64), "standard deviation, not the variance"),      # std for a variance
    (1 / 64, "off by a constant factor 1/2"),                         # LeCun for He
    (4 / 64, "off by a constant factor 2"),
    (-2 / 64, "the sign is wrong"),
    (64 / 2, "reciprocal"),
    (float("nan"), "non-finite"),
    (0.03, "largest relative error"),
])
def test_check_number_wrong(answer, expected_text):
    v = check_number(answer, 2 / 64, show=False)
    assert v.ok is False and expected_text in v.message, v.message


def test_check_number_variance_for_std():
    v = check_number(2 / 64, np.sqrt(2 / 64), show=False)
    assert v.ok is False and "a variance, not the standard deviation" in v.message


def test_check_number_off_by_one_and_not_a_number():
    v = check_number(131, 132, name="layers", show=False)           # ln(1e-6)/ln(0.9) = 131.1
    assert v.ok is False and "off by one" in v.message
    assert "expected a number, got str" in check_number("132", 132.5, show=False).message
    assert check_number(Tensor(3.0), 3.0, show=False).ok                # a one-element Tensor


def test_check_number_unattempted(capsys):
    for starter in (..., None):
        v = check_number(starter, 1.0, name="rate")
        assert v.ok is None and v.message == NOT_ATTEMPTED
    assert capsys.readouterr().out.count("not attempted yet") == 2


# --- check_array -------------------------------------------------------------------

W = np.arange(1.0, 7.0).reshape(2, 3)


def test_check_array_right_and_transposed():
    assert check_array(W.copy(), W, show=False).ok
    v = check_array(W.T, W, name="W", show=False)
    assert v.ok is False and v.message == "shape (3, 2), expected (2, 3): transposed?"
    S = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert check_array(S.T, S, show=False).message == "it is the transpose of the answer"


@pytest.mark.parametrize("answer, expected_text", [
    (2 * W, "off by a constant factor 2"),
    (-W, "the sign is wrong"),
    (np.ones(6), "shape (6,), expected (2, 3)"),
    (W + np.eye(2, 3), "largest relative error"),
])
def test_check_array_wrong(answer, expected_text):
    v = check_array(answer, W, show=False)
    assert v.ok is False and expected_text in v.message, v.message


def test_check_array_unattempted_and_garbage():
    assert check_array(..., W, show=False).ok is None
    assert "expected an array of numbers" in check_array("abc", W, show=False).message


# --- check_function ----------------------------------------------------------------

def he(n):
    return 2.0 / n


def test_check_function_right():
    v = check_function(lambda n: 2 / n, he, [(64,), (256,)], name="he_variance", show=False)
    assert v.ok and v.message == "correct on 2 input(s)"


def test_check_function_wrong_answers():
    v = check_function(lambda n: np.sqrt(2 / n), he, [64, 256], name="he_variance", show=False)
    assert v.ok is False and "standard deviation, not the variance" in v.message
    assert "(at he_variance(64))" in v.message                        # names the input
    v = check_function(lambda n: 1 / n, he, [64], show=False)
    assert "off by a constant factor 1/2" in v.message
    v = check_function(lambda n: 1 / (n - 64), he, [64], name="f", show=False)
    assert v.ok is False and v.message.startswith("raised ZeroDivisionError")


def test_check_function_unattempted():
    def untouched(n):
        ...

    def raises(n):
        raise NotImplementedError

    for fn in (..., untouched, raises, lambda n: ...):
        v = check_function(fn, he, [64], show=False)
        assert v.ok is None and v.message.startswith(NOT_ATTEMPTED), fn
    assert "do not forget `return`" in check_function(untouched, he, [64], show=False).message
    assert "expected a function" in check_function(3.0, he, [64], show=False).message


# --- diagnose_numbers --------------------------------------------------------------

def test_diagnose_numbers_prefers_the_named_slip():
    assert diagnose_numbers([1.0, 2.0], [1.0, 2.0]) is None
    assert diagnose_numbers([0.5, 1.0], [1.0, 2.0]) == "off by a constant factor 1/2"
    assert "non-finite" in diagnose_numbers([np.inf, 1.0], [1.0, 2.0])


# --- check_vjp ---------------------------------------------------------------------

def _softplus_with(vjp):
    @primitive
    def softplus(x):
        return np.logaddexp(0.0, x)
    if vjp is not None:
        defvjp(softplus, vjp)
    return softplus


X = np.linspace(-2.0, 2.0, 7)


def test_check_vjp_right():
    sp = _softplus_with(lambda g, ans, x: g * np.exp(x - ans))       # sigma(x)
    v = check_vjp(sp, X, name="softplus", reference=lambda x: np.log1p(np.exp(x)), show=False)
    assert v.ok, v.message
    assert check_vjp(lambda a, b: a * sigmoid(b), X, X[::-1], show=False).ok   # lessonlib ops


@pytest.mark.parametrize("vjp, expected_text", [
    (lambda g, ans, x: 2 * g * np.exp(x - ans), "off by a constant factor 2"),
    (lambda g, ans, x: -g * np.exp(x - ans), "the sign is wrong"),
    (lambda g, ans, x: g * 0.0, "all zeros"),
    (lambda g, ans, x: np.exp(x - ans), "largest relative error"),   # forgot to multiply by g
    (lambda g, ans, x: g * ans, "largest relative error"),           # the function, not its slope
])
def test_check_vjp_wrong(vjp, expected_text):
    v = check_vjp(_softplus_with(vjp), X, name="softplus", show=False)
    assert v.ok is False and expected_text in v.message, v.message
    assert "worst entry x[" in v.message and "central difference" in v.message


def test_check_vjp_wrong_input_named():
    @primitive
    def mul(a, b):
        return a * b
    defvjp(mul, lambda g, ans, a, b: g * b, lambda g, ans, a, b: g * b)   # slip: b's VJP
    v = check_vjp(mul, X, X + 1.0, show=False)
    assert v.ok is False and "gradient of input 1 is wrong" in v.message


def test_check_vjp_shape_and_forward_errors():
    sp = _softplus_with(lambda g, ans, x: np.ones(3))
    v = check_vjp(sp, X, show=False)
    assert v.ok is False and "returned shape (3,)" in v.message
    sp = _softplus_with(lambda g, ans, x: g * np.exp(x - ans))
    v = check_vjp(sp, X, reference=lambda x: np.exp(x), show=False)
    assert v.ok is False and v.message.startswith("the forward value is wrong")
    v = check_vjp(lambda x: x.data * 2, X, show=False)
    assert v.ok is False and "not a Tensor" in v.message


def test_check_vjp_unattempted():
    assert check_vjp(..., X, show=False).ok is None
    v = check_vjp(_softplus_with(None), X, show=False)               # no defvjp yet
    assert v.ok is None and v.message.startswith(NOT_ATTEMPTED) and "defvjp" in v.message

    def starter(x):
        raise NotImplementedError("write the forward pass")
    assert check_vjp(starter, X, show=False).ok is None


@pytest.mark.parametrize("answer, expected, expected_text", [
    (np.log10(50.0), np.log(50.0), "ln(10) (natural log against log10?)"),
    (np.sqrt(2) * 0.25, 0.25, "constant factor sqrt(2)"),
    (3 * 0.1, 0.1, "constant factor 3"),
    (0.1043, 0.1, "largest relative error"),     # a plain wrong value: no made-up factor
])
def test_check_number_names_only_telling_factors(answer, expected, expected_text):
    v = check_number(answer, expected, show=False)
    assert v.ok is False and expected_text in v.message, v.message


# --- check_choice ------------------------------------------------------------------

def test_check_choice():
    from lessonlib.exercises import check_choice
    fb = {"variance": "the formula gives the variance; the code takes a standard deviation"}
    assert check_choice(" Standard deviation", "standard deviation", feedback=fb, show=False).ok
    v = check_choice("variance", "standard deviation", feedback=fb, show=False)
    assert v.ok is False and "the code takes a standard deviation" in v.message
    v = check_choice(3, 1, feedback={20: "that layer gets the largest gradient"}, show=False)
    assert v.ok is False and v.message == "3 is not right"
    assert check_choice(..., 1, show=False).ok is None

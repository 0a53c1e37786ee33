"""Chapter 9's checkers: one right answer and typical wrong ones, with the verdict text."""
import numpy as np
import pytest

from lessonlib import init
from lessonlib.exercises.diagnosing import MYSTERIES, check_cause, check_fix, mystery


def test_right_causes():
    for k, (code, _) in MYSTERIES.items():
        v = check_cause(k, code, show=False)
        assert v.ok and "correct" in v.message


@pytest.mark.parametrize("k, wrong, words", [
    (1, "vanishing_gradients", "number of units that ever fire"),
    (1, "saturated_units", "ReLU units"),
    (2, "saturated_units", "slope"),
    (3, "dead_units", "all say the same thing"),
    (4, "exploding_gradients", "log 3"),
    (4, "loss_diverging", "needs training steps"),
    (2, "dead_units", "does not find dead_units"),
    (1, "dead", "is not one of the codes"),
])
def test_wrong_causes_say_why(k, wrong, words):
    v = check_cause(k, wrong, show=False)
    assert v.ok is False and words in v.message


def test_unattempted_never_raises():
    assert check_cause(1, ..., show=False).ok is None
    assert check_fix(1, None, show=False).ok is None


def test_fixes():
    net, _, _ = mystery(1)
    for layer in net.layers:
        layer.b.data = np.zeros(layer.b.shape)
    assert check_fix(1, net, show=False).ok
    net, _, _ = mystery(3)
    rng = np.random.default_rng(0)
    for layer in net.layers:
        layer.W.data = init.xavier_normal(*layer.W.shape, rng=rng)
    assert check_fix(3, net, show=False).ok
    # typical wrong fixes: nothing changed, or a different architecture
    v = check_fix(4, mystery(4)[0], show=False)
    assert v.ok is False and "initial_loss_off" in v.message
    v = check_fix(2, mystery(1)[0], show=False)
    assert v.ok is False and "parameter shapes changed" in v.message
    v = check_fix(2, "my model", show=False)
    assert v.ok is False and "expected a model" in v.message


def test_a_fix_that_breaks_diagnose_gets_a_verdict_not_an_error():
    net, _, _ = mystery(1)
    net.layers[0].W.data[0, 0] = np.nan               # a "repair" that left a nan weight
    v = check_fix(1, net, show=False)
    assert v.ok is False and "cannot run on this model" in v.message and "non-finite" in v.message

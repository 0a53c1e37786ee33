"""The checkers of chapter 1's exercises: a right answer and typical wrong ones, with their verdicts."""
import numpy as np

from lessonlib import Tensor, defvjp, primitive, sigmoid
from lessonlib.exercises.chain_rule import (
    check_accumulation, check_backprop_by_hand, check_first_depth_below, check_softplus_vjp,
    tanh_chain_grads)


def _by_hand(w, x, y, *, local=None, jac=None, reverse=False):
    h = [x]
    for w_l in w:
        h.append(np.tanh(w_l * h[-1]))
    slope = [1 - v ** 2 for v in h[1:]]
    local = local or (lambda l: slope[l] * h[l])
    jac = jac or (lambda l: slope[l] * w[l])
    grads = []
    for l in range(len(w)):
        g = h[-1] - y
        for k in range(l + 1, len(w)):
            g *= jac(k)
        grads.append(g * local(l))
    return grads[::-1] if reverse else grads


def test_tanh_chain_reference_is_the_engine():
    w, x, y = (0.5, -1.0, 2.0), 1.0, 0.5
    np.testing.assert_allclose(tanh_chain_grads(w, x, y), _by_hand(list(w), x, y), rtol=1e-12)


def test_backprop_by_hand_verdicts(capsys):
    assert check_backprop_by_hand(_by_hand).ok
    assert "correct" in capsys.readouterr().out
    v = check_backprop_by_hand(lambda w, x, y: _by_hand(w, x, y, reverse=True))
    assert v.ok is False and "reverse order" in v.message
    v = check_backprop_by_hand(lambda w, x, y: [2 * g for g in _by_hand(w, x, y)])
    assert v.ok is False and "off by a constant factor 2" in v.message and "l = [1, 2, 3]" in v.message
    v = check_backprop_by_hand(lambda w, x, y: _by_hand(w, x, y)[:2])
    assert v.ok is False and "one per weight" in v.message


def test_backprop_slips_are_named():
    def network_input(w, x, y):               # the local factor uses x instead of h_{l-1}
        h = [x]
        for w_l in w:
            h.append(np.tanh(w_l * h[-1]))
        s = [1 - v ** 2 for v in h[1:]]
        return [(h[-1] - y) * np.prod([s[k] * w[k] for k in range(l + 1, len(w))]) * s[l] * x for l in range(len(w))]
    v = check_backprop_by_hand(network_input)
    assert v.ok is False and "not the network input x" in v.message

    def no_weights(w, x, y):
        h = [x]
        for w_l in w:
            h.append(np.tanh(w_l * h[-1]))
        s = [1 - v ** 2 for v in h[1:]]
        return [(h[-1] - y) * np.prod(s[l + 1:]) * s[l] * h[l] for l in range(len(w))]
    v = check_backprop_by_hand(no_weights)
    assert v.ok is False and "no weights in the Jacobians" in v.message


def test_backprop_unattempted_never_raises():
    assert check_backprop_by_hand(...).ok is None
    def starter(w, x, y):
        raise NotImplementedError
    assert check_backprop_by_hand(starter).message == "not attempted yet"
    assert check_backprop_by_hand(lambda w, x, y: [..., ..., ...]).ok is None
    v = check_backprop_by_hand(lambda w, x, y: 1 / 0)
    assert v.ok is False and "ZeroDivisionError" in v.message


def _softplus(vjp, forward=lambda x: np.logaddexp(0.0, x)):
    @primitive
    def softplus_try(x):
        return forward(x)
    if vjp is not None:
        defvjp(softplus_try, vjp)
    return softplus_try


def test_softplus_vjp_verdicts():
    assert check_softplus_vjp(_softplus(lambda g, ans, x: g * np.exp(x - ans))).ok
    v = check_softplus_vjp(_softplus(lambda g, ans, x: np.exp(x - ans)))
    assert v.ok is False and "forgets to multiply by the incoming gradient g" in v.message
    v = check_softplus_vjp(_softplus(lambda g, ans, x: g * ans))
    assert v.ok is False and "the function itself" in v.message
    v = check_softplus_vjp(_softplus(lambda g, ans, x: -g * sigmoid(x).data))
    assert v.ok is False and "sign is wrong" in v.message
    v = check_softplus_vjp(_softplus(lambda g, ans, x: g * np.exp(x - ans), forward=lambda x: np.log(1 + x ** 2)))
    assert v.ok is False and "forward pass is wrong" in v.message
    assert check_softplus_vjp(lambda x: x).ok is False                    # not a primitive


def test_softplus_unattempted_never_raises():
    def forward(x):
        raise NotImplementedError
    assert check_softplus_vjp(_softplus(lambda g, ans, x: ..., forward=forward)).ok is None
    assert check_softplus_vjp(_softplus(lambda g, ans, x: ...)).ok is None
    assert check_softplus_vjp(_softplus(None)).ok is None
    assert check_softplus_vjp(...).ok is None


def test_first_depth_below_verdicts():
    assert check_first_depth_below(132, 0.9, 1e-6).ok
    v = check_first_depth_below(131, 0.9, 1e-6)
    assert v.ok is False and "one too few" in v.message
    v = check_first_depth_below(133, 0.9, 1e-6)
    assert v.ok is False and "one too many" in v.message
    v = check_first_depth_below(131.1, 0.9, 1e-6)
    assert v.ok is False and "whole number" in v.message
    assert check_first_depth_below(10, 0.25, 1e-6).ok
    assert check_first_depth_below(..., 0.9, 1e-6).ok is None


def test_accumulation_verdicts():
    assert check_accumulation([4, 4, 4], 4, 24).ok
    v = check_accumulation([4, 4], 4, 24)
    assert v.ok is False and "three outgoing edges" in v.message
    v = check_accumulation([4, 4, 4], 4, 12)
    assert v.ok is False and "adds into .grad" in v.message
    v = check_accumulation([4, 4, 4], 12, 24)
    assert v.ok is False and "keeps one contribution" in v.message
    assert check_accumulation(..., ..., ...).ok is None
    x = Tensor(2.0, requires_grad=True)
    ((x * x) * x).backward()
    assert check_accumulation([4, 4, 4], 4, 2 * float(x.grad)).ok      # the engine agrees

"""The checkers of chapter 2's exercises: a right answer and typical wrong ones, with their verdicts."""
import numpy as np

from lessonlib import Tensor, nn
from lessonlib.exercises.sigmoid_bound import (
    check_grad_norms, check_saturated_fraction, check_sigmoid_twin, check_tanh_threshold,
    reference_grad_norms)
from lessonlib.activations import SLOPES, SLOPE_MAX
from lessonlib.layers import center_biases
from lessonlib.theory import slope_threshold


def test_tanh_threshold_verdicts():
    assert check_tanh_threshold(lambda c: slope_threshold("sigmoid", c / 4) / 2).ok
    v = check_tanh_threshold(lambda c: slope_threshold("sigmoid", c / 4))
    assert v.ok is False and "divide by 2" in v.message
    v = check_tanh_threshold(lambda c: slope_threshold("sigmoid", c) / 2)
    assert v.ok is False and "c/4" in v.message
    assert check_tanh_threshold(lambda c: ...).ok is None
    assert check_tanh_threshold(...).ok is None
    v = check_tanh_threshold(lambda c: [1.0, 2.0])                     # a verdict, not a TypeError
    assert v.ok is False and v.message == "expected a number, got list"


def _grad_norms(net, x, G, *, variant=None):
    h = [Tensor(x, requires_grad=True)]
    for layer in net.layers[:-1]:
        h.append(net.activation(layer(h[-1])))
    out = net.layers[-1](h[-1])
    loss = (out * G).sum() / (1 if variant == "no_N" else x.shape[0])
    loss.backward()
    norms = [np.linalg.norm(t.grad) for t in h]
    if variant == "rms":
        norms = [np.sqrt(np.mean(t.grad ** 2)) for t in h]
    if variant == "reversed":
        norms = norms[::-1]
    if variant == "no_input":
        norms = norms[1:]
    if variant == "with_output":
        norms = norms + [1.0]
    return norms


def test_grad_norms_verdicts():
    assert check_grad_norms(_grad_norms).ok
    for variant, words in (("reversed", "reversed"), ("rms", "RMS"), ("no_N", "batch size"),
                           ("no_input", "include h_0"), ("with_output", "stop at the last hidden layer")):
        v = check_grad_norms(lambda net, x, G, variant=variant: _grad_norms(net, x, G, variant=variant))
        assert v.ok is False and words in v.message, (variant, v.message)
    def starter(net, x, G):
        raise NotImplementedError
    assert check_grad_norms(starter).ok is None
    assert check_grad_norms(lambda net, x, G: ...).ok is None


def test_reference_grad_norms_of_a_linear_chain():
    # identity activation, W = a I, loss sum(out G)/N: dL/dh_l = G a^(L+1-l) / N
    rng = np.random.default_rng(0)
    net = nn.MLP([4] * 5, activation="identity", init=lambda fi, fo, *, rng: 0.5 * np.eye(fi, fo), rng=rng)
    x, G = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    expected = np.linalg.norm(G) / 3 * 0.5 ** np.arange(4, 0, -1)
    np.testing.assert_allclose(reference_grad_norms(net, x, G), expected, rtol=1e-12)


def _saturated(z, activation):
    return np.mean(SLOPES[activation](z) < 0.01 * SLOPE_MAX[activation])


def test_saturated_fraction_verdicts():
    assert check_saturated_fraction(_saturated).ok
    v = check_saturated_fraction(lambda z, a: np.sum(SLOPES[a](z) < 0.01 * SLOPE_MAX[a]))
    assert v.ok is False and "count" in v.message
    v = check_saturated_fraction(lambda z, a: np.mean(SLOPES[a](z) < 0.01))
    assert v.ok is False and "1% of the largest slope" in v.message
    v = check_saturated_fraction(lambda z, a: 1 - _saturated(z, a))
    assert v.ok is False and "NOT saturated" in v.message
    assert check_saturated_fraction(lambda z, a: ...).ok is None


def _twin(tanh_net, *, centre=True, scale_in=2.0):
    sizes = [tanh_net.layers[0].W.shape[0]] + [layer.W.shape[1] for layer in tanh_net.layers]
    twin = nn.MLP(sizes, activation="sigmoid", init="xavier_normal", rng=np.random.default_rng(0))
    for l, (s_layer, t_layer) in enumerate(zip(twin.layers, tanh_net.layers), start=1):
        s_layer.W.data[...] = (scale_in if l in (1, len(sizes) - 1) else 4.0) * t_layer.W.data
        s_layer.b.data[...] = 0.0
    if centre:
        center_biases(twin)
    return twin


def test_sigmoid_twin_verdicts():
    assert check_sigmoid_twin(_twin).ok
    v = check_sigmoid_twin(lambda net: _twin(net, centre=False))
    assert v.ok is False and "differ" in v.message
    v = check_sigmoid_twin(lambda net: _twin(net, scale_in=4.0))
    assert v.ok is False and "scales" in v.message
    assert check_sigmoid_twin(lambda net: ...).ok is None
    v = check_sigmoid_twin(lambda net: net)                 # the tanh net itself
    assert v.ok is False and "sigmoid activation" in v.message

"""lessonlib.diagnostics checked against closed forms.

The reference is a linear chain: an MLP with the identity activation, W_l = a I and
zero biases. With input X and loss L = sum(h_L * G) / N,

    h_l       = a^l X                       (so h_rms(l) = a^l h_rms(0))
    dL/dh_l   = a^(L-l) G / N               (so grad_h_rms(l) = a^(L-l) grad_h_rms(L))
    dL/dW_l   = h_{l-1}^T dL/dz_l = a^(l-1) X^T a^(L-l) G / N = a^(L-1) X^T G / N

the same matrix for every layer. Saturation and dead units are checked on nets whose
pre-activations are forced far into one regime.
"""
import warnings
from dataclasses import FrozenInstanceError, fields

import numpy as np
import pytest

from lessonlib import Tensor, nn
from lessonlib.diagnostics import SATURATION_LEVEL, LayerStats, Profile, layer_profile


def _eye_init(a):
    return lambda fan_in, fan_out, *, rng: a * np.eye(fan_in, fan_out)


def _linear_chain(a, depth, width):
    return nn.MLP([width] * (depth + 1), activation="identity", init=_eye_init(a),
                  rng=np.random.default_rng(0))


def _sum_loss(G):
    return lambda out: (out * G).sum() / G.shape[0]


@pytest.mark.parametrize("a", [0.5, 0.9, 1.3])
def test_linear_chain_matches_closed_form(a):
    depth, width, batch = 6, 5, 7
    rng = np.random.default_rng(1)
    X, G = rng.standard_normal((batch, width)), rng.standard_normal((batch, width))
    profile = layer_profile(_linear_chain(a, depth, width), X, _sum_loss(G))
    l = np.arange(depth + 1)

    assert isinstance(profile, Profile) and len(profile.layers) == depth + 1
    assert all(isinstance(s, LayerStats) for s in profile.layers)
    np.testing.assert_array_equal(profile["layer"], l)
    np.testing.assert_allclose(profile.loss, a ** depth * np.sum(X * G) / batch, rtol=1e-12)
    # forward: h_l = a^l X
    np.testing.assert_allclose(profile["h_rms"], a ** l * np.sqrt(np.mean(X ** 2)), rtol=1e-12)
    np.testing.assert_allclose(profile["h_mean"], a ** l * X.mean(), rtol=1e-12)
    np.testing.assert_allclose(profile["h_std"], a ** l * X.std(), rtol=1e-12)
    np.testing.assert_allclose(profile["z_std"][1:], a ** l[1:] * X.std(), rtol=1e-12)  # z_l = h_l here
    # backward: dL/dh_l = a^(L-l) G / N
    np.testing.assert_allclose(profile["grad_h_rms"] / profile["grad_h_rms"][-1], a ** (depth - l),
                               rtol=1e-12)
    np.testing.assert_allclose(profile["grad_h_norm"], a ** (depth - l) * np.linalg.norm(G) / batch,
                               rtol=1e-12)
    # weights: dL/dW_l = a^(L-1) X^T G / N, the same for every layer
    expected_W = a ** (depth - 1) * np.linalg.norm(X.T @ G) / batch
    np.testing.assert_allclose(profile["grad_W_norm"][1:], expected_W, rtol=1e-12)
    # no meaning at the input, and no slope to measure saturation for the identity
    assert np.isnan(profile["grad_W_norm"][0]) and np.isnan(profile["z_std"][0])
    assert np.all(np.isnan(profile["saturated"])) and np.isnan(profile["dead"][0])
    assert profile.finite


def test_profile_is_pure_and_repeatable():
    """Gradients are zeroed first, nothing is kept between calls, the model works without a hook."""
    rng = np.random.default_rng(2)
    model = nn.MLP([4, 6, 6, 3], activation="tanh", init="xavier_normal", rng=rng)
    X, G = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    first = layer_profile(model, X, _sum_loss(G))
    second = layer_profile(model, Tensor(X), _sum_loss(G))          # a Tensor input works too
    for f in fields(LayerStats):                                    # the same numbers (nan == nan here)
        np.testing.assert_array_equal(first[f.name], second[f.name])
    assert first.loss == second.loss
    with pytest.raises(FrozenInstanceError):
        first.layers[0].h_rms = 1.0
    out = model(Tensor(X))                                          # no hook left behind
    assert out.shape == (5, 3)


def test_saturated_fraction_sigmoid_huge_and_tiny_gain():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((64, 16))
    G = rng.standard_normal((64, 16))
    make = lambda scale: (lambda fan_in, fan_out, *, rng: scale * rng.standard_normal((fan_in, fan_out)))
    huge = nn.MLP([16] * 5, activation="sigmoid", init=make(1e3), rng=rng)
    tiny = nn.MLP([16] * 5, activation="sigmoid", init=make(1e-3), rng=rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                                # no RuntimeWarning escapes
        p_huge = layer_profile(huge, X, _sum_loss(G))
        p_tiny = layer_profile(tiny, X, _sum_loss(G))
    sat_huge, sat_tiny = p_huge["saturated"], p_tiny["saturated"]
    assert np.all(sat_huge[1:4] > 0.99)                               # |z| ~ 1e3: nearly all saturated
    assert np.all(sat_tiny[1:4] == 0.0)                               # z ~ 0: slope 1/4 everywhere
    assert np.isnan(sat_huge[0]) and np.isnan(sat_huge[-1])           # input and linear output layer
    # the definition: slope below SATURATION_LEVEL times the largest slope
    assert SATURATION_LEVEL == 0.01


def test_saturated_fraction_counts_exactly():
    """Half the units of one tanh layer pushed to |z| = 10, half left at z = 0."""
    width = 8
    w = np.concatenate([np.full(width // 2, 10.0), np.zeros(width // 2)])
    init = lambda fan_in, fan_out, *, rng: np.tile(w[:fan_out], (fan_in, 1)) / fan_in
    model = nn.MLP([width, width, width], activation="tanh", init=init, rng=np.random.default_rng(0))
    X = np.ones((3, width))
    p = layer_profile(model, X, lambda out: out.sum())
    assert p["saturated"][1] == 0.5          # tanh'(10) ~ 8e-9 < 0.01; tanh'(0) = 1


def test_dead_fraction_relu_all_negative():
    width, batch = 6, 10
    rng = np.random.default_rng(4)
    X = np.abs(rng.standard_normal((batch, width))) + 0.1           # positive inputs
    negative = lambda fan_in, fan_out, *, rng: -np.abs(rng.standard_normal((fan_in, fan_out))) - 0.1
    model = nn.MLP([width] * 4, activation="relu", init=negative, rng=rng)
    p = layer_profile(model, X, lambda out: out.sum())
    assert p["dead"][1] == 1.0                                      # z_1 < 0 everywhere
    assert p["dead"][2] == 1.0                                      # h_1 = 0, so z_2 = b = 0 <= 0
    assert p["grad_h_norm"][0] == 0.0 and p["grad_W_norm"][1] == 0.0  # nothing flows back
    # half the units dead: W = diag(+1, ..., -1, ...) on positive inputs
    signs = np.repeat([1.0, -1.0], width // 2)
    half = nn.MLP([width, width, width], activation="relu",
                  init=lambda fan_in, fan_out, *, rng: np.diag(signs)[:fan_in, :fan_out], rng=rng)
    assert layer_profile(half, X, lambda out: out.sum())["dead"][1] == 0.5


def test_profile_reports_overflow_and_unknown_statistics():
    model = _linear_chain(1e200, 3, 4)
    X = np.ones((2, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = layer_profile(model, X, _sum_loss(np.ones((2, 4))))
    assert not p.finite
    with pytest.raises(KeyError, match="no statistic 'grad_norm'"):
        p["grad_norm"]

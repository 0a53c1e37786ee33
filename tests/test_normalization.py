"""Batch normalization (chapter 5): the hand-derived VJP, running statistics, modes, errors."""
import re

import numpy as np
import pytest

import lessonlib
from lessonlib import Tensor, check_grad
from lessonlib.diagnostics import layer_profile
from lessonlib.normalization import BatchNorm, BNMLP, batch_norm, batch_statistics

TOL = 1e-6


def _tensors(seed, n=7, d=5, scale=1.0):
    rng = np.random.default_rng(seed)
    x = Tensor(scale * rng.standard_normal((n, d)) + rng.standard_normal(d), requires_grad=True)
    gamma = Tensor(1.0 + 0.5 * rng.standard_normal(d), requires_grad=True)
    beta = Tensor(rng.standard_normal(d), requires_grad=True)
    G = rng.standard_normal((n, d))       # a random output weight: the whole VJP is tested
    return x, gamma, beta, G


def _reference(x, gamma, beta, eps):
    """Batch normalization written with numpy only."""
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def _composed(x, gamma, beta, eps=1e-5):
    """Batch normalization built from elementary lessonlib ops: its gradient comes from
    the engine's chain rule, not from the three-term formula."""
    mu = x.mean(axis=0)
    centred = x - mu
    var = (centred * centred).mean(axis=0)
    return gamma * centred / (var + eps) ** 0.5 + beta


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("shape", [(3, 3), (7, 5), (32, 4)])
def test_batch_norm_gradients_by_central_differences(seed, shape):
    x, gamma, beta, G = _tensors(seed, *shape)
    err = check_grad(lambda x, g, b: (batch_norm(x, g, b) * G).sum(), x, gamma, beta, seed=seed + 10)
    assert err < TOL


def test_batch_of_two_passes_almost_no_gradient_to_x():
    # N = 2: x_hat = +-sqrt(var / (var + eps)), and the projection of the three-term form
    # removes both directions of R^2, so dL/dx is of order eps / var (exactly 0 for eps = 0)
    x, gamma, beta, G = _tensors(21, 2, 4)
    (batch_norm(x, gamma, beta) * G).sum().backward()
    scale = np.abs(G).max() * np.abs(gamma.data).max() / np.abs(x.data[0] - x.data[1]).min()
    assert np.abs(x.grad).max() < 1e-3 * scale
    assert check_grad(lambda g, b: (batch_norm(x.data, g, b) * G).sum(), gamma, beta, seed=2) < TOL
    np.testing.assert_allclose(np.abs(batch_norm(x.data, np.ones(4), np.zeros(4)).data), 1.0, rtol=1e-3)


@pytest.mark.parametrize("seed", [4, 5])
def test_batchnorm_layer_gradients_in_training_mode(seed):
    x, gamma, beta, G = _tensors(seed, 9, 4, scale=3.0)
    bn = BatchNorm(4)

    def f(x, g, b):
        bn.gamma, bn.beta = g, b
        return (bn(x) * G).sum()

    assert check_grad(f, x, gamma, beta, seed=seed + 20) < TOL


@pytest.mark.parametrize("eps", [1e-5, 0.5])
def test_three_term_vjp_matches_the_composed_graph(eps):
    x, gamma, beta, G = _tensors(6, 11, 6)
    (batch_norm(x, gamma, beta, eps=eps) * G).sum().backward()
    by_hand = [t.grad.copy() for t in (x, gamma, beta)]
    for t in (x, gamma, beta):
        t.zero_grad()
    (_composed(x, gamma, beta, eps) * G).sum().backward()
    for mine, engine in zip(by_hand, (x.grad, gamma.grad, beta.grad)):
        np.testing.assert_allclose(mine, engine, rtol=1e-10, atol=1e-13)


def test_gradient_is_orthogonal_to_ones_and_x_hat():
    x, gamma, beta, G = _tensors(7, 16, 3, scale=2.0)
    (batch_norm(x, gamma, beta) * G).sum().backward()
    x_hat = _reference(x.data, 1.0, 0.0, 1e-5)
    np.testing.assert_allclose(x.grad.sum(axis=0), 0.0, atol=1e-12)
    # sum_n dL/dx_n x_hat_n = gamma/sigma * eps/sigma^2 * sum(g x_hat): zero up to eps
    assert np.all(np.abs((x.grad * x_hat).sum(axis=0)) < 1e-4 * np.abs(x.grad).sum(axis=0))


def test_forward_standardizes_and_matches_numpy():
    x, gamma, beta, _ = _tensors(8, 50, 3, scale=4.0)
    out = batch_norm(x, gamma, beta).data
    np.testing.assert_allclose(out, _reference(x.data, gamma.data, beta.data, 1e-5), rtol=1e-12)
    plain = batch_norm(x, np.ones(3), np.zeros(3)).data
    np.testing.assert_allclose(plain.mean(axis=0), 0.0, atol=1e-12)
    var = x.data.var(axis=0)
    np.testing.assert_allclose(plain.std(axis=0), np.sqrt(var / (var + 1e-5)), rtol=1e-12)
    mu, v, inv_sigma, x_hat = batch_statistics(x.data, eps=1e-5)
    np.testing.assert_allclose(mu, x.data.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(v, var, rtol=1e-12)
    np.testing.assert_allclose(inv_sigma, 1 / np.sqrt(var + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(x_hat, plain, rtol=1e-12)


def test_constant_feature_gives_beta_and_no_nan():
    bn = BatchNorm(2)
    bn.beta.data[:] = [0.5, -1.0]
    x = np.column_stack([np.full(6, 3.0), np.arange(6.0)])
    out = bn(x).data
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out[:, 0], 0.5, atol=0)


@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_running_statistics_follow_the_numpy_reference(momentum):
    rng = np.random.default_rng(9)
    bn = BatchNorm(3, momentum=momentum)
    mean_ref, var_ref = np.zeros(3), np.ones(3)
    for step in range(4):
        x = rng.normal(loc=[1.0, -2.0, 5.0], scale=[0.5, 2.0, 3.0], size=(6 + step, 3))
        bn(x)
        mean_ref = (1 - momentum) * mean_ref + momentum * x.mean(axis=0)
        var_ref = (1 - momentum) * var_ref + momentum * x.var(axis=0, ddof=1)   # unbiased
    np.testing.assert_allclose(bn.running_mean, mean_ref, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, var_ref, rtol=1e-12)
    assert bn.num_batches_tracked == 4


def test_momentum_zero_and_one():
    x = np.random.default_rng(10).normal(3.0, 2.0, size=(8, 2))
    frozen, copy_last = BatchNorm(2, momentum=0.0), BatchNorm(2, momentum=1.0)
    frozen(x)
    copy_last(x)
    np.testing.assert_array_equal(frozen.running_mean, 0.0)
    np.testing.assert_array_equal(frozen.running_var, 1.0)
    np.testing.assert_allclose(copy_last.running_mean, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(copy_last.running_var, x.var(axis=0, ddof=1), rtol=1e-12)


def test_eval_mode_uses_running_statistics_and_is_per_example():
    rng = np.random.default_rng(11)
    bn = BatchNorm(3, eps=1e-3)
    for _ in range(3):
        bn(rng.normal(2.0, 3.0, size=(10, 3)))
    bn.gamma.data[:] = [1.0, 2.0, -1.0]
    bn.beta.data[:] = [0.0, 1.0, 3.0]
    bn.eval()
    mean, var = bn.running_mean.copy(), bn.running_var.copy()
    x = rng.normal(size=(5, 3))
    out = bn(x).data
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3) * bn.gamma.data + bn.beta.data,
                               rtol=1e-12)
    np.testing.assert_allclose(bn(x[:1]).data, out[:1], rtol=1e-12)     # a batch of one is fine
    np.testing.assert_array_equal(bn.running_mean, mean)                 # nothing updated
    assert bn.num_batches_tracked == 3
    bn.train()
    assert not np.allclose(bn(x).data, out)                              # batch statistics again


def test_eval_mode_gradients():
    x, gamma, beta, G = _tensors(12, 6, 4)
    bn = BatchNorm(4)
    bn(np.random.default_rng(0).normal(size=(20, 4)))
    bn.eval()

    def f(x, g, b):
        bn.gamma, bn.beta = g, b
        return (bn(x) * G).sum()

    assert check_grad(f, x, gamma, beta, seed=3) < TOL


def test_epsilon_enters_the_normalization():
    x = np.random.default_rng(13).normal(scale=0.1, size=(40, 2))      # variance about 0.01
    small, large = BatchNorm(2, eps=1e-8)(x).data, BatchNorm(2, eps=1e-2)(x).data
    var = x.var(axis=0)
    np.testing.assert_allclose(small.std(axis=0), np.sqrt(var / (var + 1e-8)), rtol=1e-12)
    np.testing.assert_allclose(large.std(axis=0), np.sqrt(var / (var + 1e-2)), rtol=1e-12)
    assert np.all(large.std(axis=0) < 0.8)


def test_bad_shapes_name_batchnorm_and_the_shapes():
    bn = BatchNorm(5)
    for bad in (np.zeros(5), np.zeros((4, 3)), np.zeros((2, 5, 1))):
        with pytest.raises(ValueError, match=r"BatchNorm\(5\).*\(N, 5\).*" + re.escape(str(bad.shape))):
            bn(bad)
    bn.eval()
    with pytest.raises(ValueError, match=r"BatchNorm\(5\).*\(4, 3\)"):
        bn(np.zeros((4, 3)))


def test_batch_of_one_in_training_mode_raises_clearly():
    bn = BatchNorm(3)
    with pytest.raises(ValueError, match=r"BatchNorm\(3\): training mode needs at least 2 .*\(1, 3\).*eval"):
        bn(np.ones((1, 3)))
    assert bn.num_batches_tracked == 0


@pytest.mark.parametrize("kwargs, match", [
    (dict(num_features=0), "num_features"), (dict(num_features=2.5), "num_features"),
    (dict(num_features=True), "num_features"), (dict(num_features=3, eps=0.0), "eps"),
    (dict(num_features=3, eps=float("nan")), "eps"), (dict(num_features=3, momentum=-0.1), "momentum"),
    (dict(num_features=3, momentum=1.5), "momentum"), (dict(num_features=3, momentum=True), "momentum"),
])
def test_bad_settings_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=f"BatchNorm: {match}"):
        BatchNorm(**kwargs)


def test_parameters_modes_and_nn_reexport():
    bn = lessonlib.nn.BatchNorm(4)
    assert isinstance(bn, BatchNorm) and repr(bn) == "BatchNorm(4, eps=1e-05, momentum=0.1)"
    assert bn.parameters() == [bn.gamma, bn.beta]
    np.testing.assert_array_equal(bn.gamma.data, 1.0)
    np.testing.assert_array_equal(bn.beta.data, 0.0)
    net = BNMLP([3, 8, 8, 2], activation="relu", init="he_normal", rng=np.random.default_rng(0))
    assert len(net.layers) == 3 and len(net.norms) == 2
    assert [l.b is None for l in net.layers] == [True, True, False]    # beta replaces the bias
    assert len(net.parameters()) == 3 + 2 * 2 + 1
    net.eval()
    assert not any(bn.training for bn in net.norms)
    net.train()
    assert all(bn.training for bn in net.norms)


def test_bnmlp_hook_sees_standardized_activation_inputs():
    rng = np.random.default_rng(14)
    net = BNMLP([6, 16, 16, 3], activation="tanh", init="xavier_normal", rng=rng)
    seen = []
    out = net(Tensor(5.0 + 3.0 * rng.standard_normal((32, 6))), hook=lambda l, z, h: seen.append((l, z, h)))
    assert [s[0] for s in seen] == [1, 2, 3] and seen[-1][2] is out
    for l, z, h in seen[:-1]:
        np.testing.assert_allclose(z.data.mean(axis=0), 0.0, atol=1e-12)          # z is post-BN
        np.testing.assert_allclose(h.data, np.tanh(z.data), rtol=1e-12)
    profile = layer_profile(net, rng.standard_normal((32, 6)), lambda o: (o * o).mean())
    assert len(profile.layers) == 4 and profile.finite
    assert np.all(np.isfinite(profile["grad_W_norm"][1:]))
    with pytest.raises(ValueError, match="BatchNorm"):
        net(Tensor(np.ones((1, 6))))
    net.eval()
    assert net(Tensor(np.ones((1, 6)))).shape == (1, 3)


def test_bnmlp_is_invariant_to_the_scale_of_hidden_weights():
    make = lambda: BNMLP([4, 8, 8, 2], activation="relu", init="he_normal", rng=np.random.default_rng(15),
                         eps=1e-14)
    x = np.random.default_rng(16).standard_normal((20, 4))
    a, b = make(), make()
    for layer in b.layers[:-1]:
        layer.W.data *= 10.0
    np.testing.assert_allclose(b(Tensor(x)).data, a(Tensor(x)).data, rtol=1e-10, atol=1e-12)


def test_bnmlp_refuses_bad_arguments():
    with pytest.raises(ValueError, match="sizes"):
        BNMLP([3], activation="relu", init="he_normal", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="unknown activation"):
        BNMLP([3, 2], activation="swish", init="he_normal", rng=np.random.default_rng(0))


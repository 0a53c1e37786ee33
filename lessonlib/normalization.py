r"""Batch normalization (chapter 5): a layer whose backward pass is derived by hand.

In training mode, :class:`BatchNorm` standardizes every feature over the batch
(axis 0) and then rescales it with learnable $\gamma$ and $\beta$:

.. math::

    \mu = \frac1N \sum_n x_n, \quad
    \sigma^2 = \frac1N \sum_n (x_n - \mu)^2 + \epsilon, \quad
    \hat x_n = \frac{x_n - \mu}{\sigma}, \quad
    y_n = \gamma\, \hat x_n + \beta .

Its vector-Jacobian product is the three-term form of chapter 5,

.. math::

    \frac{\partial L}{\partial x} = \frac{\gamma}{N \sigma}
    \Big( N g - \sum_n g_n - \hat x \sum_n g_n \hat x_n \Big),
    \qquad g = \frac{\partial L}{\partial y},

registered with :func:`~lessonlib.autodiff.defvjp` on the primitive behind
:func:`batch_norm`. In evaluation mode the layer uses running averages of the
batch statistics instead, as mainstream frameworks do: the batch variance that
normalizes is the biased one (divide by $N$), the variance stored in the
running estimate is the unbiased one (divide by $N - 1$).
"""
from __future__ import annotations


import numpy as np

from .activations import lookup
from .autodiff import Tensor, as_float_array, defvjp, primitive
from .checks import finite_number, positive_int
from .layers import Linear, deep_mlp, scaled_initializer
from .module import Module

__all__ = ["batch_norm", "batch_statistics", "BatchNorm", "BNMLP", "bn_mlp", "recompute_statistics",
           "layer_norm", "LayerNorm"]


def batch_statistics(x, eps=1e-5):
    r"""Per column of a batch: $\mu$, the biased variance $v$ (divide by $N$), $1/\sigma$ and $\hat x$.

    $\sigma = \sqrt{v + \epsilon}$ and $\hat x = (x - \mu)/\sigma$, as in the forward pass.
    """
    data = as_float_array(x, "batch_statistics")
    mu = data.mean(axis=0)
    centred = data - mu
    var = np.mean(centred * centred, axis=0)
    inv_sigma = 1.0 / np.sqrt(var + eps)
    return mu, var, inv_sigma, centred * inv_sigma


def batch_norm(x, gamma, beta, eps=1e-5):
    r"""$y = \gamma \hat x + \beta$ with $\hat x = (x - \mu)/\sigma$ standardized over the batch (axis 0).

    The batch statistics are computed once here and handed to the primitive, whose
    VJPs reuse them (see :func:`_batch_norm_vjp_x` for the three-term backward pass).
    """
    _, _, inv_sigma, x_hat = batch_statistics(x, eps)
    return _batch_norm(x, gamma, beta, x_hat, inv_sigma)


@primitive
def _batch_norm(x, gamma, beta, x_hat, inv_sigma):
    return gamma * x_hat + beta


def _batch_norm_vjp_x(g, y, x, gamma, beta, x_hat, inv_sigma):
    # dL/dx = gamma / (N sigma) * (N g - sum_n g_n - x_hat * sum_n g_n x_hat_n)   (eq. ch5-eq-backward)
    n = x.shape[0]
    return (gamma * inv_sigma / n) * (n * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))


def _batch_norm_vjp_gamma(g, y, x, gamma, beta, x_hat, inv_sigma):
    return (g * x_hat).sum(axis=0)                      # dL/dgamma = sum_n g_n x_hat_n


def _batch_norm_vjp_beta(g, y, x, gamma, beta, x_hat, inv_sigma):
    return g.sum(axis=0)                                # dL/dbeta = sum_n g_n


# x_hat and inv_sigma are computed from x and handed in as plain arrays (never Tensors),
# so they need no VJP: the one for x already accounts for how mu and sigma depend on x.
defvjp(_batch_norm, _batch_norm_vjp_x, _batch_norm_vjp_gamma, _batch_norm_vjp_beta)


class BatchNorm(Module):
    r"""Batch normalization of inputs of shape (N, ``num_features``).

    ``gamma`` (ones) and ``beta`` (zeros) are learnable Tensors. In training mode
    (the default, see :meth:`~lessonlib.module.Module.train`) the batch's own mean
    and biased variance normalize it, and the running estimates move towards the
    batch statistics: ``running = (1 - momentum) * running + momentum * batch``,
    with the *unbiased* batch variance in ``running_var``. In evaluation mode
    (:meth:`~lessonlib.module.Module.eval`) ``running_mean`` and ``running_var``
    normalize instead, so each example's output no longer depends on the others.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.num_features = positive_int("BatchNorm", "num_features", num_features)
        self.eps = finite_number("BatchNorm", "eps", eps, low=0, low_open=True)
        self.momentum = finite_number("BatchNorm", "momentum", momentum, low=0, high=1)
        self.gamma = Tensor(np.ones(self.num_features), requires_grad=True)
        self.beta = Tensor(np.zeros(self.num_features), requires_grad=True)
        self.running_mean = np.zeros(self.num_features)
        self.running_var = np.ones(self.num_features)
        self.num_batches_tracked = 0

    def __repr__(self):
        return f"BatchNorm({self.num_features}, eps={self.eps:g}, momentum={self.momentum:g})"

    def _checked_shape(self, x):
        shape = np.shape(as_float_array(x, "BatchNorm"))
        if len(shape) != 2 or shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm({self.num_features}): expected an input of shape (N, {self.num_features}) "
                f"(a batch of N examples with {self.num_features} features), got shape {shape}")
        return shape

    def __call__(self, x):
        n = self._checked_shape(x)[0]
        if not self.training:
            inv_sigma = 1.0 / np.sqrt(self.running_var + self.eps)
            return (x - self.running_mean) * inv_sigma * self.gamma + self.beta
        if n < 2:
            raise ValueError(
                f"BatchNorm({self.num_features}): training mode needs at least 2 examples in the "
                f"batch to estimate a variance, got input shape {(n, self.num_features)}; to "
                "normalize single examples with the running statistics, call .eval() first")
        mu, var, inv_sigma, x_hat = batch_statistics(x, self.eps)
        m = self.momentum
        self.running_mean = (1.0 - m) * self.running_mean + m * mu
        self.running_var = (1.0 - m) * self.running_var + m * var * n / (n - 1)   # unbiased
        self.num_batches_tracked += 1
        return _batch_norm(x, self.gamma, self.beta, x_hat, inv_sigma)


class BNMLP(Module):
    r"""An MLP with batch normalization between each hidden linear layer and its activation.

    Hidden layer $l$ computes $h_l = \phi(\mathrm{BN}_l(h_{l-1} W_l))$; the last
    layer is linear, $h_L = h_{L-1} W_L + b_L$. Hidden layers have no bias: the
    $\beta$ of batch normalization takes its place (a bias added before the
    normalization would be subtracted again with the batch mean).

    ``layers`` are the :class:`~lessonlib.layers.Linear` layers and ``norms`` the
    :class:`BatchNorm` layers, so :func:`lessonlib.diagnostics.layer_profile` works.
    """

    def __init__(self, sizes, *, activation, init, rng, eps=1e-5, momentum=0.1):
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"BNMLP: sizes needs an input and an output width, got {sizes}")
        self.activation = lookup(activation, "BNMLP")
        pairs = list(zip(sizes[:-1], sizes[1:]))
        self.layers = [Linear(a, b, init=init, rng=rng, bias=(l == len(pairs)))
                       for l, (a, b) in enumerate(pairs, start=1)]
        self.norms = [BatchNorm(b, eps=eps, momentum=momentum) for _, b in pairs[:-1]]

    def __call__(self, x, hook=None):
        """The output for input ``x``; ``hook(l, z_l, h_l)`` sees every layer if given.

        ``z_l`` is the input of the activation, i.e. the output of batch
        normalization (so saturation is measured where the activation acts);
        ``h_l`` is the layer's output, and ``h_L = z_L`` for the last layer.
        """
        h = x
        for l, layer in enumerate(self.layers, start=1):
            z = layer(h)
            if l < len(self.layers):
                z = self.norms[l - 1](z)
                h = self.activation(z)
            else:
                h = z
            if hook is not None:
                hook(l, z, h)
        return h


def bn_mlp(n_in, width, depth, n_out, *, activation, init, rng, bn=True, gain=1.0):
    """``depth`` hidden layers of ``width`` units, with batch normalization if ``bn``
    (a :class:`BNMLP`; with ``bn=False`` the plain :func:`~lessonlib.layers.deep_mlp`)."""
    if not bn:
        return deep_mlp(n_in, width, depth, n_out, activation=activation, init=init, rng=rng, gain=gain)
    depth, width = positive_int("bn_mlp", "depth", depth), positive_int("bn_mlp", "width", width)
    return BNMLP([n_in] + [width] * depth + [n_out], activation=activation,
                 init=scaled_initializer(init, gain, "bn_mlp"), rng=rng)


def recompute_statistics(model, X):
    """Set every BatchNorm's running statistics to those of the batch ``X`` under the current weights.

    One forward pass in training mode with momentum 1 (momenta are restored and
    the model is left in evaluation mode). Running averages collected during
    training mix statistics of past weights; this replaces them.
    """
    norms = getattr(model, "norms", [])
    momenta = [bn.momentum for bn in norms]
    model.train()
    try:
        for bn in norms:
            bn.momentum = 1.0
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            model(Tensor(X))
    finally:
        for bn, m in zip(norms, momenta):
            bn.momentum = m
        model.eval()
    return model


# --- layer normalization (chapter 8) ------------------------------------------------------
def layer_norm(x, gamma, beta, eps=1e-5):
    r"""$y = \gamma \hat x + \beta$ with $\hat x$ standardized over the LAST axis (the features).

    Each example (each token) is normalized on its own: the statistics are the mean and
    biased variance of its own features, so nothing depends on the batch. The backward
    pass is chapter 5's three-term form over the feature axis instead of the batch axis.
    """
    data = as_float_array(x, "layer_norm")
    mu = data.mean(axis=-1, keepdims=True)
    centred = data - mu
    inv_sigma = 1.0 / np.sqrt(np.mean(centred * centred, axis=-1, keepdims=True) + eps)
    return _layer_norm(x, gamma, beta, centred * inv_sigma, inv_sigma)


@primitive
def _layer_norm(x, gamma, beta, x_hat, inv_sigma):
    return gamma * x_hat + beta


def _layer_norm_vjp_x(g, y, x, gamma, beta, x_hat, inv_sigma):
    # dL/dx = 1 / (n sigma) * (n gh - sum_j gh_j - x_hat * sum_j gh_j x_hat_j),  gh = gamma * g
    n = x.shape[-1]
    gh = g * gamma
    return (inv_sigma / n) * (n * gh - gh.sum(axis=-1, keepdims=True)
                              - x_hat * (gh * x_hat).sum(axis=-1, keepdims=True))


def _layer_norm_vjp_gamma(g, y, x, gamma, beta, x_hat, inv_sigma):
    return (g * x_hat).reshape(-1, x.shape[-1]).sum(axis=0)     # summed over every example


def _layer_norm_vjp_beta(g, y, x, gamma, beta, x_hat, inv_sigma):
    return g.reshape(-1, x.shape[-1]).sum(axis=0)


defvjp(_layer_norm, _layer_norm_vjp_x, _layer_norm_vjp_gamma, _layer_norm_vjp_beta)


class LayerNorm(Module):
    r"""Layer normalization of inputs of shape (..., ``num_features``), e.g. (N, d) or (B, T, d).

    ``gamma`` (ones) and ``beta`` (zeros) are learnable. Unlike :class:`BatchNorm`
    it keeps no running statistics: training and evaluation mode compute exactly the
    same function, and one example's output never depends on the others.
    """

    def __init__(self, num_features, eps=1e-5):
        self.num_features = positive_int("LayerNorm", "num_features", num_features)
        self.eps = finite_number("LayerNorm", "eps", eps, low=0, low_open=True)
        self.gamma = Tensor(np.ones(self.num_features), requires_grad=True)
        self.beta = Tensor(np.zeros(self.num_features), requires_grad=True)

    def __repr__(self):
        return f"LayerNorm({self.num_features}, eps={self.eps:g})"

    def __call__(self, x):
        shape = np.shape(as_float_array(x, "LayerNorm"))
        if len(shape) < 1 or shape[-1] != self.num_features:
            raise ValueError(
                f"LayerNorm({self.num_features}): expected an input whose last axis has "
                f"{self.num_features} features, e.g. (N, {self.num_features}), got shape {shape}")
        return layer_norm(x, self.gamma, self.beta, self.eps)

"""Dense layers: :class:`Linear`, the multilayer perceptron :class:`MLP` and :func:`deep_mlp` (chapters 2-4)."""
from __future__ import annotations

import numpy as np

from . import init as initializers
from .activations import lookup
from .autodiff import Tensor
from .checks import one_of, positive_int
from .module import Module

__all__ = ["Linear", "MLP", "deep_mlp", "scaled_initializer", "center_biases"]


def _initializer(value, where="Linear"):
    value = one_of(where, "initializer", value, initializers.__all__, or_function=True)
    return getattr(initializers, value) if isinstance(value, str) else value


def scaled_initializer(init, gain=1.0, where="scaled_initializer"):
    """The initializer ``init`` (a name or a function) with its weights multiplied by ``gain``."""
    make = _initializer(init, where)
    return lambda fan_in, fan_out, *, rng: make(fan_in, fan_out, rng=rng, gain=gain)


class Linear(Module):
    r"""$h \mapsto h W + b$ with ``W`` of shape (fan_in, fan_out) and ``b`` of shape (fan_out,)."""

    def __init__(self, fan_in, fan_out, *, init, rng, bias=True):
        make = _initializer(init)
        self.W = Tensor(make(fan_in, fan_out, rng=rng), requires_grad=True)
        self.b = Tensor(np.zeros(fan_out), requires_grad=True) if bias else None

    def __call__(self, h):
        z = h @ self.W
        return z if self.b is None else z + self.b


class MLP(Module):
    """Linear layers of the given ``sizes`` with ``activation`` after all but the last."""

    def __init__(self, sizes, *, activation, init, rng):
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs an input and an output width, got {sizes}")
        self.activation = lookup(activation, "MLP")
        self.layers = [Linear(a, b, init=init, rng=rng) for a, b in zip(sizes[:-1], sizes[1:])]

    def __call__(self, x, hook=None):
        """The output for input ``x``; ``hook(l, z_l, h_l)`` sees every layer if given.

        ``z_l`` is layer ``l``'s pre-activation and ``h_l`` its output
        (``h_L = z_L`` for the last layer, which has no activation).
        """
        h = x
        for l, layer in enumerate(self.layers, start=1):
            z = layer(h)
            h = self.activation(z) if l < len(self.layers) else z
            if hook is not None:
                hook(l, z, h)
        return h


def deep_mlp(n_in, width, depth, n_out, *, activation, init, rng, gain=1.0):
    """An MLP with ``depth`` hidden layers of ``width`` units; weights scaled by ``gain``."""
    depth, width = positive_int("deep_mlp", "depth", depth), positive_int("deep_mlp", "width", width)
    return MLP([n_in] + [width] * depth + [n_out], activation=activation,
               init=scaled_initializer(init, gain, "deep_mlp"), rng=rng)


def center_biases(model):
    r"""Set $b_l = -\tfrac12 \mathbf 1^\top W_l$ for every layer after the first; returns the model.

    A sigmoid output $h$ has mean about 1/2; with these biases layer $l$ computes
    $(h_{l-1} - \tfrac12) W_l$, so its pre-activations are centred at 0 where the
    slope is largest (chapter 2). (With $W_l = 4V_l$ the sigmoid layer is then a tanh
    layer with weights $V_l$ in disguise: $\sigma(x) = (1 + \tanh(x/2))/2$.)
    """
    for layer in model.layers[1:]:
        layer.b.data[...] = -0.5 * layer.W.data.sum(axis=0)
    return model

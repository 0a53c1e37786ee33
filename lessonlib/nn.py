"""Layers and models built from lessonlib ops (``nn.SGD`` is :class:`lessonlib.optim.SGD`)."""
from __future__ import annotations

import numpy as np

from . import activations, ops
from . import init as initializers
from .autodiff import Tensor
from .module import Module
from .optim import SGD  # noqa: F401  (SGD lives with Adam in optim; nn.SGD still works)

__all__ = ["Module", "Linear", "MLP", "SGD", "ACTIVATIONS"]

#: Activation functions an :class:`MLP` accepts by name.
ACTIVATIONS = {
    "sigmoid": ops.sigmoid,
    "tanh": ops.tanh,
    "relu": ops.relu,
    "leaky_relu": ops.leaky_relu,
    "elu": activations.elu,
    "gelu": activations.gelu,
    "identity": lambda h: h,
}


def _lookup(kind, value, table):
    if callable(value):
        return value
    if value not in table:
        raise ValueError(f"unknown {kind} {value!r}; choose one of {sorted(table)} or pass a function")
    return table[value]


class Linear(Module):
    r"""$h \mapsto h W + b$ with ``W`` of shape (fan_in, fan_out) and ``b`` of shape (fan_out,)."""

    def __init__(self, fan_in, fan_out, *, init, rng, bias=True):
        make = _lookup("initializer", init, {n: getattr(initializers, n) for n in initializers.__all__})
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
        self.activation = _lookup("activation", activation, ACTIVATIONS)
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


# Layers that live in modules of their own (chapters 5 and 7), reachable as
# lessonlib.nn.BatchNorm etc. Looked up on first use, so that those modules
# can import Module without an import cycle.
_ELSEWHERE = {"BatchNorm": "normalization", "RNNCell": "recurrent", "LSTMCell": "recurrent",
              "ResidualBlock": "residual", "ResidualMLP": "residual"}


def __getattr__(name):
    if name in _ELSEWHERE:
        import importlib
        return getattr(importlib.import_module(f"lessonlib.{_ELSEWHERE[name]}"), name)
    raise AttributeError(f"module 'lessonlib.nn' has no attribute {name!r}")

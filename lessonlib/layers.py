"""Dense layers: :class:`Linear` and the multilayer perceptron :class:`MLP` (chapters 2-4)."""
from __future__ import annotations

import numpy as np

from . import init as initializers
from .activations import lookup
from .autodiff import Tensor
from .module import Module

__all__ = ["Linear", "MLP"]


def _initializer(value):
    if callable(value):
        return value
    if not isinstance(value, str) or value not in initializers.__all__:
        raise ValueError(f"unknown initializer {value!r}; choose one of "
                         f"{sorted(initializers.__all__)} or pass a function")
    return getattr(initializers, value)


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

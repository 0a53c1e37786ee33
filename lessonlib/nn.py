"""Layers, models and the plain SGD optimizer, built from lessonlib ops."""
from __future__ import annotations

import numbers

import numpy as np

from . import init as initializers
from . import ops
from .autodiff import Tensor

__all__ = ["Module", "Linear", "MLP", "SGD", "ACTIVATIONS"]

#: Activation functions an :class:`MLP` accepts by name.
ACTIVATIONS = {
    "sigmoid": ops.sigmoid,
    "tanh": ops.tanh,
    "relu": ops.relu,
    "leaky_relu": ops.leaky_relu,
    "identity": lambda h: h,
}


def _lookup(kind, value, table):
    if callable(value):
        return value
    if value not in table:
        raise ValueError(f"unknown {kind} {value!r}; choose one of {sorted(table)} or pass a function")
    return table[value]


class Module:
    """Something with trainable tensors: ``parameters()`` finds them in the attributes."""

    def parameters(self) -> list:
        """Every Tensor with ``requires_grad`` held by this module or its sub-modules."""
        found = []
        for value in vars(self).values():
            items = value if isinstance(value, (list, tuple)) else [value]
            for item in items:
                if isinstance(item, Module):
                    found.extend(item.parameters())
                elif isinstance(item, Tensor) and item.requires_grad:
                    found.append(item)
        return found

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()


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

    def __call__(self, x):
        h = x
        for layer in self.layers[:-1]:
            h = self.activation(layer(h))
        return self.layers[-1](h)


class SGD:
    r"""Plain gradient descent: $\theta \leftarrow \theta - \eta\, \partial L/\partial \theta$."""

    def __init__(self, params, lr):
        self.params = list(params)
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not np.isfinite(lr) or lr <= 0:
            raise ValueError(f"SGD: the learning rate must be a finite number > 0, got {lr!r}")
        self.lr = float(lr)

    def step(self) -> None:
        for p in self.params:
            if p.grad is not None:
                p.data -= self.lr * p.grad

    def zero_grad(self) -> None:
        for p in self.params:
            p.zero_grad()

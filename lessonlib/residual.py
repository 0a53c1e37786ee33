r"""Residual connections (chapter 6): blocks $h \leftarrow h + s\,F(h)$.

A residual block adds a small MLP *branch* $F$ to an identity *shortcut*:

.. math::

    h_b = h_{b-1} + s\,F_b(h_{b-1}), \qquad
    \frac{\partial h_b}{\partial h_{b-1}} = I + s\,\frac{\partial F_b}{\partial h_{b-1}}

(row convention, ``h @ W``, as in the rest of lessonlib). With ``branch_depth=2``
the branch is ``Linear -> activation -> Linear``,
$F(h) = \phi(h W_1 + b_1)\, W_2 + b_2$; with ``branch_depth=1`` it is the single
linear map $h W_1 + b_1$; deeper branches insert more ``activation -> Linear``
pairs. The branch always ends with a linear layer, so ``zero_last=True``
(its weight set to 0; biases start at 0 anyway) makes every block exactly the
identity at initialization.

:class:`ResidualMLP` = input projection -> ``n_blocks`` blocks -> output
projection, all linear outside the branches. It follows the ``hook(l, z, h)``
protocol of :class:`lessonlib.nn.MLP`, so that
:func:`lessonlib.diagnostics.layer_profile` works on it. What is recorded:

* ``l = 1``, the input projection: $z_1 = h_1 = x W_{in} + b_{in}$ (no activation),
  and ``layers[0].W`` is $W_{in}$;
* ``l = 2 .. B+1``, block ``l - 1``: $z_l$ is the branch's first pre-activation
  $h_{l-1} W_1 + b_1$, $h_l = h_{l-1} + s F(h_{l-1})$ is the stream after the block,
  and ``layers[l-1].W`` is the branch's first weight $W_1$;
* ``l = B+2``, the output projection: $z = h$ = the output, and ``layers[-1].W`` is
  $W_{out}$.

So for ``1 <= l <= B+1``, ``profile["grad_h_norm"][l]`` is $\|\partial L/\partial h\|$ on
the residual stream after ``l - 1`` blocks (index 0 is the network input $x$), and for
``2 <= l <= B+1`` the statistics of ``z`` (``z_std``, ``dead``) describe the first
layer of block ``l - 1``'s branch.
"""
from __future__ import annotations

import numbers

import numpy as np

from .activations import lookup
from .layers import Linear
from .module import Module

__all__ = ["ResidualBlock", "ResidualMLP"]


def _activation(value):
    return lookup(value, "residual")


def _check_positive_int(name, label, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name}: {label} must be a positive integer, got {value!r}")


class ResidualBlock(Module):
    r"""$h \mapsto h + s\,F(h)$ with a branch $F$ of ``branch_depth`` linear layers.

    ``W`` (the branch's first weight) and ``last`` (its final Linear) are exposed
    for diagnostics and for zero-initialization.
    """

    def __init__(self, width, *, activation, init, rng, branch_scale=1.0, zero_last=False,
                 branch_depth=2):
        _check_positive_int("ResidualBlock", "width", width)
        _check_positive_int("ResidualBlock", "branch_depth", branch_depth)
        if isinstance(branch_scale, (bool, np.bool_)) or not isinstance(branch_scale, numbers.Real) \
                or not np.isfinite(branch_scale):
            raise ValueError(f"ResidualBlock: branch_scale must be a finite number, got {branch_scale!r}")
        self.activation = _activation(activation)
        self.branch = [Linear(width, width, init=init, rng=rng) for _ in range(branch_depth)]
        self.branch_scale = float(branch_scale)
        if zero_last:
            self.branch[-1].W.data[...] = 0.0

    @property
    def W(self):
        """The first weight of the branch (the one whose pre-activation the hook sees)."""
        return self.branch[0].W

    @property
    def last(self):
        """The branch's final Linear layer."""
        return self.branch[-1]

    def forward(self, h):
        """``(h + s F(h), z)`` where ``z`` is the branch's first pre-activation."""
        z = self.branch[0](h)
        f = z
        for layer in self.branch[1:]:
            f = layer(self.activation(f))
        if self.branch_scale != 1.0:
            f = f * self.branch_scale
        return h + f, z

    def __call__(self, h):
        return self.forward(h)[0]


class ResidualMLP(Module):
    r"""Input projection, ``n_blocks`` residual blocks of ``width`` units, output projection.

    ``branch_scale`` multiplies every branch ($s$ above; ``1/np.sqrt(n_blocks)``
    is the usual depth-aware choice), and ``zero_last=True`` starts every branch's
    last weight at zero. ``layers`` lists the input projection, the blocks and the
    output projection, one entry per hook call (see the module docstring).
    """

    def __init__(self, n_in, width, n_blocks, n_out, *, activation="relu", init="he_normal", rng,
                 branch_scale=1.0, zero_last=False, branch_depth=2):
        for label, value in (("n_in", n_in), ("width", width), ("n_out", n_out)):
            _check_positive_int("ResidualMLP", label, value)
        if isinstance(n_blocks, (bool, np.bool_)) or not isinstance(n_blocks, numbers.Integral) \
                or n_blocks < 0:
            raise ValueError(f"ResidualMLP: n_blocks must be an integer >= 0, got {n_blocks!r}")
        self.activation = _activation(activation)
        inp = Linear(n_in, width, init=init, rng=rng)
        blocks = [ResidualBlock(width, activation=activation, init=init, rng=rng,
                                branch_scale=branch_scale, zero_last=zero_last,
                                branch_depth=branch_depth) for _ in range(n_blocks)]
        out = Linear(width, n_out, init=init, rng=rng)
        self.layers = [inp, *blocks, out]     # the only place they are stored: parameters() counts each once

    inp = property(lambda self: self.layers[0], doc="The input projection (a Linear).")
    out = property(lambda self: self.layers[-1], doc="The output projection (a Linear).")
    blocks = property(lambda self: self.layers[1:-1], doc="The residual blocks, input side first.")

    def __call__(self, x, hook=None):
        """The output for input ``x``; ``hook(l, z_l, h_l)`` sees the projections and every block."""
        h = self.inp(x)
        if hook is not None:
            hook(1, h, h)
        for l, block in enumerate(self.blocks, start=2):
            h, z = block.forward(h)
            if hook is not None:
                hook(l, z, h)
        out = self.out(h)
        if hook is not None:
            hook(len(self.layers), out, out)
        return out

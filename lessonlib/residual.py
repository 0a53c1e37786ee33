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

import numpy as np

from .activations import lookup
from .checks import finite_number, one_of, positive_int
from .layers import Linear, deep_mlp
from .normalization import BatchNorm
from .module import Module

__all__ = ["ResidualBlock", "ResidualMLP", "ARCHS", "branch_scale_for", "residual_net", "theory_growth",
           "BNResidualBlock", "BNResidualMLP"]


def _activation(value):
    return lookup(value, "residual")


class ResidualBlock(Module):
    r"""$h \mapsto h + s\,F(h)$ with a branch $F$ of ``branch_depth`` linear layers.

    ``W`` (the branch's first weight) and ``last`` (its final Linear) are exposed
    for diagnostics and for zero-initialization.
    """

    def __init__(self, width, *, activation, init, rng, branch_scale=1.0, zero_last=False,
                 branch_depth=2):
        positive_int("ResidualBlock", "width", width)
        positive_int("ResidualBlock", "branch_depth", branch_depth)
        finite_number("ResidualBlock", "branch_scale", branch_scale)
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
            positive_int("ResidualMLP", label, value)
        positive_int("ResidualMLP", "n_blocks", n_blocks, minimum=0)
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

# --- the architectures of chapter 6, by name --------------------------------------------------
#: ``plain``: :func:`~lessonlib.layers.deep_mlp` with ``2 B + 1`` hidden layers, the same
#: ``2 B + 2`` weight layers as ``B`` blocks without shortcuts; ``residual``: :class:`ResidualMLP`
#: with branch scale $s = 1$; ``scaled``: $s = 1/\sqrt{B}$; ``zero_last``: $s = 1$ and every
#: branch's last weight initialized to 0. For ReLU branches with He initialization the
#: mean square of the stream, and the squared gradient norm, grow by $(1 + 2 s^2)$ per block.
ARCHS = ("plain", "residual", "scaled", "zero_last")


def branch_scale_for(arch, n_blocks, gain=1.0) -> float:
    r"""The branch scale $s$ of ``arch`` with ``n_blocks`` blocks, times ``gain`` (nan for ``plain``)."""
    one_of("residual", "arch", arch, ARCHS)
    if arch == "plain":
        return float("nan")
    return gain / np.sqrt(n_blocks) if arch == "scaled" else gain * 1.0


def residual_net(n_in, width, n_blocks, n_out, *, arch, activation="relu", init="he_normal", rng,
                 gain=1.0):
    """A network of ``arch`` (see the module docstring) with ``n_blocks`` blocks' worth of layers.

    ``n_blocks`` always counts blocks: a residual arch has ``2 n_blocks + 2`` weight
    layers, and ``plain`` the same number without shortcuts (``2 n_blocks + 1`` hidden
    layers). For a plain network with a given number of hidden layers, use
    :func:`~lessonlib.layers.deep_mlp`. ``gain`` multiplies the branch
    scale of the residual archs (it is ignored for ``plain``).
    """
    one_of("residual", "arch", arch, ARCHS)
    if arch == "plain":
        return deep_mlp(n_in, width, 2 * n_blocks + 1, n_out, activation=activation, init=init, rng=rng)
    return ResidualMLP(n_in, width, n_blocks, n_out, activation=activation, init=init, rng=rng,
                       branch_scale=branch_scale_for(arch, max(n_blocks, 1), gain),
                       zero_last=arch == "zero_last")


def theory_growth(arch, n_blocks, b, gain=1.0):
    r"""Predicted growth factor of the mean square over ``b`` blocks, ReLU + He branches.

    $(1 + 2 s^2)^b$ for a residual stream (1 with a zero last layer), and 1 for a
    plain He-initialized ReLU network, whose mean square is preserved in
    expectation. The same factor applies to the squared gradient norm.
    """
    one_of("residual", "arch", arch, ARCHS)
    b = np.asarray(b, dtype=float)
    if arch in ("plain", "zero_last"):
        return np.ones_like(b)
    s = branch_scale_for(arch, n_blocks, gain)
    with np.errstate(over="ignore"):
        return (1.0 + 2.0 * s * s) ** b


# --- batch normalization inside the branch (chapter 6) ----------------------------------------
class BNResidualBlock(Module):
    r"""$h \mapsto h P + F(h)$, with batch normalization inside the branch (chapter 6).

    The branch is the "pre-activation" block of He et al.'s identity-mapping paper,
    $F(h) = \mathrm{ReLU}(\mathrm{BN}_2(\mathrm{ReLU}(\mathrm{BN}_1(h))\, W_1))\, W_2$,
    with He-initialized $W_1$ ($n \times m$) and $W_2$ ($m \times m$). The shortcut is the
    identity when ``width_in == width_out`` (``P`` is None); otherwise a linear
    projection $P$ of shape (``width_in``, ``width_out``) drawn by ``shortcut_init``
    (He et al.'s "option B" shortcut).
    """

    def __init__(self, width_in, width_out=None, *, rng, shortcut_init="orthogonal"):
        width_out = width_in if width_out is None else width_out
        self.norm1, self.norm2 = BatchNorm(width_in), BatchNorm(width_out)
        self.branch = [Linear(width_in, width_out, init="he_normal", rng=rng, bias=False),
                       Linear(width_out, width_out, init="he_normal", rng=rng, bias=False)]
        self.P = None if width_in == width_out else Linear(width_in, width_out, init=shortcut_init,
                                                              rng=rng, bias=False)

    def __call__(self, h):
        f = self.branch[0](lookup("relu")(self.norm1(h)))
        f = self.branch[1](lookup("relu")(self.norm2(f)))
        return (h if self.P is None else self.P(h)) + f


class BNResidualMLP(Module):
    """Input projection, ``n_blocks`` :class:`BNResidualBlock` of ``width`` units, output projection.

    ``hook(b, h)`` (if given) sees the stream after the input projection (``b = 0``)
    and after every block ``b = 1 .. n_blocks``.
    """

    def __init__(self, n_in, width, n_blocks, n_out, *, rng):
        self.inp = Linear(n_in, width, init="lecun_normal", rng=rng)
        self.blocks = [BNResidualBlock(width, rng=rng) for _ in range(n_blocks)]
        self.out = Linear(width, n_out, init="lecun_normal", rng=rng)

    def __call__(self, x, hook=None):
        h = self.inp(x)
        if hook is not None:
            hook(0, h)
        for b, block in enumerate(self.blocks, start=1):
            h = block(h)
            if hook is not None:
                hook(b, h)
        return self.out(h)

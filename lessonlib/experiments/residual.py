r"""Residual networks for chapter 6 and its widget: one builder, :func:`residual_net`, and
the widget's runner :func:`run_stream` (signal and gradient along the residual stream).
The depth sweep and the training comparisons are loops written out in the chapter.

Architectures are named by ``arch``:

=============  =====================================================================
``plain``      :func:`~lessonlib.experiments.profiles.deep_mlp` with ``2 B + 1`` hidden
               layers: the same ``2 B + 2`` weight layers as ``B`` blocks, no shortcuts
``residual``   :class:`~lessonlib.residual.ResidualMLP`, branch scale $s = 1$
``scaled``     the same with $s = 1/\sqrt{B}$
``zero_last``  the same with $s = 1$ and every branch's last weight initialized to 0
=============  =====================================================================

For ReLU branches with He initialization the chapter derives the growth of the
mean square of the stream, and of the squared gradient norm, over ``b`` blocks:
$(1 + 2 s^2)^b$ (:func:`theory_growth`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..diagnostics import layer_profile
from .. import nn
from ..module import Module
from ..normalization import BatchNorm
from ..residual import ResidualMLP
from .profiles import deep_mlp

__all__ = ["ARCHS", "branch_scale_for", "residual_net", "theory_growth",
           "StreamConfig", "StreamResult", "run_stream", "BNResidualBlock", "BNResidualMLP"]

ARCHS = ("plain", "residual", "scaled", "zero_last")


def _check_arch(arch):
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r}; choose one of {ARCHS}")


def branch_scale_for(arch, n_blocks, gain=1.0) -> float:
    r"""The branch scale $s$ of ``arch`` with ``n_blocks`` blocks, times ``gain`` (nan for ``plain``)."""
    _check_arch(arch)
    if arch == "plain":
        return float("nan")
    return gain / np.sqrt(n_blocks) if arch == "scaled" else gain * 1.0


def residual_net(n_in, width, n_blocks, n_out, *, arch, activation="relu", init="he_normal", rng,
                 gain=1.0):
    """A network of ``arch`` (see the module docstring) with ``n_blocks`` blocks' worth of layers.

    ``n_blocks`` always counts blocks: a residual arch has ``2 n_blocks + 2`` weight
    layers, and ``plain`` the same number without shortcuts (``2 n_blocks + 1`` hidden
    layers). For a plain network with a given number of hidden layers, use
    :func:`~lessonlib.experiments.profiles.deep_mlp`. ``gain`` multiplies the branch
    scale of the residual archs (it is ignored for ``plain``).
    """
    _check_arch(arch)
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
    _check_arch(arch)
    b = np.asarray(b, dtype=float)
    if arch in ("plain", "zero_last"):
        return np.ones_like(b)
    s = branch_scale_for(arch, n_blocks, gain)
    with np.errstate(over="ignore"):
        return (1.0 + 2.0 * s * s) ** b


@dataclass(frozen=True)
class StreamConfig:
    """One forward and backward pass through a fresh network, read along its main path.

    The input has ``width`` standard-normal features, and the loss is
    $L = \\frac1N \\sum_{n,i} y_{ni} G_{ni}$ with a fixed standard-normal $G$, as in
    :class:`~lessonlib.experiments.profiles.ProfileConfig`.
    """

    arch: str = "residual"
    n_blocks: int = 16
    activation: str = "relu"
    init: str = "he_normal"
    width: int = 64
    batch: int = 64
    gain: float = 1.0           # multiplies the branch scale s (residual archs only)
    seed: int = 0


@dataclass(frozen=True)
class StreamResult:
    """Mean squares along the main path, indexed by ``layers`` = weight layers from the input.

    For a residual net the path is the stream after the input projection
    (``layers`` = 1) and after each block (1 + 2b); for a plain net it is every
    hidden layer (1 .. 2B+1). ``theory_*`` is nan unless the activation is ReLU
    with He initialization.
    """

    config: StreamConfig
    layers: np.ndarray          # weight layers between the input and this point
    h_ms: np.ndarray            # mean square of h over batch and units
    grad_ms: np.ndarray         # mean square of dL/dh
    theory_h: np.ndarray        # predicted h_ms / h_ms[0]
    theory_grad: np.ndarray     # predicted grad_ms / grad_ms[-1]
    message: str = ""

    @property
    def h_growth(self) -> float:
        """Mean square at the end of the path over that at its start."""
        return float(self.h_ms[-1] / self.h_ms[0])

    @property
    def grad_growth(self) -> float:
        r"""$\|\partial L/\partial h_{start}\| / \|\partial L/\partial h_{end}\|$ (norms, not squares)."""
        return float(np.sqrt(self.grad_ms[0] / self.grad_ms[-1]))


def run_stream(config: StreamConfig) -> StreamResult:
    """Signal and gradient along the main path of one freshly initialized network."""
    B = int(config.n_blocks)
    if B < 1:
        raise ValueError(f"StreamConfig: n_blocks must be at least 1, got {config.n_blocks}")
    rng = np.random.default_rng(config.seed)
    model = residual_net(config.width, config.width, B, config.width, arch=config.arch,
                         activation=config.activation, init=config.init, rng=rng, gain=config.gain)
    x = rng.standard_normal((config.batch, config.width))
    G = rng.standard_normal((config.batch, config.width))
    profile = layer_profile(model, x, lambda out: (out * G).sum() / config.batch)
    rms, grad_rms = profile["h_rms"], profile["grad_h_rms"]
    if config.arch == "plain":
        idx = np.arange(1, 2 * B + 2)           # hidden layers h_1 .. h_{2B+1}
        layers = idx.copy()
        blocks_done = (layers - 1) / 2.0
    else:
        idx = np.arange(1, B + 2)               # after the input projection, then after each block
        blocks_done = idx - 1.0
        layers = 1 + 2 * (idx - 1)
    with np.errstate(over="ignore", invalid="ignore"):
        h_ms, grad_ms = rms[idx] ** 2, grad_rms[idx] ** 2
    if config.activation == "relu" and config.init == "he_normal":
        theory_h = theory_growth(config.arch, B, blocks_done, config.gain)
        theory_grad = theory_growth(config.arch, B, B - blocks_done, config.gain)
    else:
        theory_h = theory_grad = np.full(len(idx), np.nan)
    finite = np.all(np.isfinite(h_ms)) and np.all(np.isfinite(grad_ms)) and np.isfinite(profile.loss)
    message = "" if finite else (
        "overflow: activations or gradients exceeded the float64 range (about 1.8e308) "
        f"with {B} blocks")
    return StreamResult(config=config, layers=layers, h_ms=h_ms, grad_ms=grad_ms,
                        theory_h=theory_h, theory_grad=theory_grad, message=message)


class BNResidualBlock(Module):
    r"""$h \mapsto h P + F(h)$, with batch normalization inside the branch (chapter 6).

    The branch is the "pre-activation" block of He et al.'s identity-mapping paper,
    $F(h) = \mathrm{ReLU}(\mathrm{BN}_2(\mathrm{ReLU}(\mathrm{BN}_1(h))\, W_1))\, W_2$,
    with He-initialized $W_1$ ($n \times m$) and $W_2$ ($m \times m$). The shortcut is the
    identity when ``width_in == width_out`` (``P`` is None); otherwise a linear
    projection $P$ of shape (``width_in``, ``width_out``) drawn by ``shortcut_init``
    (He et al.'s "option B" shortcut). Belongs with :mod:`lessonlib.residual` once a
    block there can hold a BatchNorm.
    """

    def __init__(self, width_in, width_out=None, *, rng, shortcut_init="orthogonal"):
        width_out = width_in if width_out is None else width_out
        self.norm1, self.norm2 = BatchNorm(width_in), BatchNorm(width_out)
        self.branch = [nn.Linear(width_in, width_out, init="he_normal", rng=rng, bias=False),
                       nn.Linear(width_out, width_out, init="he_normal", rng=rng, bias=False)]
        self.P = None if width_in == width_out else nn.Linear(width_in, width_out, init=shortcut_init,
                                                              rng=rng, bias=False)

    def __call__(self, h):
        f = self.branch[0](nn.ACTIVATIONS["relu"](self.norm1(h)))
        f = self.branch[1](nn.ACTIVATIONS["relu"](self.norm2(f)))
        return (h if self.P is None else self.P(h)) + f


class BNResidualMLP(Module):
    """Input projection, ``n_blocks`` :class:`BNResidualBlock` of ``width`` units, output projection.

    ``hook(b, h)`` (if given) sees the stream after the input projection (``b = 0``)
    and after every block ``b = 1 .. n_blocks``.
    """

    def __init__(self, n_in, width, n_blocks, n_out, *, rng):
        self.inp = nn.Linear(n_in, width, init="lecun_normal", rng=rng)
        self.blocks = [BNResidualBlock(width, rng=rng) for _ in range(n_blocks)]
        self.out = nn.Linear(width, n_out, init="lecun_normal", rng=rng)

    def __call__(self, x, hook=None):
        h = self.inp(x)
        if hook is not None:
            hook(0, h)
        for b, block in enumerate(self.blocks, start=1):
            h = block(h)
            if hook is not None:
                hook(b, h)
        return self.out(h)

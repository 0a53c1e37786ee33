r"""Experiments on residual networks (chapter 6): signal and gradient along the residual stream,
their growth with depth, and training plain vs residual networks.

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

from .. import data, losses
from ..autodiff import Tensor
from ..diagnostics import layer_profile
from ..residual import ResidualMLP
from .profiles import TrainResult, deep_mlp, train_loop

__all__ = ["ARCHS", "branch_scale_for", "residual_net", "theory_growth",
           "StreamConfig", "StreamResult", "run_stream",
           "DepthSweepConfig", "DepthSweepResult", "run_depth_sweep",
           "ResidualTrainConfig", "spirals_setup", "run_residual_training",
           "InitCheck", "run_init_check"]

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

    ``gain`` multiplies the branch scale of the residual archs (it is ignored for ``plain``).
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


@dataclass(frozen=True)
class DepthSweepConfig:
    """:func:`run_stream` for every architecture, number of blocks and seed."""

    activation: str = "relu"
    init: str = "he_normal"
    blocks: tuple = (2, 4, 8, 16, 32, 64)
    archs: tuple = ARCHS
    width: int = 64
    batch: int = 64
    seeds: tuple = (0, 1, 2)


@dataclass(frozen=True)
class DepthSweepResult:
    """``grad_growth[arch]`` and ``h_growth[arch]``: arrays of shape (len(blocks), len(seeds))."""

    config: DepthSweepConfig
    grad_growth: dict
    h_growth: dict

    @property
    def layers(self) -> np.ndarray:
        """Weight layers between the two measured points: 2 per block."""
        return 2 * np.asarray(self.config.blocks)

    def geomean(self, arch, which="grad") -> np.ndarray:
        """Geometric mean over seeds, one value per number of blocks."""
        table = self.grad_growth if which == "grad" else self.h_growth
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.exp(np.mean(np.log(table[arch]), axis=1))


def run_depth_sweep(config: DepthSweepConfig) -> DepthSweepResult:
    """Gradient-norm and mean-square growth across the blocks, against depth."""
    grad, h = {}, {}
    for arch in config.archs:
        _check_arch(arch)
        g_tab = np.empty((len(config.blocks), len(config.seeds)))
        h_tab = np.empty_like(g_tab)
        for i, B in enumerate(config.blocks):
            for j, seed in enumerate(config.seeds):
                r = run_stream(StreamConfig(arch=arch, n_blocks=B, activation=config.activation,
                                            init=config.init, width=config.width,
                                            batch=config.batch, seed=seed))
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    g_tab[i, j], h_tab[i, j] = r.grad_growth, r.h_growth
        grad[arch], h[arch] = g_tab, h_tab
    return DepthSweepResult(config=config, grad_growth=grad, h_growth=h)


@dataclass(frozen=True)
class ResidualTrainConfig:
    """Full-batch SGD on 3-class spirals (cross-entropy) with a plain or residual ReLU net.

    ``depth`` counts hidden layers for ``arch="plain"`` (``depth + 1`` weight
    layers) and blocks for the residual archs (``2 depth + 2`` weight layers).
    """

    arch: str = "scaled"
    depth: int = 12
    width: int = 16
    lr: float = 0.1
    steps: int = 200
    n: int = 150
    activation: str = "relu"
    init: str = "he_normal"
    seed: int = 0

    @property
    def weight_layers(self) -> int:
        return self.depth + 1 if self.arch == "plain" else 2 * self.depth + 2


def spirals_setup(config: ResidualTrainConfig):
    """``(model, X, y)``: the spirals data and the fresh network of a training run."""
    _check_arch(config.arch)
    rng = np.random.default_rng(config.seed)
    X, y = data.spirals(config.n // 3, 3, rng=rng)
    if config.arch == "plain":
        model = deep_mlp(2, config.width, config.depth, 3, activation=config.activation,
                         init=config.init, rng=rng)
    else:
        model = ResidualMLP(2, config.width, config.depth, 3, activation=config.activation,
                            init=config.init, rng=rng,
                            branch_scale=branch_scale_for(config.arch, max(config.depth, 1)),
                            zero_last=config.arch == "zero_last")
    return model, X, y


def run_residual_training(config: ResidualTrainConfig) -> TrainResult:
    """Train one network with :func:`~lessonlib.experiments.profiles.train_loop`; pure."""
    model, X, y = spirals_setup(config)
    return train_loop(model, X, y, loss_fn=losses.cross_entropy, lr=config.lr,
                      steps=config.steps, config=config)


@dataclass(frozen=True)
class InitCheck:
    r"""The network of a training run, before its first step.

    ``grad_first`` and ``grad_last`` are the Frobenius norms of the loss gradient
    with respect to the first and the last weight matrix. ``top_share`` is the
    fraction $\sigma_1^2 / \sum_i \sigma_i^2$ of the last hidden representation
    (a matrix with one row per input) carried by its largest singular value: 1 when
    every input is mapped onto the same line through the origin.
    """

    config: ResidualTrainConfig
    loss: float
    grad_first: float
    grad_last: float
    top_share: float

    @property
    def grad_ratio(self) -> float:
        """``grad_first / grad_last``."""
        return self.grad_first / self.grad_last


def run_init_check(config: ResidualTrainConfig) -> InitCheck:
    """Loss, gradient sizes and the spread of the representation at initialization."""
    model, X, y = spirals_setup(config)
    seen = []
    with np.errstate(over="ignore", invalid="ignore"):
        out = model(Tensor(X), hook=lambda l, z, h: seen.append(h.data))
        loss = losses.cross_entropy(out, y)
        loss.backward()
        first, last = model.layers[0].W.grad, model.layers[-1].W.grad
        sv = np.linalg.svd(seen[-2], compute_uv=False)      # the last hidden representation
        top = float(sv[0] ** 2 / np.sum(sv ** 2)) if np.any(sv) else float("nan")
    return InitCheck(config=config, loss=float(loss.item()), grad_first=float(np.linalg.norm(first)),
                     grad_last=float(np.linalg.norm(last)), top_share=top)

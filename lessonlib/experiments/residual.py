r"""The runner of chapter 6's widget: :func:`run_stream`, signal and gradient along the main
path of one fresh network of an architecture named in :data:`lessonlib.residual.ARCHS`.
The depth sweep and the training comparisons are loops written out in the chapter.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..diagnostics import layer_profile
from ..residual import residual_net, theory_growth

__all__ = ["StreamConfig", "StreamResult", "run_stream"]


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

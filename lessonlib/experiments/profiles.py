r"""The per-layer profile of a fresh deep MLP (chapters 2-4 and their widgets).

Every runner is a pure function ``run_*(config) -> result``: the config is a
frozen dataclass holding every setting including the seed, and the result is
a frozen dataclass holding the numbers (and a ``message`` when something
overflowed), so that a chapter, a widget and a test all call the same code.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..diagnostics import Profile, layer_profile
from ..layers import deep_mlp

__all__ = ["ProfileConfig", "ProfileResult", "run_profile"]


@dataclass(frozen=True)
class ProfileConfig:
    """One forward and backward pass through a freshly initialized deep MLP.

    The input has ``width`` standard-normal features, the output ``width``
    units, and the loss is $L = \\frac1N \\sum_{n,i} h_{L,ni} G_{ni}$ with a
    fixed standard-normal $G$: every entry of $\\partial L/\\partial h_L$ then
    has the same size, $1/N$, so the profile shows what the layers do to it.
    """

    activation: str | Callable = "tanh"     # a registered name, or an op
    init: str = "xavier_normal"
    depth: int = 10
    width: int = 64
    gain: float = 1.0
    batch: int = 128
    seed: int = 0


@dataclass(frozen=True)
class ProfileResult:
    """What :func:`run_profile` measured: ``profile``, a :class:`lessonlib.diagnostics.Profile`
    with one entry per layer (input, ``depth`` hidden layers, output: ``depth + 2``), read as
    ``result["grad_h_rms"]`` etc.; ``message`` is non-empty when a value overflowed."""

    config: ProfileConfig
    profile: Profile
    message: str = ""          # non-empty when a value overflowed or became nan

    def __getitem__(self, name):
        return self.profile[name]


def run_profile(config: ProfileConfig) -> ProfileResult:
    """Per-layer activation and gradient statistics of one deep MLP at initialization."""
    rng = np.random.default_rng(config.seed)
    model = deep_mlp(config.width, config.width, config.depth, config.width,
                     activation=config.activation, init=config.init, rng=rng, gain=config.gain)
    x = rng.standard_normal((config.batch, config.width))
    G = rng.standard_normal((config.batch, config.width))
    profile = layer_profile(model, x, lambda out: (out * G).sum() / config.batch)
    message = "" if profile.finite else (
        "overflow: some activations or gradients exceeded the float64 range "
        f"(about 1.8e308) with gain {config.gain} and depth {config.depth}")
    return ProfileResult(config=config, profile=profile, message=message)

r"""Variance propagation at initialization (chapter 3): the widget's runner.

:func:`run_variance` measures, on real networks and several seeds, the per-layer sizes
that :func:`lessonlib.theory.mean_field` predicts (the mean-square maps of chapter 3).
The chapter's other experiments (one non-square layer, the spread over seeds, the
singular values of a deep product, the learning-rate grid) are loops in the chapter.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..theory import MeanField, mean_field
from .profiles import ProfileConfig, run_profile

__all__ = ["VarianceConfig", "VarianceResult", "run_variance"]


@dataclass(frozen=True)
class VarianceConfig:
    """Fresh deep MLPs (as in :class:`~lessonlib.experiments.profiles.ProfileConfig`), one per seed, measured at initialization."""

    activation: str = "relu"
    init: str = "he_normal"
    depth: int = 50
    width: int = 256
    gain: float = 1.0
    batch: int = 32
    seeds: tuple = (0, 1, 2)


@dataclass(frozen=True)
class VarianceResult:
    """Per-layer measurements, one row per seed, with the mean-field prediction.

    ``grad_rms`` is the RMS of $\\partial L/\\partial h_l$ divided by its value at the
    output layer, so that it starts at 1 like ``theory.grad_rms``.
    """

    config: VarianceConfig
    layer: np.ndarray
    h_rms: np.ndarray          # (seeds, L+2)
    grad_rms: np.ndarray       # (seeds, L+2), relative to the output layer
    grad_W_norm: np.ndarray    # (seeds, L+2), ||dL/dW_l|| (nan at l = 0)
    theory: MeanField | None     # None when ``config.init`` is a function, not a name
    message: str = ""


def run_variance(config: VarianceConfig) -> VarianceResult:
    """Measure activation and gradient RMS per layer for each seed (see :func:`~lessonlib.experiments.profiles.run_profile`)."""
    if len(config.seeds) < 1:
        raise ValueError("VarianceConfig: give at least one seed")
    rows, messages = [], []
    for seed in config.seeds:
        result = run_profile(ProfileConfig(
            activation=config.activation, init=config.init, depth=config.depth, width=config.width,
            gain=config.gain, batch=config.batch, seed=seed))
        rows.append((result["h_rms"], result["grad_h_rms"], result["grad_W_norm"]))
        if result.message:
            messages.append(result.message)
    h, g, gw = (np.array(x) for x in zip(*rows))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        grad_rel = g / g[:, -1:]
    theory = (mean_field(config.activation, config.init, config.depth, config.width, config.gain)
              if isinstance(config.init, str) else None)      # no prediction for a custom initializer
    return VarianceResult(config=config, layer=np.arange(config.depth + 2), h_rms=h, grad_rms=grad_rel,
                          grad_W_norm=gw, theory=theory, message=messages[0] if messages else "")

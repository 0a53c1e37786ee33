r"""Experiments on batch-normalized MLPs (chapter 5).

* :func:`predict`: a model's outputs, batch by batch, for the chapter's evaluation loops;
* :func:`run_bn_profile` (the widget's runner, a pure function of a frozen config):
  per-layer gradient statistics of a fresh network at initialization, and the
  per-layer growth factor of the gradient.

The network (:func:`lessonlib.normalization.bn_mlp`), the large-batch estimate
(:func:`lessonlib.theory.large_batch_growth`) and :func:`lessonlib.losses.label_entropy`
live with the mechanisms; the training runs, the train/eval comparison and the sweep
over batch sizes are loops written out in the chapter.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from ..autodiff import Tensor
from ..diagnostics import Profile, layer_profile
from ..normalization import bn_mlp

__all__ = ["predict", "BNProfileConfig", "BNProfileResult", "run_bn_profile", "growth_factor"]


def predict(model, X, batch_size=None) -> np.ndarray:
    """The model's outputs for ``X``, fed in consecutive batches of ``batch_size`` rows.

    The model is called in whatever mode it is in (``model.training``): in
    training mode batch normalization uses each batch's own statistics (and
    updates its running estimates), in evaluation mode the running estimates.
    """
    X = np.asarray(X, dtype=float)
    size = len(X) if batch_size is None else int(batch_size)
    if size < 1:
        raise ValueError(f"predict: batch_size must be at least 1, got {batch_size}")
    return np.concatenate([model(Tensor(X[i:i + size])).data for i in range(0, len(X), size)])


@dataclass(frozen=True)
class BNProfileConfig:
    """One forward and backward pass through a fresh square MLP (``width`` in and out).

    The loss is $L = \\frac1N \\sum_{n,i} h_{L,ni} G_{ni}$ with a fixed standard-normal
    $G$, as in :class:`lessonlib.experiments.profiles.ProfileConfig`.
    """

    activation: str = "relu"
    init: str = "he_normal"
    depth: int = 20
    width: int = 64
    batch: int = 32
    bn: bool = True
    seed: int = 0


@dataclass(frozen=True)
class BNProfileResult:
    """What :func:`run_bn_profile` measured.

    Fields: ``config``; ``profile`` (a :class:`~lessonlib.diagnostics.Profile`, one entry
    per layer ``l = 0 .. depth + 1``, indexable as ``result["grad_h_rms"]``); ``growth``
    (the fitted per-layer growth factor of the gradient RMS towards the input, a float);
    ``message`` (empty, or why a value is missing).
    """

    config: BNProfileConfig
    profile: Profile
    growth: float              # per-layer growth of the gradient RMS towards the input (nan if unknown)
    message: str = ""          # non-empty when a value overflowed, or the gradient vanished to 0

    def __getitem__(self, name):
        return self.profile[name]


def growth_factor(grad_rms) -> float:
    r"""Per-layer factor $r$ of a least-squares fit $\mathrm{grad}_l \propto r^{-l}$.

    ``grad_rms`` holds $\mathrm{RMS}(\partial L/\partial h_l)$ for the hidden layers
    $l = 1, \dots, L$; $r > 1$ means the gradient grows towards the input. Returns
    nan when a value is zero or not finite.
    """
    g = np.asarray(grad_rms, dtype=float)
    if g.size < 2 or not np.all(np.isfinite(g) & (g > 0)):
        return float("nan")
    slope = np.polyfit(np.arange(1, g.size + 1), np.log(g), 1)[0]
    return float(np.exp(-slope))


def run_bn_profile(config: BNProfileConfig) -> BNProfileResult:
    """Per-layer statistics of a fresh (BN-)MLP at initialization, and its gradient growth factor."""
    if int(config.batch) < 2 and config.bn:
        raise ValueError(f"run_bn_profile: batch normalization in training mode needs a batch of at "
                         f"least 2, got {config.batch}")
    rng = np.random.default_rng(config.seed)
    model = bn_mlp(config.width, config.width, config.depth, config.width, activation=config.activation,
                   init=config.init, rng=rng, bn=config.bn)
    x = rng.standard_normal((config.batch, config.width))
    G = rng.standard_normal((config.batch, config.width))
    with threadpool_limits(limits=1, user_api="blas"):   # small matrices: one BLAS thread is faster
        profile = layer_profile(model, x, lambda out: (out * G).sum() / config.batch)
    hidden = profile["grad_h_rms"][1:config.depth + 1]
    growth = growth_factor(hidden)
    message = ""
    if not profile.finite:
        message = ("overflow: some activations or gradients exceeded the float64 range "
                   f"(about 1.8e308) at depth {config.depth}")
    elif not np.all(hidden > 0):
        message = (f"the gradient vanished to exactly 0 below some layer (batch {config.batch}, "
                   f"depth {config.depth})")
    return BNProfileResult(config=config, profile=profile, growth=growth, message=message)

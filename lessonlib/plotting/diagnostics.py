r"""Plots of a :class:`lessonlib.diagnosis.Diagnosis` (chapter 9): ``plot_*(result, ax=None) -> Axes``.

The statistics Karpathy's makemore part 3 teaches to watch while a network trains:
per-layer histograms of activations and gradients, the saturated or dead fraction per
layer, the update-to-weight ratio per layer with its 1e-3 rule of thumb, and a small
version of Glorot & Bengio's (2010) figure of each layer's activations over training.
``plot_fractions``, ``plot_update_ratio`` and ``plot_activation_over_training`` need a
result of ``diagnose(..., lr=..., steps=...)``. None of them changes matplotlib's
global settings.
"""
from __future__ import annotations

import numpy as np

from .common import axes_or_new, on_log_axis, show_message

__all__ = ["plot_histograms", "plot_fractions", "plot_update_ratio", "plot_activation_over_training",
           "RULE_OF_THUMB"]

#: Karpathy's rule of thumb: each step changes a weight matrix by about 1e-3 of its size.
RULE_OF_THUMB = 1e-3


def _short(name):
    """'activation layer 2 (tanh, 32 units)' -> 'layer 2 (tanh)'."""
    head, _, rest = name.partition(" (")
    return head.replace("activation ", "") + (f" ({rest.split(',')[0]})" if rest else "")


def plot_histograms(result, ax=None, which="activations", when="init", bins=50):
    """Density of every activation layer's outputs (or of dL/dh) on the batch, one line per layer.

    ``which`` is ``"activations"`` or ``"gradients"``; ``when`` is ``"init"`` or ``"end"``
    (after the training steps). The legend gives each layer's mean and standard deviation.
    """
    if which not in ("activations", "gradients") or when not in ("init", "end"):
        raise ValueError(f"plot_histograms: which must be 'activations' or 'gradients' and when "
                         f"'init' or 'end', got which={which!r}, when={when!r}")
    values = getattr(result, which if when == "init" else f"{which}_end")
    ax = axes_or_new(ax)
    if not values:
        return show_message(ax, "no training steps: call diagnose(..., lr=..., steps=...)")
    for name, v in zip(result.layer_names, values):
        v = v[np.isfinite(v)]
        if v.size == 0:
            continue
        lo, hi = float(v.min()), float(v.max())
        if lo == hi:                                 # all equal (a symmetric or dead layer)
            lo, hi = lo - 0.5, hi + 0.5
        density, edges = np.histogram(v, bins=bins, range=(lo, hi), density=True)
        ax.plot(0.5 * (edges[:-1] + edges[1:]), density,
                label=f"{_short(name)}: mean {v.mean():+.2g}, std {v.std():.2g}")
    symbol = "h" if which == "activations" else r"\partial L/\partial h"
    ax.set_xlabel(f"${symbol}$ ({'at initialization' if when == 'init' else 'after training'})")
    ax.set_ylabel("density")
    ax.set_title(f"{which} per layer")
    ax.legend(fontsize=7)
    return ax


def plot_fractions(result, ax=None):
    """Saturated (tanh/sigmoid) or dead (ReLU) fraction of every layer over the training steps."""
    ax = axes_or_new(ax)
    if not result.steps:
        return show_message(ax, "no training steps: call diagnose(..., lr=..., steps=...)")
    steps = np.arange(result.steps + 1)
    for k, name in enumerate(result.layer_names):
        for label, history in (("saturated", result.saturated_history), ("dead", result.dead_history)):
            if np.isfinite(history[:, k]).any():
                ax.plot(steps, history[:, k], label=f"{_short(name)}: {label}")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("SGD step")
    ax.set_ylabel("fraction of units")
    ax.set_title("saturated (tanh, sigmoid) or dead (ReLU) units")
    ax.legend(fontsize=7)
    return ax


def plot_update_ratio(result, ax=None):
    r"""std(lr dL/dW) / std(W) of every weight matrix at every step, on a log axis, with 1e-3."""
    ax = axes_or_new(ax)
    if not result.steps:
        return show_message(ax, "no training steps: call diagnose(..., lr=..., steps=...)")
    steps = np.arange(1, result.steps + 1)
    for j, name in enumerate(result.weight_names):
        ax.plot(steps, on_log_axis(result.update_ratio[:, j]), label=name)
    ax.axhline(RULE_OF_THUMB, color="black", ls="--", lw=1, label="rule of thumb 1e-3")
    ax.set_yscale("log")
    ax.set_xlabel("SGD step")
    ax.set_ylabel("update / weight  (std(lr dW) / std(W))")
    ax.set_title(f"update-to-weight ratio, lr = {result.lr:g}")
    ax.legend(fontsize=7)
    return ax


def plot_activation_over_training(result, ax=None):
    """Glorot & Bengio (2010, fig. 2) in small: mean (line) and standard deviation (band)
    of every layer's activations at every step."""
    ax = axes_or_new(ax)
    if not result.steps:
        return show_message(ax, "no training steps: call diagnose(..., lr=..., steps=...)")
    steps = np.arange(result.steps + 1)
    for k, name in enumerate(result.layer_names):
        m, s = result.mean_history[:, k], result.std_history[:, k]
        line, = ax.plot(steps, m, label=_short(name))
        ax.fill_between(steps, m - s, m + s, color=line.get_color(), alpha=0.15)
    ax.set_xlabel("SGD step")
    ax.set_ylabel("activation $h$: mean and mean ± std")
    ax.set_title("activations over training (Glorot & Bengio 2010)")
    ax.legend(fontsize=7)
    return ax

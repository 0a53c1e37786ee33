"""Plots for chapter 4 (ReLU and its family): ``plot_*(result, ax=None) -> Axes``.

They read the result objects of :mod:`lessonlib.experiments.rectifiers` and never
change matplotlib's global settings.
"""
from __future__ import annotations

import numpy as np

from .common import axes_or_new, on_log_axis, show_message
from .profiles import plot_profile

__all__ = ["plot_curves", "plot_dead_by_layer", "plot_dead_units", "plot_unit_activity",
           "plot_dead_over_training", "LABELS"]

#: Legend labels for the activation names of ``experiments.rectifiers.FAMILY``.
#: (Matplotlib mathtext strings; the value is not shown in the API page.)
#:
#: :meta hide-value:
LABELS = {
    "sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU",
    "leaky_relu_0.01": r"leaky ReLU, $\alpha = 0.01$", "leaky_relu_0.2": r"leaky ReLU, $\alpha = 0.2$",
    "elu": r"ELU, $\alpha = 1$", "gelu": "GELU (exact)",
}


def _label(name):
    return LABELS.get(name, str(name))


def plot_curves(result, which="value", ax=None):
    r"""Each activation $\phi(z)$ (``which="value"``) or its slope $\phi'(z)$ (``"slope"``)."""
    ax = axes_or_new(ax)
    table = result.values if which == "value" else result.slopes
    styles = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))
    for i, (name, y) in enumerate(table.items()):
        ax.plot(result.z, y, linestyle=styles[i % len(styles)], lw=2.2 if i == 0 else 1.5,
                label=_label(name))
    ax.axhline(0.0, color="gray", lw=0.6)
    ax.axvline(0.0, color="gray", lw=0.6)
    ax.set_xlabel("pre-activation $z$")
    ax.set_ylabel(r"$\phi(z)$" if which == "value" else r"slope $\phi'(z)$ (from backward())")
    ax.set_title("the activations" if which == "value" else "their derivatives")
    ax.legend(fontsize=8)
    return ax


def plot_dead_by_layer(result, ax=None, label=None, **style):
    """Fraction of never-firing units in every hidden layer of a DeadResult."""
    ax = axes_or_new(ax)
    dead = result.dead
    ax.plot(np.arange(1, len(dead) + 1), dead, marker="o", markersize=3, label=label, **style)
    ax.set_xlabel("hidden layer $l$")
    ax.set_ylabel("fraction of dead units")
    ax.set_ylim(-0.03, 1.03)
    if result.message:
        show_message(ax, result.message)
    return ax


def plot_dead_units(result, axes):
    """The two panels of the dead-unit widget: never-firing units and gradient RMS per layer."""
    plot_dead_by_layer(result, ax=axes[0])
    axes[0].set_title(f"units with $z \\leq 0$ on all {result.config.n} examples")
    plot_profile(result, "grad_h_rms", ax=axes[1], color="tab:red")
    axes[1].set_title("backward: gradients (0 is not drawn)")
    values = on_log_axis(result["grad_h_rms"])
    if np.any(np.isfinite(values)):                     # show at least two decades: no minor-tick labels
        lo, hi = np.nanmin(values), np.nanmax(values)
        mid = np.sqrt(lo * hi)
        if hi / lo < 100:
            lo, hi = mid / 10, mid * 10
        axes[1].set_ylim(lo / 1.5, hi * 1.5)
    return axes


def plot_unit_activity(result, units, ax=None):
    """Number of examples each chosen unit fires on, step by step; ``units`` = [(layer, j), ...]."""
    ax = axes_or_new(ax)
    steps = np.arange(result.active.shape[0])
    for layer, j in units:
        ax.plot(steps, result.active[:, layer - 1, j], label=f"layer {layer}, unit {j}")
    ax.set_xlabel("gradient-descent step (full batch)")
    ax.set_ylabel(f"examples (of {result.config.n}) with $z > 0$")
    ax.set_title(f"learning rate {result.config.lr:g}")
    ax.legend(fontsize=8)
    if result.message:
        show_message(ax, result.message)
    return ax


def plot_dead_over_training(result, ax=None):
    """Fraction of dead units in each hidden layer against the SGD step."""
    ax = axes_or_new(ax)
    dead = result.dead
    steps = np.arange(dead.shape[0])
    for l in range(dead.shape[1]):
        ax.plot(steps, dead[:, l], label=f"layer {l + 1}")
    ax.set_xlabel("gradient-descent step (full batch)")
    ax.set_ylabel("fraction of dead units")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"learning rate {result.config.lr:g}")
    ax.legend(fontsize=8)
    if result.message:
        show_message(ax, result.message)
    return ax

"""Plots for chapter 4 (ReLU and its family): ``plot_*(result, ax=None) -> Axes``.

They read the result objects of :mod:`lessonlib.experiments.rectifiers` and never
change matplotlib's global settings.
"""
from __future__ import annotations

import numpy as np

from .common import axes_or_new, positive_or_nan, show_message
from .profiles import plot_profile

__all__ = ["plot_curves", "plot_factor_table", "plot_shift_sweep", "plot_dead_by_layer", "plot_dead_units", "plot_unit_activity",
           "plot_dead_over_training", "plot_leaky_gain", "plot_comparison", "LABELS"]

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


def plot_factor_table(result, ax=None):
    """Measured per-layer gradient factor against the predicted one, one marker per row and seed."""
    ax = axes_or_new(ax)
    lo = min(result.measured.min(), result.predicted.min()) - 0.05
    hi = max(result.measured.max(), result.predicted.max()) + 0.05
    ax.plot([lo, hi], [lo, hi], "k-", lw=0.8, label="measured = predicted")
    markers = "osD^vP*X"
    for i, label in enumerate(result.labels):
        ax.plot(result.predicted[i], result.measured[i], markers[i % len(markers)], mfc="none",
                color=f"C{i}", label=label)
    ax.set_aspect("equal")
    ax.grid(True, alpha=0.3)
    ax.set_xlabel(r"predicted $\rho$ (geometric mean of $\rho_l$)")
    ax.set_ylabel(r"measured factor per layer, RMS of $\partial L/\partial h_l$")
    ax.set_title(f"{result.config.depth} layers of width {result.config.width}, "
                 f"{len(result.config.seeds)} seeds each")
    ax.legend(fontsize=7)
    return ax


def plot_shift_sweep(result, ax=None):
    """Measured fraction of dead first-layer units (points, one per seed) against the theory line."""
    ax = axes_or_new(ax)
    for i, row in enumerate(result.measured):
        ax.plot(result.shifts, row, "o", mfc="none", color="tab:blue", alpha=0.6,
                label="measured (one seed each)" if i == 0 else None)
    ax.plot(result.grid, result.grid_theory, "-", color="black",
            label=r"theory: mean of $\Phi(-b/\|w_j\|)^n$")
    ax.set_xlabel("bias shift $b$ of every first-layer unit")
    ax.set_ylabel("fraction of dead units in layer 1")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"dead on all {result.config.n} examples")
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
    values = positive_or_nan(result["grad_h_rms"])
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
    ax.set_xlabel("SGD step")
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
    ax.set_xlabel("SGD step")
    ax.set_ylabel("fraction of dead units")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"learning rate {result.config.lr:g}")
    ax.legend(fontsize=8)
    if result.message:
        show_message(ax, result.message)
    return ax


def plot_leaky_gain(result, which="forward", ax=None):
    r"""Per-layer factors measured in deep leaky-ReLU nets (points) against theory (lines).

    ``which`` is ``"forward"`` (std of $z_l$), ``"backward"`` (gradient RMS) or
    ``"moment"`` ($E[\phi(z)^2]$ and $E[\phi'(z)^2]$ for $z \sim N(0, 1)$).
    """
    ax = axes_or_new(ax)
    a = result.slopes
    grid = np.linspace(0.0, max(1.0, float(a.max())), 201)
    if which == "moment":
        ax.plot(grid, (1 + grid ** 2) / 2, "k-", label=r"theory $(1+\alpha^2)/2$")
        ax.plot(a, result.second_moment, "o", mfc="none", label=r"sampled $E[\phi(z)^2]$")
        ax.plot(a, result.slope_moment, "x", label=r"sampled $E[\phi'(z)^2]$")
        ax.set_ylabel(r"second moment, $\mathrm{Var}(z) = 1$")
        ax.set_title("one layer")
    else:
        table = result.forward if which == "forward" else result.backward
        ax.plot(grid, result.theory(grid, 2.0), "-", color="tab:red",
                label=r"theory, He gain $\sqrt{2}$: $\sqrt{1+\alpha^2}$")
        ax.plot(grid, np.ones_like(grid), "-", color="tab:blue",
                label=r"theory, leaky gain $\sqrt{2/(1+\alpha^2)}$: 1")
        for key, color in (("he", "tab:red"), ("leaky", "tab:blue")):
            values = table[key]
            ax.errorbar(a, values.mean(axis=1), yerr=[values.mean(axis=1) - values.min(axis=1),
                                                       values.max(axis=1) - values.mean(axis=1)],
                        fmt="o", mfc="none", color=color, capsize=2,
                        label=f"measured ({'He' if key == 'he' else 'leaky'} gain), mean and range")
        what = r"std of $z_l$" if which == "forward" else r"RMS of $\partial L/\partial h_l$"
        ax.set_ylabel(f"factor per layer, {what}")
        ax.set_title(f"{which}: {result.config.depth} layers of width {result.config.width}")
    ax.set_xlabel(r"leaky slope $\alpha$")
    ax.legend(fontsize=8)
    return ax


def plot_comparison(result, stat="losses", ax=None, colors=None):
    """Training loss (``stat="losses"``) or first-layer gradient norm (``"first_grad_norms"``)
    against the step, one line per seed, one colour per activation."""
    ax = axes_or_new(ax)
    colors = colors or {}
    for i, (name, runs) in enumerate(result.runs.items()):
        color = colors.get(name, f"C{i}")
        for k, run in enumerate(runs):
            values = positive_or_nan(getattr(run, stat))
            ax.plot(np.arange(len(values)), values, color=color, lw=1, alpha=0.8,
                    label=_label(name) if k == 0 else None)
    ax.set_yscale("log")
    ax.set_xlabel("SGD step")
    ax.set_ylabel("training loss (MSE)" if stat == "losses" else r"$\|\partial L/\partial W_1\|$")
    messages = [r.message for runs in result.runs.values() for r in runs if r.message]
    if messages:
        show_message(ax, f"{len(messages)} run(s) diverged: " + messages[0])
    ax.legend(fontsize=8)
    return ax

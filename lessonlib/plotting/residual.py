"""Plots for chapter 6: growth along the residual stream, growth against depth, training runs."""
from __future__ import annotations

import numpy as np

from .common import axes_or_new, on_log_axis, show_message

__all__ = ["plot_stream", "plot_depth_sweep", "plot_training_runs", "ARCH_COLORS", "ARCH_LABELS"]

#: One colour per architecture name of :mod:`lessonlib.experiments.residual`.
ARCH_COLORS = {"plain": "tab:gray", "residual": "tab:red", "scaled": "tab:blue",
               "zero_last": "tab:green"}

#: Legend labels for the architectures.
#: (Matplotlib mathtext strings; the value is not shown in the API page.)
#:
#: :meta hide-value:
ARCH_LABELS = {
    "plain": "plain (no shortcuts)",
    "residual": "residual, $s = 1$",
    "scaled": r"residual, $s = 1/\sqrt{B}$",
    "zero_last": "residual, last branch layer = 0",
}

_YLABEL = {
    "h": r"mean square of $h$ (relative to the start)",
    "grad": r"$\|\partial L/\partial h\|^2$ (relative to the end)",
}


def plot_stream(result, which="grad", ax=None, label=None, color=None):
    """Measured mean square of ``h`` (``which="h"``) or of the gradient along the main path.

    Values are normalized to the start of the path (``h``) or to its end
    (``grad``, where backpropagation starts); the prediction, where there is one,
    is drawn dashed in the same colour.
    """
    ax = axes_or_new(ax)
    if which not in _YLABEL:
        raise ValueError(f"plot_stream: which must be 'h' or 'grad', got {which!r}")
    arch = result.config.arch
    color = color or ARCH_COLORS.get(arch)
    with np.errstate(all="ignore"):
        if which == "h":
            values, theory = result.h_ms / result.h_ms[0], result.theory_h
        else:
            values, theory = result.grad_ms / result.grad_ms[-1], result.theory_grad
    values = on_log_axis(values)
    ax.plot(result.layers, values, marker="o", markersize=3, color=color,
            label=label or f"{arch}, measured")
    theory = on_log_axis(theory)
    if np.any(np.isfinite(theory)):
        ax.plot(result.layers, theory, "--", color=color, lw=1.2, label="prediction")
    ax.set_yscale("log")
    ax.set_xlabel("weight layers from the input")
    ax.set_ylabel(_YLABEL[which])
    if result.message or np.all(np.isnan(values)):
        show_message(ax, result.message or "no finite positive values to show on a log axis")
    return ax


def plot_depth_sweep(growth: dict, blocks, ax=None, theory=None):
    """Gradient-norm ratio across all blocks against the number of weight layers (2 per block).

    ``growth`` maps an architecture to an array of shape (len(blocks), seeds); the line
    is the geometric mean over seeds, the band spans the smallest and largest seed.
    ``theory`` maps an architecture to predicted values (dotted).
    """
    ax = axes_or_new(ax)
    x = 2 * np.asarray(blocks)
    for arch, table in growth.items():
        color = ARCH_COLORS.get(arch)
        values = on_log_axis(table)
        with np.errstate(divide="ignore", invalid="ignore"):
            geomean = np.exp(np.nanmean(np.log(values), axis=1))
        ax.plot(x, geomean, marker="o", markersize=4, color=color, label=ARCH_LABELS.get(arch, arch))
        ax.fill_between(x, np.nanmin(values, axis=1), np.nanmax(values, axis=1),
                        color=color, alpha=0.2, lw=0)
        if theory is not None and arch in theory:
            ax.plot(x, on_log_axis(theory[arch]), ":", color=color, lw=2)
    ax.set_yscale("log")
    ax.set_xticks(x[x >= 16] if len(x[x >= 16]) > 1 else x)
    ax.set_xlabel("depth (weight layers between the two measured points)")
    ax.set_ylabel(r"$\|\partial L/\partial h_{\rm start}\| \,/\, \|\partial L/\partial h_{\rm end}\|$")
    return ax


def plot_training_runs(runs: dict, ax=None, colors=None):
    """Training loss against the step; ``runs`` maps a label to a list of loss arrays (seeds).

    Each label gets one colour, one thin line per seed; a run whose loss stops being
    finite is reported on the plot.
    """
    ax = axes_or_new(ax)
    palette = ["tab:gray", "tab:orange", "tab:blue", "tab:green", "tab:red", "tab:purple"]
    messages = []
    for k, (label, curves) in enumerate(runs.items()):
        color = (colors or {}).get(label, palette[k % len(palette)])
        for j, losses in enumerate(curves):
            ax.plot(np.arange(len(losses)), on_log_axis(losses), color=color, lw=1.2,
                    alpha=0.85, label=label if j == 0 else None)
            if not np.all(np.isfinite(losses)):
                messages.append(f"{label}: diverged")
    ax.set_yscale("log")
    ax.set_xlabel("gradient-descent step (full batch)")
    ax.set_ylabel("training loss (cross-entropy, nats)")
    if messages:
        show_message(ax, "\n".join(messages[:3]))
    return ax

"""Per-layer profiles and training curves (chapters 2-6)."""
from __future__ import annotations

import numpy as np

from .common import axes_or_new, on_log_axis, show_message

__all__ = ["plot_profile", "plot_losses", "LABELS"]

#: Axis labels for the statistics of :class:`lessonlib.diagnostics.LayerStats`.
#: (Matplotlib mathtext strings; the value is not shown in the API page.)
#:
#: :meta hide-value:
LABELS = {
    "h_rms": r"RMS of $h_l$",
    "h_std": r"std of $h_l$",
    "h_mean": r"mean of $h_l$",
    "z_std": r"std of $z_l$",
    "saturated": "fraction of saturated units",
    "dead": "fraction of dead units",
    "grad_h_norm": r"$\|\partial L/\partial h_l\|$",
    "grad_h_rms": r"RMS of $\partial L/\partial h_l$",
    "grad_W_norm": r"$\|\partial L/\partial W_l\|$",
}


def plot_profile(result, stat="grad_h_rms", ax=None, label=None, logy=True, **style):
    """One statistic against the layer index ``l`` (0 = input) for a profile result.

    ``result`` is anything indexable by statistic name (a ProfileResult or a
    Profile). Zeros and overflowed values are left out of a log axis, and the
    result's ``message``, if any, is written on the plot.
    """
    ax = axes_or_new(ax)
    layers, values = result["layer"], result[stat]
    if logy:
        values = on_log_axis(values)
        ax.set_yscale("log")
    ax.plot(layers, values, marker="o", markersize=3, label=label, **style)
    ax.set_xlabel(r"layer $l$ (0 = input)")
    ax.set_ylabel(LABELS.get(stat, stat))
    message = getattr(result, "message", "")
    if message or np.all(np.isnan(values)):
        show_message(ax, message or "no finite positive values to show on a log axis")
    return ax


def plot_losses(result, ax=None, label=None, logy=True, **style):
    """Training loss against the step for a TrainResult; a divergence message is shown."""
    ax = axes_or_new(ax)
    losses = on_log_axis(result.losses) if logy else result.losses
    ax.plot(np.arange(len(losses)), losses, label=label, **style)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("step of full-batch gradient descent")
    ax.set_ylabel("training loss")
    if result.message:
        show_message(ax, result.message)
    return ax

"""Plots for variance propagation at initialization (chapter 3).

``plot_variance`` takes a result of :mod:`lessonlib.experiments.variance`; the other
``plot_*`` take the arrays that the chapter's own loops measured. Each takes an optional
Axes and returns the Axes. Global matplotlib settings are not touched.
"""
from __future__ import annotations

import numpy as np

from .common import LOG_RANGE, axes_or_new, log_limits, on_log_axis, positive_or_nan, show_message

__all__ = ["plot_variance", "plot_fan", "plot_spread", "plot_singular_values",
           "plot_sweep", "plot_sweep_curves", "INIT_COLORS"]

#: One colour per initializer, the same in every figure of the chapter.
INIT_COLORS = {"normal": "tab:gray", "lecun_normal": "tab:green", "xavier_normal": "tab:blue",
               "xavier_uniform": "tab:cyan", "he_normal": "tab:red", "orthogonal": "tab:purple"}


def plot_variance(result, which="forward", ax=None, label=None, color=None, theory=True):
    """Per-layer RMS of $h_l$ (``which="forward"``) or of $\\partial L/\\partial h_l$ relative
    to the output layer (``"backward"``): one thin line per seed, the mean-field prediction dashed.
    """
    if which not in ("forward", "backward"):
        raise ValueError(f"plot_variance: which must be 'forward' or 'backward', got {which!r}")
    ax = axes_or_new(ax)
    color = color or INIT_COLORS.get(result.config.init, "tab:blue")
    measured = result.h_rms if which == "forward" else result.grad_rms
    theory = theory and result.theory is not None
    if theory:
        predicted = result.theory.h_rms if which == "forward" else result.theory.grad_rms
    shown = [on_log_axis(row) for row in measured] + ([on_log_axis(predicted)] if theory else [])
    ax.set_yscale("log")
    log_limits(ax, *shown)       # before plotting: autoscaling huge data would overflow
    for s, row in enumerate(shown[:len(measured)]):
        ax.plot(result.layer, row, color=color, lw=1, alpha=0.7, label=label if s == 0 else None)
    if theory:
        named = "mean-field prediction" in [line.get_label() for line in ax.get_lines()]
        ax.plot(result.layer, shown[-1], "--", color="black", lw=1.2,
                label=None if named else "mean-field prediction")
    ax.set_xlabel(r"layer $l$ (0 = input)")
    ax.set_ylabel(r"RMS of $h_l$" if which == "forward"
                  else r"RMS of $\partial L/\partial h_l$ / output layer's")
    dropped = np.isfinite(positive_or_nan(measured)) & np.isnan(on_log_axis(measured))
    if result.message:
        show_message(ax, result.message)
    elif np.all(np.isnan(on_log_axis(measured))):
        show_message(ax, "no finite positive values to show on a log axis")
    elif dropped.any():
        show_message(ax, f"values beyond {LOG_RANGE[0]:.0e} ... {LOG_RANGE[1]:.0e} are left out of this log axis")
    return ax


def plot_fan(schemes, forward, backward, forward_predicted, backward_predicted, *, title="", ax=None):
    """Forward and backward std ratios of one layer per scheme: bars measured, black marks predicted.

    ``forward[k]`` = RMS(z)/RMS(x) and ``backward[k]`` = RMS(dL/dx)/RMS(dL/dz) for ``schemes[k]``.
    """
    ax = axes_or_new(ax, figsize=(7, 3.5))
    k = np.arange(len(schemes))
    width = 0.38
    ax.bar(k - width / 2, forward, width, color="tab:blue", label=r"forward: RMS($z$)/RMS($x$)")
    ax.bar(k + width / 2, backward, width, color="tab:orange",
           label=r"backward: RMS($\partial L/\partial x$)/RMS($\partial L/\partial z$)")
    ax.plot(k - width / 2, forward_predicted, "k_", ms=22, mew=2, label="predicted")
    ax.plot(k + width / 2, backward_predicted, "k_", ms=22, mew=2)
    ax.axhline(1.0, color="gray", lw=0.8)
    ax.set_xticks(k, list(schemes))
    ax.set_xlabel("initialization")
    ax.set_ylabel("std ratio across the layer")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper right")
    return ax


def plot_spread(widths, log_ratio, depth, ax=None):
    r"""RMS($h_L$)/RMS($h_0$) of every network against the width, with the log-normal prediction.

    ``log_ratio[w, s]`` is $\ln(\mathrm{RMS}(h_L)/\mathrm{RMS}(h_0))$ for ``widths[w]`` and seed ``s``.
    """
    ax = axes_or_new(ax)
    widths, ratios = np.asarray(widths), np.exp(np.asarray(log_ratio))
    n = np.geomspace(widths.min(), widths.max(), 50)
    mean, sd = -5 * depth / (4 * n), 0.5 * np.sqrt(5 * depth / n)
    ax.fill_between(n, np.exp(mean - 2 * sd), np.exp(mean + 2 * sd), color="tab:red", alpha=0.15,
                    label=r"predicted $\pm 2$ sd of $\ln$ (log-normal)")
    ax.plot(n, np.exp(mean), "--", color="tab:red", lw=1, label="predicted median")
    for i, w in enumerate(widths):
        ax.plot(np.full(ratios.shape[1], w), on_log_axis(ratios[i]), "o", ms=3, mfc="none",
                color="tab:red", label="one network (seed)" if i == 0 else None)
    ax.axhline(1.0, color="gray", lw=0.8)
    ax.set_xscale("log", base=2)
    ax.set_xticks(widths, [str(w) for w in widths])
    ax.set_yscale("log")
    ax.set_xlabel(r"width $n$ (units per layer)")
    ax.set_ylabel(rf"RMS($h_{{{depth}}}$) / RMS($h_0$)")
    ax.set_title(f"ReLU + He, depth {depth}: one network per dot")
    ax.legend(fontsize=8, loc="lower right")
    return ax


def plot_singular_values(singular_values, *, title="", ax=None):
    """Singular values, largest first, for each ``(init, depth)`` key of ``singular_values``."""
    ax = axes_or_new(ax)
    depths = sorted({depth for _, depth in singular_values})
    styles = {d: s for d, s in zip(depths, ["-", "--", ":", "-."])}
    for (init, depth), values in singular_values.items():
        ax.plot(np.arange(1, len(values) + 1), on_log_axis(values), styles.get(depth, "-"),
                color=INIT_COLORS.get(init, None), label=f"{init}, $L = {depth}$")
    ax.set_yscale("log")
    ax.set_xlabel("rank $k$ (largest singular value first)")
    ax.set_ylabel(r"singular value $s_k$ of $\partial h_L/\partial h_0$")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_sweep(lrs, final, inits, *, steps, ax=None):
    """Final loss against the learning rate, one line per (init, seed); diverged runs (inf) as x at the top.

    ``final[i, r, s]``: the loss after ``steps`` steps for ``inits[i]``, ``lrs[r]``, seed ``s``.
    """
    ax = axes_or_new(ax)
    lrs, final = np.asarray(lrs), np.asarray(final)
    finite = on_log_axis(final)
    finite = finite[np.isfinite(finite)]
    top = 1.5 * finite.max() if finite.size else 1.0
    for i, init in enumerate(inits):
        color = INIT_COLORS.get(init, None)
        for s in range(final.shape[2]):
            values = final[i, :, s]
            ax.plot(lrs, on_log_axis(values), "o-", color=color, alpha=0.6,
                    ms=4, lw=1, label=init if s == 0 else None)
            gone = ~np.isfinite(values)
            ax.plot(lrs[gone], np.full(gone.sum(), top * 1.4 ** i), "x", color=color, ms=8,
                    label="diverged" if (s == 0 and i == 0) else None)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_ylabel(f"training loss after {steps} steps")
    ax.set_title("Learning-rate grid (one line per seed)")
    ax.legend(fontsize=8)
    return ax


def plot_sweep_curves(losses, inits, lrs, best, *, title="", ax=None):
    """Loss curves at learning rate ``lrs[best[i]]`` for each ``inits[i]``, one line per seed.

    ``losses[i, r, s, t]``: the loss before step ``t`` (nan after a divergence).
    """
    ax = axes_or_new(ax)
    losses = np.asarray(losses)
    steps = np.arange(losses.shape[-1])
    for i, init in enumerate(inits):
        for s in range(losses.shape[2]):
            ax.plot(steps, on_log_axis(losses[i, best[i], s]), color=INIT_COLORS.get(init),
                    lw=1.2, alpha=0.8, label=f"{init}, $\\eta = {lrs[best[i]]:g}$" if s == 0 else None)
    ax.set_yscale("log")
    ax.set_xlabel("gradient-descent step (full batch)")
    ax.set_ylabel("training loss (MSE)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax

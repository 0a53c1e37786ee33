"""Plots for chapter 2 (saturating activations): ``plot_*(result, ax=None) -> Axes``.

They read the result objects of :mod:`lessonlib.experiments.saturation` and never
change matplotlib's global settings.
"""
from __future__ import annotations

import numpy as np

from .common import axes_or_new, positive_or_nan, show_message

__all__ = ["plot_slopes", "plot_bound", "plot_gain_sweep", "plot_saturation_sweep",
           "plot_underflow", "plot_lr_sweep"]

_SMALLEST_SUBNORMAL = 2.0 ** -1074
_LARGEST_SHOWN = 1e250     # a log axis reaching further overflows in matplotlib's margins


def _plottable(values):
    """Positive finite values up to 1e250, the rest nan (left out of a log axis)."""
    values = positive_or_nan(values)
    return np.where(values <= _LARGEST_SHOWN, values, np.nan)
_COLORS = {"sigmoid": "tab:blue", "tanh": "tab:orange"}


def plot_slopes(result, ax=None, logy=True):
    r"""$\sigma'(x)$ and $\tanh'(x)$ from a SlopeResult, with the saturation level and thresholds."""
    ax = axes_or_new(ax)
    level = result.config.level
    for name, slope in result.slopes.items():
        color = _COLORS.get(name)
        ax.plot(result.x, slope, color=color, label=rf"$\{name}'(x)$" if name == "tanh"
                else r"$\sigma'(x)$")
        x_c = result.thresholds[name]
        ax.axvline(x_c, color=color, ls=":", lw=1)
        ax.axvline(-x_c, color=color, ls=":", lw=1,
                   label=rf"{name}: $|x| = {x_c:.2f}$")
    ax.axhline(level, color="gray", ls="--", lw=1, label=f"slope = {level:g}")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("pre-activation $x$")
    ax.set_ylabel(r"slope $\phi'(x)$ (from backward())")
    ax.set_title("where the slopes fall below %g" % level)
    ax.legend(fontsize=8, loc="lower center")
    return ax


def plot_bound(result, ax=None, color=None, label=None):
    r"""Measured $\|\partial L/\partial h_l\|$ (markers), the bound (dashed) and the typical size (dotted)."""
    ax = axes_or_new(ax)
    layers = result.layers
    name = label or f"$L = {result.config.depth}$"
    line, = ax.plot(layers, _plottable(result.grad_norm), "o-", ms=4, color=color,
                    label=f"{name}: measured")
    ax.plot(layers, _plottable(result.bound), "--", color=line.get_color(),
            label=rf"{name}: bound $(1/4)^{{L-l}}\prod\|W_k\|_2$"
            if result.config.activation == "sigmoid" else f"{name}: bound")
    ax.plot(layers, _plottable(result.typical), ":", color=line.get_color(), lw=2,
            label=rf"{name}: $\prod \mathrm{{rms}}(\phi')\,\|W_k\|_F/\sqrt{{n}}$")
    ax.set_yscale("log")
    ax.set_xlabel(r"layer $l$ ($h_0$ = input, $h_L$ = last sigmoid layer)")
    ax.set_ylabel(r"$\|\partial \mathcal{L}/\partial h_l\|$ (Frobenius, over the batch)")
    if result.message:                    # overflowed values are not drawn: say why
        show_message(ax, result.message)
    return ax


def plot_gain_sweep(result, ax=None, theory=None):
    """Per-layer gradient factor against the weight gain, log-log, one point per seed.

    ``theory`` maps an activation name to a function gain -> predicted factor, drawn as a line.
    """
    ax = axes_or_new(ax)
    gains = np.asarray(result.config.gains, dtype=float)
    for name in result.config.activations:
        factor, _ = result[name]
        color = _COLORS.get(name)
        for k in range(factor.shape[1]):
            ax.plot(gains, _plottable(factor[:, k]), "o", mfc="none", color=color, alpha=0.7,
                    label=f"{name}: measured ({factor.shape[1]} seeds)" if k == 0 else None)
        for label, fun, style in (theory or {}).get(name, ()):
            dense = np.geomspace(gains.min(), gains.max(), 200)
            ax.plot(dense, fun(dense), style, color=color, lw=1, label=f"{name}: {label}")
    ax.axhline(1.0, color="gray", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"weight gain $g$ (weights $g \times$ Xavier, so $n\,\mathrm{Var}(W) = g^2$)")
    ax.set_ylabel(r"per-layer factor $(\|g_0\| / \|g_L\|)^{1/L}$")
    ax.set_title(f"backward: {result.config.depth} layers of width {result.config.width}")
    ax.legend(fontsize=7)
    if result.message:
        show_message(ax, result.message)
    return ax


def plot_saturation_sweep(result, ax=None):
    """Mean fraction of saturated units (slope < 1% of its maximum) against the weight gain."""
    ax = axes_or_new(ax)
    gains = np.asarray(result.config.gains, dtype=float)
    for name in result.config.activations:
        _, saturated = result[name]
        ax.plot(gains, saturated.mean(axis=1), "o-", color=_COLORS.get(name), label=name)
    ax.set_xscale("log")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel(r"weight gain $g$")
    ax.set_ylabel("fraction of saturated units")
    ax.set_title(r"forward: units with $\phi'(z) < 1\%$ of $\max \phi'$")
    ax.legend(fontsize=8)
    return ax


def plot_underflow(result, ax=None, rate=None):
    r"""$\log_2$ of the largest $|\partial L/\partial h_l|$ entry and of ``np.linalg.norm``, per layer crossed.

    Base-2 logarithms on a linear axis show float64's limits as round numbers: the
    smallest positive number is $2^{-1074}$, and squares underflow below $2^{-537}$.
    Exact zeros have no logarithm: vertical lines mark where they start. ``rate``
    (a per-layer factor) adds the straight-line prediction from the top layer.
    """
    ax = axes_or_new(ax)
    k = result.layers_below_top
    with np.errstate(divide="ignore"):
        log_max = np.log2(positive_or_nan(result.max_abs))
        log_norm = np.log2(positive_or_nan(result.norm))
    ax.plot(k, log_max, "-", color="tab:blue", label=r"largest entry $\max|\partial\mathcal{L}/\partial h_l|$")
    ax.plot(k, log_norm, "-", color="tab:green", lw=2.5, alpha=0.6,
            label="np.linalg.norm of the same gradient")
    if rate is not None:
        ax.plot(k, np.log2(result.max_abs[-1]) + k * np.log2(float(rate)), ":", color="black",
                label=rf"prediction: top $\times\ {float(rate):.3f}^{{\,L-l}}$")
    ax.axhline(-1074, color="tab:red", ls="--", lw=1, label=r"smallest float64, $2^{-1074}$")
    ax.axhline(-537, color="tab:green", ls="--", lw=1, label=r"$2^{-537}$: squares underflow below it")
    for name, color, y in (("max_abs", "tab:blue", -1000), ("norm", "tab:green", -300)):
        first = result.first_zero(name)
        if first is not None:
            ax.axvline(first, color=color, ls=":", lw=1.2)
            ax.text(first, y, f" exactly 0\n from {first}", color=color, fontsize=8)
    ax.set_ylim(-1150, max(50.0, np.nanmax(log_max) + 50))
    ax.set_xlabel(r"layers crossed by the gradient, $L - l$")
    ax.set_ylabel(r"$\log_2$ of the gradient size")
    ax.legend(fontsize=7, loc="upper right")
    return ax


def plot_lr_sweep(results, ax=None, label=None, **style):
    """Final training loss against the learning rate for a list of TrainResults of one setting.

    A run that diverged is drawn as an open marker at the top edge of the plot.
    """
    ax = axes_or_new(ax)
    lrs = np.array([r.config.lr for r in results])
    final = np.array([r.final_loss for r in results])
    ok = np.isfinite(final)
    line, = ax.plot(lrs[ok], final[ok], "o-", label=label, **style)
    if (~ok).any():
        top = np.nanmax(final[ok]) * 3 if ok.any() else 10.0
        ax.plot(lrs[~ok], np.full((~ok).sum(), top), "x", color=line.get_color(), ms=8,
                label=f"{label}: diverged" if label else "diverged")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_ylabel("training loss after the last step (MSE)")
    return ax

"""Plots for chapter 2 (saturating activations): ``plot_*(..., ax=None) -> Axes``.

The chapter computes its measurements in short loops of its own and hands plain
arrays to these functions; they never change matplotlib's global settings.
"""
from __future__ import annotations

import numpy as np

from .common import axes_or_new, on_log_axis, positive_or_nan, show_message

__all__ = ["plot_slopes", "plot_bound", "plot_gain_sweep", "plot_saturation_sweep",
           "plot_underflow", "plot_lr_sweep"]

_COLORS = {"sigmoid": "tab:blue", "tanh": "tab:orange"}


def plot_slopes(x, slopes, thresholds, level, ax=None, logy=True):
    r"""Slopes ``slopes[name]`` (arrays over the grid ``x``) with the ``level`` and the thresholds ``thresholds[name]``."""
    ax = axes_or_new(ax)
    for name, slope in slopes.items():
        color = _COLORS.get(name)
        ax.plot(x, slope, color=color, label=r"$\sigma'(x)$" if name == "sigmoid" else rf"$\{name}'(x)$")
        x_c = thresholds[name]
        ax.axvline(x_c, color=color, ls=":", lw=1)
        ax.axvline(-x_c, color=color, ls=":", lw=1, label=rf"{name}: $|x| = {x_c:.2f}$")
    ax.axhline(level, color="gray", ls="--", lw=1, label=f"slope = {level:g}")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("pre-activation $x$")
    ax.set_ylabel(r"slope $\phi'(x)$ (from backward())")
    ax.set_title(f"where the slopes fall below {level:g}")
    ax.legend(fontsize=8, loc="lower center")
    return ax


def plot_bound(measured, bound, typical, ax=None, color=None, label=None, slope_max=0.25):
    r"""Measured $\|\partial L/\partial h_l\|$ (markers), the bound (dashed) and the typical size (dotted), $l = 0..L$."""
    ax = axes_or_new(ax)
    measured, bound, typical = (np.asarray(v, dtype=float) for v in (measured, bound, typical))
    if not measured.shape == bound.shape == typical.shape:
        raise ValueError(f"plot_bound: measured, bound and typical need one shape, got "
                         f"{measured.shape}, {bound.shape}, {typical.shape}")
    layers = np.arange(measured.size)
    name = label or f"$L = {measured.size - 1}$"
    line, = ax.plot(layers, on_log_axis(measured), "o-", ms=4, color=color, label=f"{name}: measured")
    ax.plot(layers, on_log_axis(bound), "--", color=line.get_color(),
            label=rf"{name}: bound $({slope_max:g})^{{L-l}}\prod\|W_k\|_2$")
    ax.plot(layers, on_log_axis(typical), ":", color=line.get_color(), lw=2,
            label=rf"{name}: $\prod \mathrm{{rms}}(\phi')\,\|W_k\|_F/\sqrt{{n}}$")
    ax.set_yscale("log")
    ax.set_xlabel(r"layer $l$ ($h_0$ = input, $h_L$ = last hidden layer)")
    ax.set_ylabel(r"$\|\partial \mathcal{L}/\partial h_l\|$ (Frobenius, over the batch)")
    if not (np.all(np.isfinite(measured)) and np.all(np.isfinite(bound))):   # say why points are missing
        show_message(ax, "overflow: the gradients or the bound exceeded the float64 range (about 1.8e308)")
    return ax


def plot_gain_sweep(gains, factors, ax=None, theory=None):
    """Per-layer gradient factor against the weight gain, log-log, one point per seed.

    ``factors[name]`` has shape (len(gains), seeds); ``theory`` maps a name to a list
    of ``(label, gain -> factor, line style)`` drawn as lines.
    """
    ax = axes_or_new(ax)
    gains = np.asarray(gains, dtype=float)
    for name, factor in factors.items():
        factor = np.asarray(factor, dtype=float).reshape(len(gains), -1)
        color = _COLORS.get(name)
        for k in range(factor.shape[1]):
            ax.plot(gains, on_log_axis(factor[:, k]), "o", mfc="none", color=color, alpha=0.7,
                    label=f"{name}: measured ({factor.shape[1]} seeds)" if k == 0 else None)
        for label, fun, style in (theory or {}).get(name, ()):
            dense = np.geomspace(gains.min(), gains.max(), 200)
            ax.plot(dense, fun(dense), style, color=color, lw=1, label=f"{name}: {label}")
        if not np.all(np.isfinite(factor)):
            show_message(ax, f"{name}: some factors are not finite (overflow)")
    ax.axhline(1.0, color="gray", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"weight gain $g$ (weights $g \times$ Xavier, so $n\,\mathrm{Var}(W) = g^2$)")
    ax.set_ylabel(r"per-layer factor $(\|g_0\| / \|g_L\|)^{1/L}$")
    ax.legend(fontsize=7)
    return ax


def plot_saturation_sweep(gains, saturated, ax=None):
    """Mean fraction of saturated units against the weight gain; ``saturated[name]`` has shape (len(gains), seeds)."""
    ax = axes_or_new(ax)
    for name, frac in saturated.items():
        frac = np.asarray(frac, dtype=float).reshape(len(gains), -1)
        ax.plot(gains, frac.mean(axis=1), "o-", color=_COLORS.get(name), label=name)
    ax.set_xscale("log")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel(r"weight gain $g$")
    ax.set_ylabel("fraction of saturated units")
    ax.set_title(r"forward: units with $\phi'(z) < 1\%$ of $\max \phi'$")
    ax.legend(fontsize=8)
    return ax


def _first_zero(values):
    """The fewest layers below the top at which ``values`` (l = 0..L) is exactly 0, or None."""
    below = (len(values) - 1 - np.arange(len(values)))[np.asarray(values) == 0]
    return int(below.min()) if below.size else None


def plot_underflow(max_abs, norm, ax=None, rate=None):
    r"""$\log_2$ of the largest $|\partial L/\partial h_l|$ entry and of ``np.linalg.norm``, per layer crossed.

    ``max_abs`` and ``norm`` hold one value per hidden layer $l = 0..L$. Base-2 logarithms
    on a linear axis show float64's limits as round numbers: the smallest positive number is
    $2^{-1074}$, and squares underflow below $2^{-537}$. Exact zeros have no logarithm:
    vertical lines mark where they start. ``rate`` (a per-layer factor) adds the
    straight-line prediction from the top layer.
    """
    ax = axes_or_new(ax)
    max_abs, norm = np.asarray(max_abs, dtype=float), np.asarray(norm, dtype=float)
    k = len(max_abs) - 1 - np.arange(len(max_abs))          # layers crossed, L - l
    with np.errstate(divide="ignore"):
        log_max = np.log2(positive_or_nan(max_abs))
        log_norm = np.log2(positive_or_nan(norm))
    ax.plot(k, log_max, "-", color="tab:blue", label=r"largest entry $\max|\partial\mathcal{L}/\partial h_l|$")
    ax.plot(k, log_norm, "-", color="tab:green", lw=2.5, alpha=0.6, label="np.linalg.norm of the same gradient")
    if rate is not None:
        ax.plot(k, np.log2(max_abs[-1]) + k * np.log2(float(rate)), ":", color="black",
                label=rf"prediction: top $\times\ {float(rate):.3f}^{{\,L-l}}$")
    ax.axhline(-1074, color="tab:red", ls="--", lw=1, label=r"smallest float64, $2^{-1074}$")
    ax.axhline(-537, color="tab:green", ls="--", lw=1, label=r"$2^{-537}$: squares underflow below it")
    for values, color, y in ((max_abs, "tab:blue", -1000), (norm, "tab:green", -300)):
        first = _first_zero(values)
        if first is not None:
            ax.axvline(first, color=color, ls=":", lw=1.2)
            ax.text(first, y, f" exactly 0\n from {first}", color=color, fontsize=8)
    ax.set_ylim(-1150, max(50.0, np.nanmax(log_max) + 50))
    ax.set_xlabel(r"layers crossed by the gradient, $L - l$")
    ax.set_ylabel(r"$\log_2$ of the gradient size")
    ax.legend(fontsize=7, loc="upper right")
    return ax


def plot_lr_sweep(lrs, final_losses, ax=None, label=None, **style):
    """Final training loss against the learning rate: the median over seeds, one faint point per seed.

    ``final_losses`` has shape (len(lrs),) or (len(lrs), seeds). A non-finite loss (a
    divergence) is drawn as a cross at the top edge of the plot.
    """
    ax = axes_or_new(ax)
    lrs = np.asarray(lrs, dtype=float)
    final = np.asarray(final_losses, dtype=float).reshape(len(lrs), -1)
    ok = np.isfinite(final)
    with np.errstate(all="ignore"):
        median = np.array([np.median(row[np.isfinite(row)]) if np.isfinite(row).any() else np.nan
                           for row in final])
    line, = ax.plot(lrs, median, "o-", label=f"{label} (median)" if label else "median", **style)
    color = line.get_color()
    if final.shape[1] > 1:
        for k in range(final.shape[1]):
            ax.plot(lrs[ok[:, k]], final[ok[:, k], k], ".", color=color, alpha=0.4)
    if (~ok).any():
        top = np.nanmax(final[ok]) * 3 if ok.any() else 10.0
        rows = (~ok).any(axis=1)
        ax.plot(lrs[rows], np.full(rows.sum(), top), "x", color=color, ms=8,
                label=f"{label}: diverged" if label else "diverged")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_ylabel("training loss after the last step (MSE)")
    return ax

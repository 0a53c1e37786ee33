"""Plots for recurrent networks through time (chapter 7): ``plot_*(result, ax=None) -> Axes``."""
from __future__ import annotations

import numpy as np
from matplotlib.colors import TwoSlopeNorm

from .common import axes_or_new, on_log_axis, show_message

__all__ = ["plot_jacobian_heatmap", "plot_jacobian_norms", "plot_slopes", "plot_step_factors",
           "plot_lag_gradients", "plot_cliff", "plot_cliff_slice", "plot_adding", "plot_sensitivity",
           "plot_lstm_cell"]

_JAC = r"$\|\partial h_T/\partial h_k\|_2$"
_STYLES = ("-", "--", ":", "-.")          # one line style per seed


def plot_jacobian_heatmap(result, ax=None, colorbar=True):
    r"""$\log_{10}$ of the typical $\|\partial h_T/\partial h_k\|$ over (lag, radius), with the line where it equals 1."""
    ax = axes_or_new(ax, figsize=(7, 4))
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(result.typical)
    low, high = np.nanmin(logs), np.nanmax(logs)
    norm = TwoSlopeNorm(vmin=min(low, -1e-3), vcenter=0.0, vmax=max(high, 1e-3))   # white at norm 1
    mesh = ax.pcolormesh(result.lags, result.radii, logs, cmap="RdBu_r", shading="nearest", norm=norm)
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, label=r"$\log_{10}$ " + _JAC + " (geometric mean)")
    later = result.lags >= 1                      # at lag 0 the norm is exactly 1 everywhere
    if np.nanmin(logs[:, later]) < 0 < np.nanmax(logs[:, later]) and later.sum() > 1:
        ax.contour(result.lags[later], result.radii, logs[:, later], levels=[0.0], colors="k",
                   linewidths=1.2)
        ax.plot([], [], "k-", label="measured norm = 1")
    ax.axhline(1.0, color="k", ls="--", lw=1, label=r"$\sigma_{\max}(W_{hh}) = 1$: vanishing guaranteed below")
    ax.set_xlabel(r"lag $T-k$ (time steps)")
    ax.set_ylabel(r"radius $\rho$ of $W_{hh} = \rho Q$")
    ax.set_title(f"Jacobian norm through time (input scale {result.config.input_scale:g})")
    ax.legend(loc="lower left", fontsize=8)
    if result.message:
        show_message(ax, result.message)
    return ax


def plot_jacobian_norms(result, ax=None, index=0, bound=True):
    r"""$\|\partial h_T/\partial h_k\|$ against the lag for radius number ``index``, with the bound $\sigma_{\max}^{T-k}$."""
    ax = axes_or_new(ax)
    radius, lags = result.radii[index], result.lags
    norms = on_log_axis(result.norms[index])
    with np.errstate(all="ignore"):
        typical = on_log_axis(result.typical[index])
    ax.fill_between(lags, np.nanmin(norms, axis=1), np.nanmax(norms, axis=1), color="tab:blue",
                    alpha=0.2, lw=0, label="range over sequences")
    ax.plot(lags, typical, color="tab:blue", label="geometric mean")
    if bound:
        with np.errstate(over="ignore"):
            ax.plot(lags, on_log_axis(result.sigma_max[index] ** lags.astype(float)), "k--",
                    label=r"bound $\sigma_{\max}^{T-k}$")
    ax.set_yscale("log")
    ax.set_xlabel(r"lag $T-k$ (time steps)")
    ax.set_ylabel(_JAC)
    ax.set_title(rf"$\rho$ = {radius:.2f}, input scale {result.config.input_scale:g}")
    ax.legend(fontsize=8, loc="best")
    if result.message or np.all(np.isnan(typical[1:])):
        show_message(ax, result.message or "every norm underflowed to 0")
    return ax


def plot_slopes(result, ax=None, index=0):
    r"""Mean slope $\tanh'(a_t)$ over units and sequences against the time step $t$."""
    ax = axes_or_new(ax)
    slopes = result.slopes[index]
    ax.plot(np.arange(1, len(slopes) + 1), slopes, color="tab:orange")
    ax.set_ylim(0, 1.05)
    ax.axhline(1.0, color="gray", lw=0.8)
    ax.set_xlabel("time step $t$")
    ax.set_ylabel(r"mean $\tanh'(a_t)$")
    ax.set_title(r"the slopes the bound replaces by $\gamma = 1$")
    return ax


def plot_step_factors(factors, radii, ax=None, sigma_max=None):
    r"""Measured average factor per step against the radius, one curve per input scale.

    ``factors`` maps an input scale to an array of factors (one per radius).
    The bound $\gamma\,\sigma_{\max}$ with $\gamma = 1$ is drawn dashed.
    """
    ax = axes_or_new(ax)
    for scale, f in factors.items():
        ax.plot(radii, f, marker="o", ms=3, label=f"input scale {scale:g}")
    ax.plot(radii, radii if sigma_max is None else sigma_max, "k--", label=r"bound: $\sigma_{\max} = \rho$")
    ax.axhline(1.0, color="gray", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel(r"radius $\rho$ ($= \sigma_{\max}(W_{hh})$)")
    ax.set_ylabel("factor per time step")
    ax.set_title("How fast the Jacobian norm grows or shrinks")
    ax.legend(fontsize=8)
    return ax


def plot_lag_gradients(curves, ax=None):
    r"""$\|\partial\mathcal{L}/\partial x_{T-\text{lag}}\|$ against the lag; ``curves`` maps a label to values."""
    ax = axes_or_new(ax)
    for label, values in curves.items():
        ax.plot(np.arange(len(values)), on_log_axis(values), label=label)
    ax.set_yscale("log")
    ax.set_xlabel("lag (time steps before the last one)")
    ax.set_ylabel(r"$\|\partial\mathcal{L}/\partial x_{T-\mathrm{lag}}\|$")
    ax.set_title("Gradient reaching earlier inputs, at initialization")
    ax.legend(fontsize=8)
    return ax


def plot_cliff(landscape, paths, start, *, T, ax=None, colorbar=True):
    r"""The loss $(h_T - y)^2$ of the one-unit RNN over $(w, b)$ and descent paths from ``start``.

    ``landscape`` is ``(W, B, loss)`` on a mesh; ``paths`` maps a clipping mode
    ("none", "norm", "value") to an array of shape (steps + 1, 2) of $(w, b)$.
    """
    ax = axes_or_new(ax, figsize=(7, 4.5))
    W, B, loss = landscape
    mesh = ax.pcolormesh(W, B, loss, cmap="viridis", shading="auto")
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, label=r"loss $(h_T - y)^2$")
    styles = {"none": ("tab:red", "no clipping"), "norm": ("white", "clipped by norm"),
              "value": ("tab:orange", "clipped by value")}
    for mode, path in paths.items():
        color, label = styles.get(mode, (None, mode))
        ax.plot(path[:, 0], path[:, 1], "-", color=color, lw=1.5, label=label)
        ax.plot(path[-1, 0], path[-1, 1], "o", color=color, ms=6, mec="k")
    ax.plot(*start, "k*", ms=12, label="start")
    ax.set_xlabel("recurrent weight $w$")
    ax.set_ylabel("bias $b$")
    ax.set_title(rf"One-unit RNN, $T = {T}$: a cliff in the loss")
    ax.legend(fontsize=8, loc="center right")
    return ax


def plot_cliff_slice(result, ax=None):
    r"""$|\partial h_T/\partial b|$ against the distance from the wall of the cliff (a CliffSlice)."""
    ax = axes_or_new(ax)
    ax.loglog(result.distances, on_log_axis(result.above), "o-", ms=3, label="above the wall ($h_T > 0$)")
    ax.loglog(result.distances, on_log_axis(result.below), "s-", ms=3, label="below the wall ($h_T < 0$)")
    ax.set_xlabel(rf"distance $|b - b^*|$ from the wall at $b^* = {result.b_wall:.4f}$")
    ax.set_ylabel(r"$|\partial h_T/\partial b|$")
    ax.set_title(f"Approaching the wall ($w = {result.w:g}$)")
    ax.legend(fontsize=8)
    return ax


def _smooth(values, window):
    values = np.asarray(values, dtype=float)
    if len(values) < window:
        return values
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode="valid")


def _color(label):
    return "tab:green" if "LSTM" in label else "tab:purple" if "RNN" in label else None


def plot_adding(curves, ax=None, window=10, baseline=1 / 6, T=None):
    """Training losses (moving average over ``window`` steps), one curve per label, with the baseline.

    ``curves`` maps a label such as "LSTM, seed 0" to the loss at each step.
    """
    ax = axes_or_new(ax)
    for i, (label, losses) in enumerate(curves.items()):
        smooth = _smooth(losses, window)
        ax.plot(np.arange(window - 1, window - 1 + len(smooth)), on_log_axis(smooth),
                color=_color(label), ls=_STYLES[i // 2 % 4], alpha=0.85, label=label)
    ax.axhline(baseline, color="k", ls="--", lw=1, label=r"baseline: predict 1 ($1/6$)")
    ax.set_yscale("log")
    ax.set_xlabel("Adam step")
    ax.set_ylabel(f"training loss (MSE, mean of {window} steps)")
    ax.set_title("The adding problem" + (f", T = {T}" if T else ""))
    ax.legend(fontsize=8, ncol=2)
    return ax


def plot_sensitivity(curves, ax=None):
    r"""RMS of $\partial\hat y/\partial x_{T-\text{lag}}$ against the lag; ``curves`` maps a label to values."""
    ax = axes_or_new(ax)
    for i, (label, s) in enumerate(curves.items()):
        ax.plot(np.arange(len(s)), on_log_axis(s), color=_color(label), ls=_STYLES[i // 2 % 4], label=label)
    ax.set_yscale("log")
    ax.set_xlabel("lag (time steps before the last one)")
    ax.set_ylabel(r"RMS of $\partial \hat y/\partial x_{T-\mathrm{lag}}$")
    ax.set_title("Sensitivity of the prediction after training")
    ax.legend(fontsize=8)
    return ax


def plot_lstm_cell(ax=None):
    r"""A diagram of one LSTM step: the cell path $c_{t-1} \to c_t$ on top (one product with
    $f_t$, one sum), the four gates computed from $[x_t, h_{t-1}]$ below it, and $h_t$."""
    ax = axes_or_new(ax, figsize=(8, 4.2))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 6)
    ax.axis("off")
    box = dict(boxstyle="round,pad=0.3", lw=1.2)
    arrow = dict(arrowstyle="->", lw=1.4, color="k")
    cell_arrow = dict(arrowstyle="->", lw=3, color="tab:green")

    def node(x, y, text, color):
        ax.text(x, y, text, ha="center", va="center", fontsize=11, bbox={**box, "fc": color})

    def link(a, b, style=arrow):
        ax.annotate("", xy=b, xytext=a, arrowprops=style)

    # the cell path: c_{t-1} -> (x f_t) -> (+ i_t g_t) -> c_t
    ax.text(0.2, 5, r"$c_{t-1}$", ha="left", va="center", fontsize=12)
    ax.text(9.8, 5, r"$c_t$", ha="right", va="center", fontsize=12)
    link((0.9, 5), (2.8, 5), cell_arrow)
    node(3.2, 5, r"$\times$", "white")
    link((3.6, 5), (5.4, 5), cell_arrow)
    node(5.8, 5, r"$+$", "white")
    link((6.2, 5), (9.1, 5), cell_arrow)
    ax.text(4.5, 5.45, r"additive path: $\partial c_t/\partial c_{t-1} = \mathrm{diag}(f_t)$",
            ha="center", fontsize=9, color="tab:green")
    # the gates, from [x_t, h_{t-1}]
    gates = [(2.0, r"$f_t = \sigma$", (3.1, 4.65)), (4.0, r"$i_t = \sigma$", (5.15, 3.95)),
             (5.8, r"$\tilde c_t = \tanh$", (5.4, 3.95)), (7.5, r"$o_t = \sigma$", None)]
    ax.text(0.2, 0.6, r"$[x_t,\ h_{t-1}]$", ha="left", va="center", fontsize=12)
    ax.plot([0.5, 7.5], [1.2, 1.2], color="k", lw=1.2)
    for x, label, target in gates:
        ax.plot([x, x], [1.2, 2.0], color="k", lw=1.2)
        node(x, 2.4, label, "#ffe9a8" if "tanh" not in label else "#cfe3ff")
        if target is not None:
            link((x, 2.8), target)
    link((8.0, 2.4), (8.35, 2.4))                                # o_t into the output product
    node(5.3, 3.8, r"$\times$", "white")                         # i_t * g_t
    link((5.3, 4.15), (5.75, 4.65))
    # output: h_t = o_t * tanh(c_t)
    ax.plot([8.6, 8.6], [5.0, 3.4], color="k", lw=1.2)
    node(8.6, 3.1, r"$\tanh$", "#cfe3ff")
    node(8.6, 2.4, r"$\times$", "white")
    link((8.6, 2.05), (8.6, 0.9))
    ax.text(8.6, 0.6, r"$h_t$", ha="center", va="center", fontsize=12)
    ax.text(5.0, 0.15, r"gates: $W_{xh}$, $W_{hh}$, $b_h$ act here; none acts on the path from $c_{t-1}$ to $c_t$",
            ha="center", fontsize=8.5, color="0.3")
    ax.set_title("One LSTM step")
    return ax

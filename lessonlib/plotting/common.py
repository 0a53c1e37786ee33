"""Pieces every plot uses: a fresh Axes when none is given, messages, safe log scales."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["axes_or_new", "show_message", "positive_or_nan", "LOG_RANGE", "on_log_axis", "log_limits"]


def axes_or_new(ax=None, figsize=(6, 3.5)):
    """``ax`` itself, or the Axes of a new figure."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def show_message(ax, message: str):
    """Write ``message`` across the middle of ``ax`` (e.g. an overflow notice)."""
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center",
            wrap=True, fontsize=9, color="tab:red",
            bbox=dict(boxstyle="round", facecolor="white", edgecolor="tab:red"))
    return ax


def positive_or_nan(values) -> np.ndarray:
    """Values with zeros, negatives and non-finite entries replaced by nan, for a log axis."""
    values = np.asarray(values, dtype=float)
    return np.where(np.isfinite(values) & (values > 0), values, np.nan)


#: What a log axis shows: matplotlib overflows while placing ticks and margins for data
#: near the float64 limits (about 1e-308 and 1.8e308), so values outside are left out.
LOG_RANGE = (1e-300, 1e250)


def on_log_axis(values) -> np.ndarray:
    """Values a log axis can show (positive, finite, inside :data:`LOG_RANGE`); the rest nan."""
    values = positive_or_nan(values)
    return np.where((values >= LOG_RANGE[0]) & (values <= LOG_RANGE[1]), values, np.nan)


def log_limits(ax, *arrays):
    """Explicit y-limits for data spanning hundreds of decades (call before plotting): the
    automatic margins would reach beyond the float64 range and overflow while drawing."""
    finite = np.concatenate([np.asarray(a)[np.isfinite(a)].ravel() for a in arrays])
    if finite.size and (finite.max() > 1e150 or finite.min() < 1e-150):
        lo, hi = np.log10(finite.min()), np.log10(finite.max())
        pad = 0.05 * max(hi - lo, 1.0)
        ax.set_ylim(10 ** max(lo - pad, np.log10(LOG_RANGE[0])), 10 ** min(hi + pad, np.log10(LOG_RANGE[1])))

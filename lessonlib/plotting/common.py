"""Pieces every plot uses: a fresh Axes when none is given, messages, safe log scales."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["axes_or_new", "show_message", "positive_or_nan"]


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

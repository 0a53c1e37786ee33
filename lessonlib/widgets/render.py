"""The one drawing routine of every widget, live and for the website's frames.

:func:`render_figure` draws on a reused matplotlib ``Figure`` (:func:`new_figure`, not
registered with pyplot; :func:`reset_axes` clears it cheaply) and renders it to PNG.
Log axes get a few labelled powers of ten and no minor ticks (:func:`fast_log_ticks`):
matplotlib's default of a labelled tick for every decade and eight minor ticks between
them cost more than the computation itself (about 150 of 200 ms on an axis spanning
100 decades). :mod:`lessonlib.widgets.common` (a live widget) and
:mod:`lessonlib.widgets.frames` (the website's frames) both draw through this module.
"""
from __future__ import annotations

import io
import math
import warnings

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

__all__ = ["render_figure", "new_figure", "fast_log_ticks", "power_of_ten_label", "reset_axes", "FRAMES_ENV"]

#: Set by the book build (_ext/explorable.py): the folder where widgets save their website frames.
FRAMES_ENV = "LESSONLIB_FRAMES_DIR"

_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def power_of_ten_label(value, _pos=None) -> str:
    """``1e-05`` as ``10⁻⁵`` in plain Unicode (no mathtext to parse); other values as ``%g``."""
    if value <= 0 or not math.isfinite(value):
        return ""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return f"{value:g}"
    exponent = int(round(exponent))
    return {0: "1", 1: "10"}.get(exponent, "10" + str(exponent).translate(_SUPERSCRIPT))


def fast_log_ticks(fig, max_ticks: int = 6) -> None:
    """On every log axis of ``fig``: at most ``max_ticks`` labelled powers of ten, no minor ticks.

    An axis that spans less than two decades keeps minor ticks at 2 and 5 times each
    power of ten, labelled, so that it never shows fewer than two labels.
    """
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() != "log":
                continue
            lo, hi = sorted(abs(float(v)) for v in axis.get_view_interval())
            decades = math.log10(hi) - math.log10(lo) if 0 < lo <= hi < math.inf else math.inf
            axis.set_major_locator(LogLocator(base=10, numticks=max_ticks))
            axis.set_major_formatter(FuncFormatter(power_of_ten_label))
            if decades < 2:
                axis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0), numticks=max_ticks))
                axis.set_minor_formatter(FuncFormatter(power_of_ten_label))
            else:
                axis.set_minor_locator(NullLocator())


def reset_axes(ax) -> None:
    """Make ``ax`` as a new Axes would be, but keep its two Axis objects and their ticks.

    ``ax.clear()`` throws the ticks away, and creating them again is the largest
    part of a redraw (about 20 of 70 ms here). This removes what the plotting functions
    add (lines, collections, patches, texts, containers, the legend, titles, labels)
    and resets what they change (scales, locators, limits, the colour cycle, aspect,
    grid). The widget tests check that a redraw after this looks exactly like a
    drawing on a new figure.
    """
    for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts, *ax.images, *ax.artists]:
        artist.remove()
    ax.containers.clear()         # (references only, but they would pile up)
    if ax.legend_ is not None:
        ax.legend_.remove()
    for loc in ("center", "left", "right"):
        ax.set_title("", loc=loc)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xscale("linear")       # also resets locators and formatters (set_xticks, minorticks_off)
    ax.set_yscale("linear")
    ax.grid(False)
    ax.set_aspect("auto")
    ax.set_prop_cycle(None)
    ax.ignore_existing_data_limits = True
    ax.set_autoscale_on(True)
    ax.set_xmargin(matplotlib.rcParams["axes.xmargin"])
    ax.set_ymargin(matplotlib.rcParams["axes.ymargin"])


def render_figure(fig, draw, ncols: int, values: dict) -> tuple[bytes, str]:
    """Draw ``values`` on ``fig`` with ``draw`` and render it: (PNG bytes, error message or "").

    The one drawing routine of every widget, in a live kernel and for the website's
    precomputed frames alike (:mod:`lessonlib.widgets.frames`). ``fig`` is reused:
    if it holds ``ncols`` axes they are reset (:func:`reset_axes`), otherwise new
    ones are made. Anything that goes wrong inside ``draw`` (an overflow, a value out
    of range) becomes a message in the figure instead of a traceback, and numpy's
    floating-point warnings are silenced while drawing AND rendering (matplotlib's
    log axes can overflow near 1e308): the plots report overflow themselves.
    """
    error = ""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        axes = fig.axes
        if len(axes) == ncols:
            for ax in axes:
                reset_axes(ax)
        else:                        # first draw, after an error (it cleared the figure), or extra axes
            fig.clf()
            axes = list(fig.subplots(1, ncols, squeeze=False)[0])
        try:
            draw(axes, **values)
            fast_log_ticks(fig)
        except (ValueError, FloatingPointError, OverflowError, np.linalg.LinAlgError) as err:
            error = f"{type(err).__name__}: {err}"
            fig.clf()
            fig.text(0.5, 0.5, f"Cannot draw these settings:\n{err}", ha="center",
                     va="center", color="tab:red", wrap=True)
        # fixed margins: tight_layout would cost ~140 ms a redraw
        fig.subplots_adjust(left=0.1, right=0.97, bottom=0.16, top=0.88, wspace=0.35)
        png = io.BytesIO()
        fig.savefig(png, format="png")
    return png.getvalue(), error


def new_figure(figsize, dpi) -> Figure:
    """A matplotlib Figure with an Agg canvas, not registered with pyplot."""
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig

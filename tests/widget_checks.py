"""Checks that the widget tests of every topic share (imported by the tests; not collected)."""
from __future__ import annotations

import time
import warnings

import numpy as np

from lessonlib.widgets.common import control_ends
from lessonlib.widgets.render import new_figure, render_figure

#: A widget's redraw may cost at most this many plain redraws of a figure of its size
#: (:func:`redraw_ratio`), measured side by side so that a slower or busier machine moves
#: both alike: the computation may take as long as the drawing. Measured: 0.84-1.40 for
#: the seven widgets of chapters 2-7, on a machine where a plain redraw took 118-157 ms.
REDRAW_BUDGET = 2.0


def drive_to_ends(box, *, restore=False, after=None) -> None:
    """Set every control of ``box`` to each of its ends and assert that every draw succeeded.

    Warnings are errors meanwhile. Settings accumulate (a depth at its maximum meets
    a batch at its maximum) unless ``restore``, which puts each control back to its
    value before moving on to the next. ``after(name, value)`` runs after each draw.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, control in box.controls.items():
            start = control.value
            for value in control_ends(control):
                control.value = value
                assert box.last_error == "", (name, value, box.last_error)
                if after is not None:
                    after(name, value)
            if restore:
                control.value = start


def redraw_times(box, repeats: int = 5) -> list:
    """Seconds of ``repeats`` redraws at the current settings, PNG rendering included."""
    times = []
    for _ in range(repeats):
        box.redraw()
        times.append(box.last_seconds)
    return times


def _plain_draw(axes):
    x = np.arange(1.0, 51.0)
    for ax in axes:
        for k in range(3):
            ax.plot(x, x ** -(k + 1.0), label=f"line {k + 1}")
        ax.set(xlabel="x", ylabel="y", yscale="log", title="a plain figure")
        ax.legend(fontsize=8)


def redraw_ratio(box, repeats: int = 5):
    """(ratio, widget seconds, plain seconds): the fastest of ``repeats`` redraws of ``box``
    over the fastest rendering of a plain figure of the same size (two log axes, three
    labelled lines and a legend each, PNG included), the two measured alternately."""
    opts = box.figure_options
    fig = new_figure(opts["figsize"], opts["dpi"])
    widget, plain = [], []
    for _ in range(repeats):
        box.redraw()
        widget.append(box.last_seconds)
        start = time.perf_counter()
        render_figure(fig, lambda axes: _plain_draw(axes), opts["ncols"], {})
        plain.append(time.perf_counter() - start)
    return min(widget) / min(plain), widget, plain

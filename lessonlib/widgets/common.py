"""The wiring shared by every widget: controls, a safe redraw, and an output area."""
from __future__ import annotations

import time
import warnings

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["interactive_figure", "control_ends"]


def interactive_figure(controls: dict, draw, *, figsize=(9, 3.5), ncols=2):
    """A box of ``controls`` above a figure that ``draw(fig_axes, **values)`` fills.

    The figure is redrawn whenever a control changes. Anything that goes wrong
    inside ``draw`` (an overflow, a value out of range) is shown as a message in
    the output area instead of a traceback, and numpy's floating-point warnings
    are silenced there: the plots report overflow themselves. The returned box
    has ``controls`` (the dict) and ``last_seconds`` (the last redraw's duration).
    """
    out = W.Output()
    box = W.VBox([W.HBox(list(controls.values()), layout=W.Layout(flex_flow="row wrap")), out])
    box.controls = controls
    box.last_seconds = float("nan")
    box.last_error = ""

    def redraw(_change=None):
        start = time.perf_counter()
        values = {name: c.value for name, c in controls.items()}
        out.clear_output(wait=True)
        # numpy's warnings are silenced while drawing AND rendering (matplotlib's log
        # axes can overflow near 1e308): the plots report overflow themselves.
        with out, np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fig, axes = plt.subplots(1, ncols, figsize=figsize, squeeze=False)
            try:
                draw(axes[0], **values)
                box.last_error = ""
            except (ValueError, FloatingPointError, OverflowError, np.linalg.LinAlgError) as err:
                box.last_error = f"{type(err).__name__}: {err}"
                fig.clf()
                fig.text(0.5, 0.5, f"Cannot draw these settings:\n{err}", ha="center",
                         va="center", color="tab:red", wrap=True)
            fig.subplots_adjust(left=0.1, right=0.97, bottom=0.16, top=0.88, wspace=0.35)
            plt.show()   # (tight_layout would cost ~140 ms a redraw: fixed margins instead)
        plt.close(fig)
        box.last_seconds = time.perf_counter() - start

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    return box


def control_ends(control) -> list:
    """The extreme values of a control: every option of a dropdown, or a slider's two ends.

    A ``FloatLogSlider`` stores its ends as exponents, so they are returned as
    ``base ** min`` and ``base ** max``. Tests drive every widget to these values.
    """
    if hasattr(control, "options"):
        return list(control.options)
    if type(control).__name__ == "FloatLogSlider":
        return [control.base ** control.min, control.base ** control.max]
    return [control.min, control.max]

"""The wiring shared by every widget: controls, a safe and fast redraw, and an image.

The drawing routine itself is :mod:`lessonlib.widgets.render` (re-exported here). A redraw reuses one matplotlib ``Figure`` (not registered with pyplot), renders it
to PNG itself and sends the bytes to an ``ipywidgets.Image``. That is one message
to the browser per redraw, and the time ``last_seconds`` reports is the whole
cost, rendering included. Log axes get a few labelled powers of ten and no minor
ticks (:func:`fast_log_ticks`): matplotlib's default of a labelled tick for every
decade and eight minor ticks between them cost more than the computation itself
(about 150 of 200 ms on an axis spanning 100 decades).
"""
from __future__ import annotations

import os
import time

import ipywidgets as W

from .frames import render_site_frames
from .render import FRAMES_ENV, fast_log_ticks, new_figure, power_of_ten_label, render_figure, reset_axes

__all__ = ["interactive_figure", "render_figure", "new_figure", "control_ends", "fast_log_ticks",
           "power_of_ten_label", "reset_axes", "FRAMES_ENV"]

def interactive_figure(controls: dict, draw, *, figsize=(9, 3.5), ncols=2, dpi=80, explore=None):
    """A box of ``controls`` above an image of a figure that ``draw(axes, **values)`` fills.

    ``axes`` is a list of ``ncols`` matplotlib Axes side by side; ``values`` maps each
    control's name to its value.

    The figure is redrawn whenever a control changes (:func:`render_figure`: a
    failed draw shows its message in the figure). The returned box has
    ``controls`` (the dict), ``image`` (the ``ipywidgets.Image``), ``figure``,
    ``redraw()`` (draw again with the current values), ``last_seconds`` (the last
    redraw's duration, PNG rendering included), ``last_error`` (the message of
    the last failed draw, or ""), and ``draw`` and ``figure_options`` (what
    :mod:`lessonlib.widgets.frames` needs to render the same figure elsewhere).

    For the static website: when the book build sets the environment variable
    ``LESSONLIB_FRAMES_DIR``, the figure is also rendered for every website position
    of every control, plus a grid over the two controls named by ``explore``
    (default: the first two), and saved there (:mod:`lessonlib.widgets.frames`).
    Nothing of that happens in a live kernel or under pytest.
    """
    fig = new_figure(figsize, dpi)
    image = W.Image(format="png", layout=W.Layout(max_width="100%", height="auto"))
    box = W.VBox([W.HBox(list(controls.values()), layout=W.Layout(flex_flow="row wrap")), image])
    box.controls, box.image, box.figure = controls, image, fig
    box.draw = draw
    box.figure_options = {"figsize": figsize, "ncols": ncols, "dpi": dpi, "explore": explore}
    box.last_seconds = float("nan")
    box.last_error = ""

    def redraw(_change=None):
        start = time.perf_counter()
        png, box.last_error = render_figure(fig, draw, ncols, {name: c.value for name, c in controls.items()})
        image.value = png
        box.last_seconds = time.perf_counter() - start

    box.redraw = redraw
    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    if os.environ.get(FRAMES_ENV):             # only in the book build
        render_site_frames(box, out=os.environ[FRAMES_ENV])
    return box


def control_ends(control) -> list:
    """The extreme values of a control: every option of a dropdown, both states of a
    checkbox, or a slider's two ends.

    A ``FloatLogSlider`` stores its ends as exponents, so they are returned as
    ``base ** min`` and ``base ** max``. Tests drive every widget to these values.
    """
    if hasattr(control, "options"):
        return list(control.options)
    if isinstance(control.value, bool):
        return [not control.value, control.value]
    if type(control).__name__ == "FloatLogSlider":
        return [control.base ** control.min, control.base ** control.max]
    return [control.min, control.max]

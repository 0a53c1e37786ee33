"""Checks that the widget tests of every topic share (imported by the tests; not collected)."""
from __future__ import annotations

import warnings

from lessonlib.widgets.common import control_ends


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

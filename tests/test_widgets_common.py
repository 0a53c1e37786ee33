"""lessonlib.widgets.common: the redraw that every widget shares.

A redraw reuses one figure and resets its axes with ``reset_axes`` instead of
making new ones (it saves a third of the time). These tests check that this
leaves nothing behind: after every control of every widget has been driven to
its ends, the image equals the image drawn on a new figure with the same settings.
"""
from __future__ import annotations

import importlib
import io
import pkgutil

import matplotlib.image
import numpy as np
import pytest
from matplotlib.figure import Figure

import lessonlib.widgets
from lessonlib.widgets.common import (control_ends, fast_log_ticks, interactive_figure,
                                      power_of_ten_label)
from widget_checks import drive_to_ends  # tests/widget_checks.py


def _factories():
    found = {}
    for info in pkgutil.iter_modules(lessonlib.widgets.__path__):
        module = importlib.import_module(f"lessonlib.widgets.{info.name}")
        for name, obj in vars(module).items():
            if name.endswith("_widget") and callable(obj) and obj.__module__ == module.__name__:
                found[f"{info.name}.{name}"] = obj
    return found


FACTORIES = _factories()


def _pixels(png: bytes) -> np.ndarray:
    return matplotlib.image.imread(io.BytesIO(png), format="png")


def _same_as_new_figure(box):
    """The current image, and the image of the same settings drawn on a new figure."""
    reused = box.image.value
    box.figure.clf()            # no axes left: the next redraw builds new ones
    box.redraw()
    return _pixels(reused), _pixels(box.image.value)


def test_every_widget_module_has_a_factory():
    assert len(FACTORIES) >= 6, sorted(FACTORIES)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_a_reused_figure_draws_like_a_new_one(name):
    box = FACTORIES[name]()

    def compare(label, value):
        reused, new = _same_as_new_figure(box)
        assert reused.shape == new.shape and np.array_equal(reused, new), (
            f"{name}: after {label} = {value!r} the reused figure differs from a new one "
            f"in {np.mean(np.any(reused != new, axis=-1)):.1%} of the pixels")

    drive_to_ends(box, restore=True, after=compare)


def _kitchen_sink(axes, variant):
    """Draws that each leave something behind that a new Axes would not have."""
    x = np.linspace(1, 10, 20)
    ax = axes[0]
    if variant == "plain":
        ax.plot(x, x)                              # default colour, linear scales, autoscaled
    elif variant == "styled":
        ax.plot(x, x ** 3, label="cube")           # advances the colour cycle ...
        ax.plot(x, x ** 2, label="square")
        ax.set_yscale("log")
        ax.set_xscale("log")
        ax.set_ylim(1e-2, 1e4)                     # ... fixes limits, turns autoscaling off
        ax.set_xticks([2, 5])
        ax.set_title("left", loc="left")
        ax.set_title("centre")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.legend()
        ax.grid(True)
        ax.set_aspect(0.5)
        ax.margins(0.3)
        ax.axhline(1.0, color="k")
        ax.text(0.5, 0.5, "note", transform=ax.transAxes)
        ax.fill_between(x, x, 2 * x, alpha=0.3)
        ax.errorbar(x[:3], x[:3], yerr=0.1)
        ax.bar([3, 4], [5, 6])
        ax.imshow(np.eye(3), extent=(1, 3, 1, 3))
    axes[1].plot(x, -x)


def test_reset_axes_undoes_everything_a_draw_can_change():
    import ipywidgets as W

    variant = W.Dropdown(options=["plain", "styled"], value="plain")
    box = interactive_figure({"variant": variant}, _kitchen_sink)
    for value in ("styled", "plain", "styled", "plain"):
        variant.value = value
        assert box.last_error == ""
        if value == "plain":    # the errorbar and bars of "styled" left no containers behind
            assert not box.figure.axes[0].containers
        reused, new = _same_as_new_figure(box)
        assert np.array_equal(reused, new), f"after variant {value!r} the reused figure differs from a new one"


def test_a_failed_draw_shows_its_message_and_the_next_draw_recovers():
    import ipywidgets as W

    slider = W.IntSlider(value=1, min=0, max=2)

    def draw(axes, k):
        if k == 0:
            raise ValueError("k must be positive")
        axes[0].plot([1, 2, 3], [1, 10 ** k, 100])
        axes[0].set_yscale("log")

    box = interactive_figure({"k": slider}, draw)
    good = box.image.value
    slider.value = 0
    assert box.last_error == "ValueError: k must be positive"
    assert box.image.value != good and len(box.figure.axes) == 0
    slider.value = 1
    assert box.last_error == "" and len(box.figure.axes) == 2
    assert np.array_equal(_pixels(box.image.value), _pixels(good))
    assert box.last_seconds > 0


@pytest.mark.parametrize("value, label", [
    (1.0, "1"), (10.0, "10"), (100.0, "10²"), (1e-5, "10⁻⁵"), (1e-300, "10⁻³⁰⁰"),
    (2e-3, "0.002"), (0.0, ""), (-1.0, ""), (float("inf"), ""), (float("nan"), ""),
])
def test_power_of_ten_label(value, label):
    assert power_of_ten_label(value) == label


@pytest.mark.parametrize("lo, hi, most", [(1e-300, 1.0, 6), (1e-3, 1e3, 6), (0.5, 3.0, 6)])
def test_fast_log_ticks_labels_at_most_a_few_and_at_least_two(lo, hi, most):
    fig = Figure()
    ax = fig.subplots()
    ax.plot([0, 1], [lo, hi])
    ax.set_yscale("log")
    fast_log_ticks(fig, max_ticks=most)
    fig.canvas.draw() if fig.canvas is not None else None
    ymin, ymax = ax.get_ylim()
    shown = [t for t in ax.yaxis.get_majorticklocs() if ymin <= t <= ymax]
    minor = [t for t in ax.yaxis.get_minorticklocs() if ymin <= t <= ymax]
    assert len(shown) <= most + 1
    assert len(shown) + len(minor) >= 2
    labels = [power_of_ten_label(t) for t in shown + minor]
    assert all("$" not in s for s in labels)


def test_control_ends():
    import ipywidgets as W

    assert control_ends(W.IntSlider(value=3, min=1, max=9)) == [1, 9]
    assert control_ends(W.FloatLogSlider(value=1, base=10, min=-2, max=2)) == [0.01, 100.0]
    assert control_ends(W.Dropdown(options=["a", "b"], value="a")) == ["a", "b"]
    assert control_ends(W.Checkbox(value=True)) == [False, True]

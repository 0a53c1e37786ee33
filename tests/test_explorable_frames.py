"""The website's precomputed frames (lessonlib.widgets.frames) are the widget's figures.

The book build renders every widget's figure for every website position of every
control, in forked workers, as lossless WebP. Here, for every widget factory, a sample
of those frames (the start, a slider end, a grid corner and a random setting) is
rendered by the same code and compared, pixel for pixel, with a NEW widget whose
controls are set to those values. The build itself checks three frames of each widget
against the very widget of the notebook (frames.check_frames).
"""
from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image

from lessonlib.widgets import frames
from test_widgets_common import FACTORIES  # every *_widget of lessonlib.widgets


def _pixels(image: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(image)).convert("RGBA"))


def _specs(box):
    return [frames.control_spec(name, c) for name, c in box.controls.items()]


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_sampled_frames_equal_a_new_widget(name):
    box = FACTORIES[name]()
    specs = _specs(box)
    keys = frames.frame_keys(specs, box.figure_options["explore"])
    start = keys[0]
    end = list(start)
    slider = next((i for i, s in enumerate(specs) if s["kind"] == "range"), 0)
    end[slider] = len(specs[slider]["values"]) - 1
    sample = [start, tuple(end), keys[-1], random.Random(0).choice(keys)]
    assert tuple(end) in keys
    opts = {k: v for k, v in box.figure_options.items() if k != "explore"}
    rendered = frames.render_frames(specs, box.draw, sample, processes=2, **opts)
    assert [k for k, _, _ in rendered] == sample or sorted(k for k, _, _ in rendered) == sorted(sample)
    fresh = FACTORIES[name]()
    for key, webp, error in rendered:
        for spec, j in zip(specs, key):
            fresh.controls[spec["name"]].value = spec["values"][j]
        assert error == fresh.last_error
        live, frame = _pixels(fresh.image.value), _pixels(webp)
        setting = {s["name"]: s["labels"][j] for s, j in zip(specs, key)}
        assert live.shape == frame.shape and np.array_equal(live, frame), (
            f"{name} at {setting}: frame differs from the widget in "
            f"{np.mean(np.any(live != frame, axis=-1)):.1%} of the pixels")


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_every_position_of_every_control_is_swept(name):
    box = FACTORIES[name]()
    specs = _specs(box)
    keys = set(frames.frame_keys(specs, box.figure_options["explore"]))
    start = tuple(s["start"] for s in specs)
    for i, spec in enumerate(specs):
        values = spec["values"]
        assert values[spec["start"]] == box.controls[spec["name"]].value, spec["name"]
        if spec["kind"] == "range":
            control = box.controls[spec["name"]]
            lo, hi = (control.base ** control.min, control.base ** control.max) \
                if type(control).__name__ == "FloatLogSlider" else (control.min, control.max)
            assert values[0] == pytest.approx(lo) and values[-1] == pytest.approx(hi), spec["name"]
            assert len(values) <= frames.SLIDER_POSITIONS + 1
            assert values == sorted(values) and len(set(values)) == len(values)
        elif spec["kind"] == "select":
            assert values == list(box.controls[spec["name"]].options)
        for j in range(len(values)):
            assert start[:i] + (j,) + start[i + 1:] in keys, (spec["name"], spec["labels"][j])


def test_slider_positions_are_values_the_slider_holds():
    """Setting a website value on the Python slider keeps it exactly (no rounding, no clamping)."""
    for name, factory in FACTORIES.items():
        box = factory()
        for spec in _specs(box):
            control = box.controls[spec["name"]]
            control.unobserve(box.redraw, names="value")   # no redraw: only the value matters here
            for value in spec["values"]:
                control.value = value
                assert control.value == value, (name, spec["name"], value, control.value)


def test_the_grid_covers_the_two_explored_controls():
    import ipywidgets as W

    controls = {"a": W.Dropdown(options=["x", "y", "z"], value="y"),
                "b": W.IntSlider(value=3, min=0, max=100),
                "c": W.Checkbox(value=False)}
    specs = [frames.control_spec(n, c) for n, c in controls.items()]
    assert [s["labels"] for s in specs][0] == ["x", "y", "z"]
    assert specs[1]["labels"][:3] == ["0", "3", "5"] and specs[1]["labels"][-1] == "100"
    keys = frames.frame_keys(specs, ("a", "c"))
    assert {(a, specs[1]["start"], c) for a in range(3) for c in range(2)} <= set(keys)
    sweep = 1 + sum(len(s["values"]) for s in specs) - len(specs)
    assert len(keys) == sweep + 2   # the grid's 3 x 2, less the 4 the sweep already has


def test_to_webp_is_lossless():
    box = next(iter(FACTORIES.values()))()
    assert np.array_equal(_pixels(box.image.value), _pixels(frames.to_webp(box.image.value)))

"""Chapter 8's widget: every control at its ends draws without error; the runner is pure;
a redraw at a setting already trained is as fast as the other widgets'."""
import matplotlib
import numpy as np
import pytest

from lessonlib.experiments.transformers import ExplorerConfig, run_explorer
from lessonlib.widgets.transformers import TRANSFORMER_CONTROLS, plot_transformer, transformer_widget
from widget_checks import drive_to_ends, redraw_times


def test_runner_is_a_pure_function_of_its_settings():
    cfg = ExplorerConfig(n_blocks=2, steps=5)
    a, b = run_explorer(cfg), run_explorer(cfg)
    assert np.array_equal(a.train.losses, b.train.losses)
    assert np.array_equal(a.init["post"].block_grad, b.init["post"].block_grad)
    with pytest.raises(ValueError, match="arrangement must be 'pre' or 'post'"):
        run_explorer(ExplorerConfig(arrangement="sandwich"))


def test_every_control_at_its_ends_never_crashes():
    box = transformer_widget(steps=5, n_blocks=2)
    assert set(box.controls) == set(TRANSFORMER_CONTROLS) and box.last_error == ""
    drive_to_ends(box, restore=True)


def test_unknown_control_is_named():
    with pytest.raises(ValueError, match="no control for"):
        transformer_widget(show=("depth",))


def test_the_kept_run_is_the_run_itself():
    cfg = ExplorerConfig(n_blocks=2, steps=5)
    fresh = run_explorer(cfg)
    fig = matplotlib.figure.Figure()
    axes = fig.subplots(1, 2)
    cache = {}
    first = plot_transformer(axes, cache=cache, **cfg.__dict__)
    again = plot_transformer(axes, cache=cache, **cfg.__dict__)
    assert list(cache) == [cfg] and again.train is first.train
    assert np.array_equal(first.train.losses, fresh.train.losses)
    for arr in ("post", "pre"):
        assert np.array_equal(again.init[arr].block_grad, fresh.init[arr].block_grad)


def test_redraw_is_fast_at_the_defaults_and_at_the_slowest_end():
    box = transformer_widget()
    times = redraw_times(box)
    print(f"redraw at the default settings: {min(times) * 1000:.0f} ms")
    assert min(times) < 0.15, times   # 20-40 ms alone; margin for the other pytest worker
    # the slowest end: the deepest stack (two backward passes of 16 blocks at every redraw)
    for name, value in (("n_blocks", 16), ("logit_scale", 16.0), ("lr", 0.1), ("warmup", 40)):
        box.controls[name].value = value
    assert box.last_error == "" and len(box.trained) == 5     # each new setting trained once
    times = redraw_times(box)
    print(f"redraw at 16 blocks: {min(times) * 1000:.0f} ms")
    assert min(times) < 0.15, times
    assert len(box.trained) == 5                              # a redraw trained nothing

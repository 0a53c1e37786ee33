"""Chapter 8's widget: every control at its ends draws without error; the runner is pure;
a redraw never waits for a training run (background mode, as in a live kernel), and the
curve it draws in the background is the one a complete draw shows."""
import io
import time

import matplotlib
import numpy as np
import pytest
from PIL import Image

from lessonlib.checks import InputError
from lessonlib.experiments.transformers import (ExplorerConfig, InitGradConfig, ModelConfig, TrainConfig,
                                                run_explorer, run_training)
from lessonlib.widgets.transformers import TRANSFORMER_CONTROLS, plot_transformer, transformer_widget
from widget_checks import drive_to_ends, redraw_times


def _pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_runner_is_a_pure_function_of_its_settings():
    cfg = ExplorerConfig(n_blocks=2, steps=5)
    a, b = run_explorer(cfg), run_explorer(cfg)
    assert np.array_equal(a.train.losses, b.train.losses)
    assert np.array_equal(a.init["post"].block_grad, b.init["post"].block_grad)
    with pytest.raises(InputError, match="unknown arrangement 'sandwich'"):
        run_explorer(ExplorerConfig(arrangement="sandwich"))


def test_the_configs_share_one_model_description():
    shared = set(ModelConfig.__dataclass_fields__)
    for cls in (InitGradConfig, TrainConfig, ExplorerConfig):
        assert issubclass(cls, ModelConfig) and shared <= set(cls.__dataclass_fields__)
    assert (InitGradConfig().arrangement, TrainConfig().arrangement, ExplorerConfig().arrangement) == ("post", "pre", "post")
    assert (ExplorerConfig().batch, ExplorerConfig().steps, TrainConfig().steps) == (16, 40, 150)


def test_a_stopped_run_ends_where_it_was_stopped():
    asked = []
    run = run_training(TrainConfig(n_blocks=1, steps=10), stop=lambda: len(asked) > 3 or asked.append(1))
    assert np.isfinite(run.losses[:4]).all() and np.isnan(run.losses[4:]).all()


@pytest.mark.parametrize("background", [False, True])
def test_every_control_at_its_ends_never_crashes(background):
    box = transformer_widget(steps=5, n_blocks=2, background=background)
    assert set(box.controls) == set(TRANSFORMER_CONTROLS) and box.last_error == ""

    def finished(name, value):
        box.wait()
        assert box.last_error == "", (name, value, box.last_error)

    drive_to_ends(box, restore=True, after=finished)


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
    assert cfg in cache and len(cache) == 3 and again.train is first.train     # the run, two inits
    assert np.array_equal(first.train.losses, fresh.train.losses)
    for arr in ("post", "pre"):
        assert np.array_equal(again.init[arr].block_grad, fresh.init[arr].block_grad)


def test_the_background_draw_ends_as_the_complete_draw():
    settings = {"n_blocks": 3, "lr": 0.1, "warmup": 10}
    live = transformer_widget(steps=8, background=True)
    for name, value in settings.items():
        live.controls[name].value = value
    waiting = _pixels(live.image.value)
    live.wait()
    complete = transformer_widget(steps=8, background=False, **settings)
    assert np.array_equal(_pixels(live.image.value), _pixels(complete.image.value))
    assert not np.array_equal(waiting, _pixels(complete.image.value))    # the grey stand-in first


def test_a_newer_setting_stops_the_older_run():
    box = transformer_widget(background=True)
    box.controls["n_blocks"].value = 16
    older = box.training
    box.controls["lr"].value = 0.1                 # before the 16-block run can end
    older.join()
    box.wait()
    assert ExplorerConfig(n_blocks=16) not in box.trained and ExplorerConfig(n_blocks=16, lr=0.1) in box.trained


def _seconds(work):
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def test_after_a_run_every_setting_one_slider_away_has_its_gradients_at_init():
    scales = [2.0 ** e for e in np.arange(-2, 4.25, 0.5)]         # the logit-scale slider's positions
    box = transformer_widget(background=True, steps=3, n_blocks=2)
    box.controls["logit_scale"].value = 4.0
    box.wait()
    for arr in ("post", "pre"):
        assert all(("init", arr, n, 4.0, 0) in box.trained for n in range(1, 17))
        assert all(("init", arr, 2, c, 0) in box.trained for c in scales)
    box.controls["n_blocks"].value = 16          # a new setting: its run trains in the background
    assert ExplorerConfig(n_blocks=16, logit_scale=4.0, steps=3) not in box.trained
    box.wait()
    assert ExplorerConfig(n_blocks=16, logit_scale=4.0, steps=3) in box.trained
    assert all(("init", "pre", 16, c, 0) in box.trained for c in scales)


def test_a_first_redraw_is_as_fast_as_a_repeated_one():
    """Side by side, at the slowest end (16 blocks, a logit scale not drawn before): the
    first redraw costs no more than a repeated redraw plus one backward pass, and a small
    fraction of the training run that a complete draw would wait for."""
    box = transformer_widget(background=True, n_blocks=16)
    first, repeat, train = [], [], []
    for lr, scale in ((0.1, 0.25), (0.01, 16.0), (0.001, 4.0)):
        box.controls["lr"].value = lr
        box.controls["logit_scale"].value = scale     # (stops the run the lr change started)
        first.append(box.last_seconds)
        box.wait()
        repeat.append(min(redraw_times(box, 3)))
        train.append(_seconds(lambda: run_training(ExplorerConfig(n_blocks=16, lr=lr, logit_scale=scale))))
    first, repeat, train = map(np.median, (first, repeat, train))
    print(f"16 blocks: first redraw {first * 1000:.0f} ms, repeated {repeat * 1000:.0f} ms, "
          f"training run {train * 1000:.0f} ms")
    assert first < 2.5 * repeat and first < 0.3 * train

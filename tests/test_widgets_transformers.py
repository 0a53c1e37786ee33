"""Chapter 8's widget: every control at its ends draws without error; the runner is pure."""
import numpy as np
import pytest

from lessonlib.experiments.transformers import ExplorerConfig, run_explorer
from lessonlib.widgets.transformers import TRANSFORMER_CONTROLS, transformer_widget
from widget_checks import drive_to_ends


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

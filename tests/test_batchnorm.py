"""Chapter 5's experiments, plots and widget (batch normalization)."""
import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from lessonlib.experiments.batchnorm import BNProfileConfig, growth_factor, predict, run_bn_profile
from lessonlib.losses import label_entropy
from lessonlib.normalization import bn_mlp, recompute_statistics
from lessonlib.theory import RELU_LARGE_BATCH_GROWTH, large_batch_growth
from lessonlib.experiments.profiles import ProfileConfig, run_profile  # noqa: E402
from lessonlib.normalization import BNMLP  # noqa: E402
from lessonlib.plotting.batchnorm import (  # noqa: E402
    plot_bn_losses, plot_growth_sweep, plot_histograms, plot_mode_comparison)
from lessonlib.widgets.batchnorm import BN_CONTROLS, bn_gradient_widget  # noqa: E402
from widget_checks import REDRAW_BUDGET, drive_to_ends, redraw_ratio  # noqa: E402  (tests/widget_checks.py)


def test_label_entropy_is_chance_level():
    assert label_entropy(np.repeat([0, 1, 2], 5)) == pytest.approx(np.log(3), rel=1e-15)
    y = np.repeat([0, 1, 2], [70, 20, 10])
    p = np.array([0.7, 0.2, 0.1])
    assert label_entropy(y) == pytest.approx(-np.sum(p * np.log(p)), rel=1e-14)
    assert label_entropy(y) < np.log(3)
    assert label_entropy(np.zeros(4, dtype=int)) == 0.0


def test_large_batch_growth_closed_forms():
    assert RELU_LARGE_BATCH_GROWTH == pytest.approx(np.sqrt(np.pi / (np.pi - 1)), rel=1e-15)
    assert large_batch_growth("relu") == pytest.approx(RELU_LARGE_BATCH_GROWTH, rel=1e-7)
    assert large_batch_growth("identity") == pytest.approx(1.0, rel=1e-12)
    assert large_batch_growth(lambda h: 3.0 * h) == pytest.approx(1.0, rel=1e-12)
    assert 1.0 < large_batch_growth("sigmoid") < large_batch_growth("tanh") < RELU_LARGE_BATCH_GROWTH
    with pytest.raises(ValueError, match="unknown activation"):
        large_batch_growth("swish")


def test_growth_factor_of_a_geometric_sequence():
    assert growth_factor(1.3 ** -np.arange(1, 11)) == pytest.approx(1.3, rel=1e-12)
    assert np.isnan(growth_factor([1.0, 0.0, 2.0])) and np.isnan(growth_factor([1.0]))


def test_bn_profile_without_bn_is_the_shared_profile():
    mine = run_bn_profile(BNProfileConfig(activation="tanh", init="xavier_normal", depth=5, width=16,
                                          batch=12, bn=False, seed=4))
    shared = run_profile(ProfileConfig(activation="tanh", init="xavier_normal", depth=5, width=16,
                                       batch=12, seed=4))
    np.testing.assert_array_equal(mine["grad_h_rms"], shared["grad_h_rms"])


def test_bn_profile_grows_towards_the_input_for_relu():
    result = run_bn_profile(BNProfileConfig(depth=12, width=64, batch=64))
    assert result.message == "" and 1.1 < result.growth < 1.4
    again = run_bn_profile(BNProfileConfig(depth=12, width=64, batch=64))
    np.testing.assert_array_equal(result["grad_h_rms"], again["grad_h_rms"])
    tiny = run_bn_profile(BNProfileConfig(depth=40, width=16, batch=2))    # N = 2 kills the gradient
    assert tiny["grad_h_rms"][1] < 1e-10 * tiny["grad_h_rms"][-1]
    with pytest.raises(ValueError, match="at least 2"):
        run_bn_profile(BNProfileConfig(batch=1))


def test_bn_mlp_with_and_without_bn():
    rng = np.random.default_rng(1)
    with_bn = bn_mlp(2, 16, 4, 3, activation="sigmoid", init="xavier_normal", rng=rng)
    without = bn_mlp(2, 16, 4, 3, activation="sigmoid", init="xavier_normal", rng=rng, bn=False)
    assert isinstance(with_bn, BNMLP) and len(with_bn.norms) == 4 and len(with_bn.layers) == 5
    assert not isinstance(without, BNMLP) and len(without.layers) == 5
    with pytest.raises(ValueError, match="unknown init"):
        bn_mlp(2, 16, 4, 3, activation="relu", init="glorot", rng=rng)


def test_recompute_statistics_and_predict():
    rng = np.random.default_rng(0)
    model = bn_mlp(2, 8, 2, 3, activation="tanh", init="xavier_normal", rng=rng)
    X = rng.standard_normal((30, 2))
    recompute_statistics(model, X)
    assert not model.training and all(bn.momentum == 0.1 for bn in model.norms)
    first = model.norms[0]
    z = X @ model.layers[0].W.data
    np.testing.assert_allclose(first.running_mean, z.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(first.running_var, z.var(axis=0, ddof=1), rtol=1e-12)
    before = [bn.running_mean.copy() for bn in model.norms]
    one_by_one = predict(model, X, batch_size=1)              # evaluation mode: batch size is irrelevant
    np.testing.assert_allclose(one_by_one, predict(model, X), rtol=1e-12, atol=1e-14)
    for bn, mean in zip(model.norms, before):
        np.testing.assert_array_equal(bn.running_mean, mean)
    assert not model.training
    with pytest.raises(ValueError, match="batch_size"):
        predict(model, X, batch_size=0)


def test_plots_have_labels_and_messages():
    losses = {(True, 0.1, 0): np.linspace(1.1, 0.1, 5), (False, 0.1, 0): np.full(5, 1.1),
              (False, 0.3, 0): np.full(5, 1.09)}
    ax = plot_bn_losses(losses, np.log(3))
    assert ax.get_xlabel() and ax.get_ylabel() and len(ax.get_legend().get_texts()) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plot_bn_losses({(False, 1e3, 0): np.array([1.0, 1e200, np.inf, np.nan])}, np.log(3))
        ax.figure.canvas.draw()
    assert any("diverged" in t.get_text() for t in ax.texts)
    growth = {"relu": np.array([[1.5, 1.6], [1.3, 1.32]])}
    ax = plot_growth_sweep(growth, (4, 8), predictions={"relu": RELU_LARGE_BATCH_GROWTH})
    assert ax.get_xlabel() and ax.get_ylabel() and len(ax.get_legend().get_texts()) == 2
    accuracy = {2: 0.4, 4: 0.5, "eval": 0.97, "sorted": 0.35, "after": 0.8}
    ax = plot_mode_comparison(accuracy, (2, 4))
    assert ax.get_xlabel() and ax.get_ylabel() and len(ax.get_legend().get_texts()) == 5
    ax = plot_histograms({"x": np.arange(10.0), "|x|": np.abs(np.arange(-5.0, 5.0))})
    assert len(ax.get_legend().get_texts()) == 2
    plt.close("all")


def test_widget_survives_every_control_at_both_ends():
    box = bn_gradient_widget()
    assert tuple(box.controls) == BN_CONTROLS
    drive_to_ends(box)          # settings accumulate: depth 100 meets batch 512
    plt.close("all")


def test_widget_redraws_quickly_at_default_settings():
    box = bn_gradient_widget()
    ratio, times, plain = redraw_ratio(box)
    print(f"redraw at default settings: min {min(times) * 1e3:.0f} ms")
    print(f"redraw {min(times) * 1e3:.0f} ms, a plain figure {min(plain) * 1e3:.0f} ms: ratio {ratio:.2f}")
    assert ratio < REDRAW_BUDGET, (times, plain)   # whole redraw, PNG included, side by side
    plt.close("all")

"""Chapter 5's experiments, plots and widget (batch normalization)."""
import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from lessonlib.experiments.batchnorm import (  # noqa: E402
    RELU_LARGE_BATCH_GROWTH, BNProfileConfig, BNTrainConfig, GrowthSweepConfig, ModeConfig, bn_mlp,
    growth_factor, label_entropy, large_batch_growth, predict, recompute_statistics, run_bn_profile,
    run_bn_training, run_growth_sweep, run_mode_comparison, run_training_profile)
from lessonlib.experiments.profiles import ProfileConfig, run_profile  # noqa: E402
from lessonlib.normalization import BNMLP  # noqa: E402
from lessonlib.plotting.batchnorm import (  # noqa: E402
    plot_bn_losses, plot_growth_sweep, plot_histograms, plot_mode_comparison)
from lessonlib.widgets.batchnorm import BN_CONTROLS, bn_gradient_widget  # noqa: E402
from widget_checks import drive_to_ends, redraw_times  # noqa: E402  (tests/widget_checks.py)


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


def test_growth_sweep_shape_and_lookup():
    result = run_growth_sweep(GrowthSweepConfig(activations=("relu", "identity"), batches=(8, 64),
                                                seeds=(0,), depth=6, width=32))
    assert result.growth.shape == (2, 2, 1) and result["relu"].shape == (2, 1)
    assert np.all(result["relu"] > result["identity"])
    with pytest.raises(KeyError, match="no activation"):
        result["tanh"]


def test_training_runner_with_and_without_bn():
    cfg = dict(depth=4, width=16, steps=40, lr=0.3, n_per_class=10, seed=1)
    with_bn, without = run_bn_training(BNTrainConfig(bn=True, **cfg)), run_bn_training(BNTrainConfig(bn=False, **cfg))
    assert with_bn.chance == pytest.approx(np.log(3)) and with_bn.message == ""
    assert with_bn.final_loss < with_bn.losses[0] and 0 <= with_bn.eval_accuracy <= 1
    assert isinstance(with_bn.model, BNMLP) and not with_bn.model.training
    assert not isinstance(without.model, BNMLP)
    profile = run_training_profile(BNTrainConfig(bn=True, **cfg))
    assert profile.profile.loss == pytest.approx(with_bn.losses[0], rel=1e-12)   # the profile of step 0
    assert profile.spread.shape == (4 + 2,) and np.all(profile.spread > 0) and profile.message == ""


def test_recompute_statistics_and_mode_comparison_leave_the_model_alone():
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
    result = run_mode_comparison(model, ModeConfig(batch_sizes=(2, 30), n_per_class=10))
    assert result.train_accuracy.shape == (2,) and result.eval_batch_gap < 1e-10
    for bn, mean in zip(model.norms, before):
        np.testing.assert_array_equal(bn.running_mean, mean)
    assert not model.training
    with pytest.raises(ValueError, match="batch_size"):
        predict(model, X, batch_size=0)


def test_plots_have_labels_and_messages():
    runs = [run_bn_training(BNTrainConfig(bn=bn, depth=2, width=8, steps=5, n_per_class=5))
            for bn in (True, False)]
    ax = plot_bn_losses(runs)
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        diverged = run_bn_training(BNTrainConfig(bn=False, activation="identity", init="he_normal",
                                                 depth=2, width=8, steps=20, lr=1e3, n_per_class=5))
        ax = plot_bn_losses([diverged])
        ax.figure.canvas.draw()
    assert diverged.message.startswith("diverged")
    assert any("diverged" in t.get_text() for t in ax.texts)
    sweep = run_growth_sweep(GrowthSweepConfig(activations=("relu",), batches=(4, 8), seeds=(0, 1),
                                               depth=4, width=8))
    ax = plot_growth_sweep(sweep, predictions={"relu": RELU_LARGE_BATCH_GROWTH})
    assert ax.get_xlabel() and ax.get_ylabel()
    model = bn_mlp(2, 8, 2, 3, activation="tanh", init="xavier_normal", rng=np.random.default_rng(0))
    ax = plot_mode_comparison(run_mode_comparison(model, ModeConfig(batch_sizes=(2, 4), n_per_class=4)))
    assert ax.get_xlabel() and ax.get_ylabel()
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
    times = redraw_times(box)
    print(f"redraw at default settings: min {min(times) * 1e3:.0f} ms")
    assert min(times) < 0.15, times  # whole redraw, PNG included: 45-75 ms alone; margin for the other pytest worker
    plt.close("all")

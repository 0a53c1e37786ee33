"""Chapter 2's library code: lessonlib.experiments.saturation, its plots, and its widget."""
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessonlib import Tensor, nn, ops  # noqa: E402
from lessonlib.experiments.profiles import ProfileConfig, run_profile  # noqa: E402
from lessonlib.experiments.saturation import (  # noqa: E402
    SLOPE_MAX, BoundConfig, GainSweepConfig, SigmoidTrainConfig, SlopeConfig, UnderflowConfig,
    center_biases, large_gain_factor, run_bound, run_gain_sweep, run_sigmoid_training, run_slopes,
    run_underflow, slope_threshold)
from lessonlib.plotting.saturation import (  # noqa: E402
    plot_bound, plot_gain_sweep, plot_lr_sweep, plot_saturation_sweep, plot_slopes, plot_underflow)
from lessonlib.widgets.profiles import profile_widget  # noqa: E402
from widget_checks import drive_to_ends, redraw_times  # noqa: E402  (tests/widget_checks.py)


# --- slopes and thresholds -----------------------------------------------------------------
def _bisect(slope, level, lo=0.0, hi=800.0):
    """|x| where a decreasing slope (on x >= 0) crosses level, by bisection."""
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if slope(mid) >= level else (lo, mid)
    return 0.5 * (lo + hi)


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
@pytest.mark.parametrize("fraction", [0.9, 0.5, 1e-2, 1e-6, 1e-100, 1e-300])
def test_slope_threshold_matches_bisection(name, fraction):
    level = fraction * SLOPE_MAX[name]
    slope = ops.sigmoid_slope if name == "sigmoid" else ops.tanh_slope
    x_c = slope_threshold(name, level)
    assert x_c == pytest.approx(_bisect(slope, level), rel=1e-10)
    assert slope(x_c) == pytest.approx(level, rel=1e-9)        # no cancellation even for tiny levels


def test_slope_threshold_relations_and_edges():
    assert slope_threshold("sigmoid", 0.01) == pytest.approx(4.5848633, abs=1e-6)
    assert slope_threshold("tanh", 0.01) == slope_threshold("sigmoid", 0.0025) / 2
    assert slope_threshold("sigmoid", 0.25) == 0.0 and slope_threshold("tanh", 2.0) == 0.0
    with pytest.raises(ValueError, match="level must be"):
        slope_threshold("sigmoid", 0.0)
    with pytest.raises(ValueError, match="level must be"):
        slope_threshold("sigmoid", float("nan"))
    with pytest.raises(ValueError, match="activation must be one of"):
        slope_threshold("relu", 0.01)


def test_run_slopes_takes_slopes_from_backward():
    res = run_slopes(SlopeConfig(x_max=8.0, n=401, level=0.02))
    np.testing.assert_allclose(res.slopes["sigmoid"], ops.sigmoid_slope(res.x), rtol=1e-12)
    np.testing.assert_allclose(res.slopes["tanh"], ops.tanh_slope(res.x), rtol=1e-12)
    np.testing.assert_allclose(res.values["tanh"], np.tanh(res.x), rtol=1e-15)
    assert res.thresholds["sigmoid"] == slope_threshold("sigmoid", 0.02)
    ax = plot_slopes(res)
    assert ax.get_yscale() == "log" and ax.get_xlabel() and ax.get_ylabel()
    plt.close("all")


def test_large_gain_factor_closed_form():
    # the integrals behind it: int sigma'^2 = 1/6 and int tanh'^2 = 4/3
    x = np.linspace(-40, 40, 400_001)
    assert np.trapezoid(ops.sigmoid_slope(x) ** 2, x) == pytest.approx(1 / 6, rel=1e-9)
    assert np.trapezoid(ops.tanh_slope(x) ** 2, x) == pytest.approx(4 / 3, rel=1e-9)
    assert large_gain_factor("sigmoid", 6 * np.sqrt(np.pi)) == pytest.approx(1.0, rel=1e-14)
    assert large_gain_factor("tanh", 3 * np.sqrt(2 * np.pi) / 4) == pytest.approx(1.0, rel=1e-14)
    np.testing.assert_allclose(large_gain_factor("tanh", [4.0, 16.0]),
                               2 * large_gain_factor("tanh", [1.0, 4.0]), rtol=1e-14)   # sqrt(g)


# --- centring: a sigmoid net is a tanh net in disguise ------------------------------------
def test_center_biases_makes_a_tanh_network():
    rng = np.random.default_rng(0)
    sizes = [5, 7, 7, 7, 3]
    t_net = nn.MLP(sizes, activation="tanh", init="xavier_normal", rng=rng)
    s_net = nn.MLP(sizes, activation="sigmoid", init="xavier_normal", rng=rng)
    for l, (s_layer, t_layer) in enumerate(zip(s_net.layers, t_net.layers), start=1):
        t_layer.b.data[...] = 0.0
        s_layer.W.data[...] = (2.0 if l in (1, len(sizes) - 1) else 4.0) * t_layer.W.data
    assert center_biases(s_net) is s_net
    s_net.layers[0].b.data[...] = 0.0
    for layer in s_net.layers[1:]:
        np.testing.assert_allclose(layer.b.data, -0.5 * layer.W.data.sum(axis=0), rtol=1e-15)
    x = rng.standard_normal((9, 5))
    np.testing.assert_allclose(s_net(Tensor(x)).data, t_net(Tensor(x)).data, rtol=0, atol=1e-12)


# --- the bound ------------------------------------------------------------------------------
def test_run_bound_agrees_with_run_profile_and_the_bound_holds():
    cfg = BoundConfig(activation="sigmoid", depth=6, width=16, batch=8, seed=3)
    res = run_bound(cfg)
    prof = run_profile(ProfileConfig(activation="sigmoid", depth=6, width=16, batch=8, seed=3))
    np.testing.assert_array_equal(res.grad_norm, prof["grad_h_norm"][:7])   # the same network
    assert np.all(res.grad_norm <= res.bound) and res.message == ""
    # the bound is built one layer at a time: bound[l-1] = bound[l] * (1/4) ||W_l||_2
    np.testing.assert_allclose(res.bound[:-1], res.bound[1:] * 0.25 * res.spectral, rtol=1e-12)
    assert res.bound[-1] == res.grad_norm[-1] == res.typical[-1]
    assert np.all(res.max_slope <= 0.25) and np.all(res.rms_slope <= res.max_slope)
    assert res.rate("bound") == pytest.approx(np.exp(np.mean(np.log(0.25 * res.spectral))), rel=1e-12)
    np.testing.assert_array_equal(res.layers, np.arange(7))


def test_run_bound_with_orthogonal_weights_has_exact_norms():
    # every singular value of an orthogonal matrix times g is g: ||W||_2 = ||W||_F / sqrt(n) = g
    res = run_bound(BoundConfig(activation="tanh", init="orthogonal", gain=0.7, depth=5, width=12, batch=4))
    np.testing.assert_allclose(res.spectral, 0.7, rtol=1e-12)
    np.testing.assert_allclose(res.frobenius / np.sqrt(12), 0.7, rtol=1e-12)
    np.testing.assert_allclose(res.bound, res.grad_norm[-1] * 0.7 ** np.arange(5, -1, -1), rtol=1e-12)
    assert np.all(res.grad_norm <= res.bound * (1 + 1e-12))


def test_run_bound_centred_and_bad_settings():
    plain = run_bound(BoundConfig(depth=8, gain=4.0, batch=16))
    centred = run_bound(BoundConfig(depth=8, gain=4.0, batch=16, center=True))
    assert centred.rate() > plain.rate()               # centring puts units back near slope 1/4
    with pytest.raises(ValueError, match="center=True"):
        run_bound(BoundConfig(activation="tanh", center=True))
    with pytest.raises(ValueError, match="activation must be one of"):
        run_bound(BoundConfig(activation="relu"))


def test_plot_bound_labels_and_message():
    res = run_bound(BoundConfig(depth=4, width=8, batch=4))
    ax = plot_bound(res, color="tab:blue")
    assert ax.get_yscale() == "log" and "layer" in ax.get_xlabel() and ax.get_ylabel()
    assert len(ax.get_lines()) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        huge = run_bound(BoundConfig(activation="tanh", init="normal", gain=1e150, depth=4, width=8, batch=4))
        assert "overflow" in huge.message
        ax = plot_bound(huge)
    assert any("overflow" in t.get_text() for t in ax.texts)
    plt.close("all")


# --- the gain sweep -----------------------------------------------------------------------
def test_gain_sweep_small_gain_limit_and_shapes():
    cfg = GainSweepConfig(gains=(0.1, 1.0, 8.0), depth=6, width=16, batch=8, seeds=(0, 1))
    res = run_gain_sweep(cfg)
    assert res.factor.shape == res.saturated.shape == (2, 3, 2) and res.message == ""
    for name in ("sigmoid", "tanh"):
        factor, saturated = res[name]
        np.testing.assert_allclose(factor[0], 0.1 * SLOPE_MAX[name], rtol=0.1)    # g phi'(0), width 16
        assert np.all(saturated[0] == 0)
    with pytest.raises(ValueError):
        res["relu"]
    theory = {"sigmoid": [("g/4", lambda g: g / 4, "--")]}
    ax = plot_gain_sweep(res, theory=theory)
    assert ax.get_xscale() == ax.get_yscale() == "log" and ax.get_ylabel()
    ax = plot_saturation_sweep(res)
    assert ax.get_ylabel() == "fraction of saturated units"
    plt.close("all")


# --- underflow -------------------------------------------------------------------------------
def test_underflow_depth_matches_the_geometric_prediction():
    # tanh with a tiny gain: factor ~ g per layer, so float64 runs out after ~ 1074 ln2 / ln(1/g) layers
    cfg = UnderflowConfig(activation="tanh", gain=1e-3, depth=140, width=8, batch=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = run_underflow(cfg)
    k = res.first_zero()
    rate = (res.max_abs[-21] / res.max_abs[-1]) ** (1 / 20)
    predicted = (np.log(res.max_abs[-1]) + 1074 * np.log(2)) / np.log(1 / rate)
    assert k is not None and abs(k - predicted) <= 2
    below = res.layers_below_top >= k
    assert np.all(res.zero_fraction[below] == 1) and np.all(res.max_abs[~below] > 0)
    assert res.first_zero("norm") < k                    # the norm's squares underflow first
    ax = plot_underflow(res, rate=rate)
    assert "log_2" in ax.get_ylabel() and len(ax.texts) == 2       # both zero onsets marked
    plt.close("all")
    none = run_underflow(UnderflowConfig(depth=5, width=4, batch=2))
    assert none.first_zero() is None


# --- training ----------------------------------------------------------------------------------
def test_sigmoid_training_is_deterministic_and_checks_gain():
    cfg = SigmoidTrainConfig(depth=3, width=8, gain=4.0, center=True, lr=0.05, steps=30, n=16)
    a, b = run_sigmoid_training(cfg), run_sigmoid_training(cfg)
    np.testing.assert_array_equal(a.losses, b.losses)
    assert a.config is cfg and a.message == "" and a.final_loss < a.losses[0]
    with pytest.raises(ValueError, match="gain must be"):
        run_sigmoid_training(SigmoidTrainConfig(gain=0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bad = run_sigmoid_training(SigmoidTrainConfig(depth=3, width=8, lr=1e6, steps=80, n=16))
    assert bad.message.startswith("diverged")
    ax = plot_lr_sweep([a, bad], label="test")
    assert ax.get_xscale() == "log" and len(ax.get_lines()) == 2   # the finite point and the cross
    plt.close("all")


# --- the widget the chapter uses ---------------------------------------------------------------


def _chapter_widget():
    return profile_widget(show=("activation", "depth", "gain"), activation="sigmoid",
                          init="xavier_normal", depth=20, width=64, gain=1.0, batch=32)


def test_chapter_widget_survives_every_control_at_both_ends():
    box = _chapter_widget()
    assert set(box.controls) == {"activation", "depth", "gain"}
    drive_to_ends(box)
    plt.close("all")


def test_chapter_widget_redraws_quickly_at_default_settings():
    box = _chapter_widget()
    times = redraw_times(box, repeats=10)
    print(f"redraw at the chapter's defaults: best {min(times) * 1000:.0f} ms of {len(times)}")
    assert min(times) < 0.15, times  # whole redraw, PNG included: 45-75 ms alone; margin for the other pytest worker
    plt.close("all")

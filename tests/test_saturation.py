"""Chapter 2's library code: the closed forms in lessonlib.theory (slope_threshold, large_gain_factor), its plots, and its widget."""
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessonlib import Tensor, nn, ops  # noqa: E402
from lessonlib.activations import SLOPES, SLOPE_MAX
from lessonlib.layers import center_biases
from lessonlib.theory import large_gain_factor, slope_threshold
from lessonlib.plotting.saturation import (  # noqa: E402
    plot_bound, plot_gain_sweep, plot_lr_sweep, plot_saturation_sweep, plot_slopes, plot_underflow)
from lessonlib.widgets.profiles import profile_widget  # noqa: E402
from widget_checks import REDRAW_BUDGET, drive_to_ends, redraw_ratio  # noqa: E402  (tests/widget_checks.py)


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
    with pytest.raises(ValueError, match="unknown activation .relu.; choose one of"):
        slope_threshold("relu", 0.01)


def test_slopes_match_backward_and_plot():
    x = np.linspace(-8.0, 8.0, 401)
    for name, phi in (("sigmoid", ops.sigmoid), ("tanh", ops.tanh)):
        t = Tensor(x, requires_grad=True)
        phi(t).sum().backward()
        np.testing.assert_allclose(t.grad, SLOPES[name](x), rtol=1e-12)
        assert SLOPES[name](np.zeros(1))[0] == SLOPE_MAX[name]
    thresholds = {name: slope_threshold(name, 0.02) for name in SLOPES}
    ax = plot_slopes(x, {name: SLOPES[name](x) for name in SLOPES}, thresholds, 0.02)
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


# --- the plots, fed plain arrays -------------------------------------------------------------
def test_plot_bound_labels_shapes_and_overflow_message():
    measured = 0.25 ** np.arange(5, -1, -1)
    ax = plot_bound(measured, 2 * measured, measured, color="tab:blue")
    assert ax.get_yscale() == "log" and "layer" in ax.get_xlabel() and ax.get_ylabel()
    assert len(ax.get_lines()) == 3
    with pytest.raises(ValueError, match="one shape"):
        plot_bound(measured, measured[:-1], measured)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plot_bound(np.array([np.inf, 1.0]), np.array([np.inf, 1.0]), np.array([1.0, 1.0]))
    assert any("overflow" in t.get_text() for t in ax.texts)
    plt.close("all")


def test_plot_gain_sweep_and_saturation_sweep():
    gains = np.array([0.1, 1.0, 8.0])
    factors = {"sigmoid": np.outer(gains / 4, [1.0, 1.01]), "tanh": np.outer(gains, [1.0, 0.99])}
    theory = {"sigmoid": [("g/4", lambda g: g / 4, "--")]}
    ax = plot_gain_sweep(gains, factors, theory=theory)
    assert ax.get_xscale() == ax.get_yscale() == "log" and ax.get_ylabel()
    assert len(ax.get_lines()) == 2 * 2 + 1 + 1          # one marker line per seed, theory, the line at 1
    ax = plot_saturation_sweep(gains, {"sigmoid": np.zeros((3, 2)), "tanh": np.ones((3, 2))})
    assert ax.get_ylabel() == "fraction of saturated units"
    plt.close("all")


def test_plot_underflow_marks_both_zero_onsets():
    k = np.arange(200, -1, -1)                            # layers below the top, for l = 0..200
    with np.errstate(under="ignore"):
        max_abs = 2.0 ** (-6.0 * k)                       # reaches 0 below 2**-1075, at k = 180
        norm = np.where(max_abs < 2.0 ** -537, 0.0, max_abs)
    assert max_abs[0] == 0.0 and norm[100] == 0.0
    ax = plot_underflow(max_abs, norm, rate=2.0 ** -6)
    assert "log_2" in ax.get_ylabel() and len(ax.texts) == 2
    plt.close("all")


def test_plot_lr_sweep_medians_and_divergence():
    lrs = (0.01, 0.1, 1.0)
    finals = np.array([[0.5, 0.6, 0.7], [0.2, 0.3, 0.25], [np.nan, 2.0, np.inf]])
    ax = plot_lr_sweep(lrs, finals, label="test")
    assert ax.get_xscale() == "log"
    median_line = ax.get_lines()[0]
    np.testing.assert_allclose(median_line.get_ydata(), [0.6, 0.25, 2.0])
    assert any(line.get_marker() == "x" for line in ax.get_lines())
    ax = plot_lr_sweep(lrs, [1.0, 0.5, 0.25])               # one seed: a plain line
    assert len(ax.get_lines()) == 1
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
    ratio, times, plain = redraw_ratio(box, repeats=10)
    print(f"redraw at the chapter's defaults: best {min(times) * 1000:.0f} ms of {len(times)}")
    print(f"redraw {min(times) * 1e3:.0f} ms, a plain figure {min(plain) * 1e3:.0f} ms: ratio {ratio:.2f}")
    assert ratio < REDRAW_BUDGET, (times, plain)   # whole redraw, PNG included, side by side
    plt.close("all")

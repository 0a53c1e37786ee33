"""Chapter 3: variance propagation theory, its experiment runners, plots and widget."""
import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from lessonlib import Tensor, init  # noqa: E402
from lessonlib.experiments.profiles import ProfileConfig, run_profile  # noqa: E402
from lessonlib.experiments.variance import VarianceConfig, run_variance
from lessonlib.init import weight_variance
from lessonlib.theory import mean_field, second_moment, slope_second_moment
from lessonlib.plotting.variance import (  # noqa: E402
    plot_fan, plot_singular_values, plot_spread, plot_sweep, plot_sweep_curves, plot_variance)
from lessonlib.widgets.variance import VARIANCE_DEFAULTS, draw_variance, variance_widget  # noqa: E402
from widget_checks import REDRAW_BUDGET, drive_to_ends, redraw_ratio  # noqa: E402  (tests/widget_checks.py)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------- theory

@pytest.mark.parametrize("name", ["normal", "lecun_normal", "xavier_normal", "xavier_uniform",
                                  "he_normal", "orthogonal"])
@pytest.mark.parametrize("fans", [(300, 100), (100, 300), (200, 200)])
def test_weight_variance_matches_the_initializers(name, fans):
    W = getattr(init, name)(*fans, rng=np.random.default_rng(0), gain=1.5)
    predicted = weight_variance(name, *fans, gain=1.5)
    # mean of squares (the weights have mean 0): 20,000+ entries give ~1% accuracy
    assert np.mean(W ** 2) == pytest.approx(predicted, rel=0.03)


def test_weight_variance_closed_forms_and_errors():
    assert weight_variance("he_normal", 64, 10) == 2 / 64
    assert weight_variance("lecun_normal", 64, 10, gain=3) == 9 / 64
    assert weight_variance("xavier_normal", 30, 10) == 2 / 40
    assert weight_variance("orthogonal", 10, 40) == 1 / 40
    with pytest.raises(ValueError, match="unknown init"):
        weight_variance("kaiming", 3, 3)


@pytest.mark.parametrize("q", [1e-4, 0.3, 1.0, 7.0])
def test_second_moments_closed_forms(q):
    assert second_moment("identity", q) == q
    assert second_moment("relu", q) == q / 2
    assert slope_second_moment("relu", q) == 0.5
    assert slope_second_moment("identity", q) == 1.0
    assert second_moment("leaky_relu", q) == pytest.approx((1 + 1e-4) * q / 2, rel=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("q", [0.05, 1.0, 4.0])
def test_second_moments_of_smooth_activations_against_monte_carlo(activation, q):
    z = np.sqrt(q) * np.random.default_rng(0).standard_normal(400_000)
    phi = np.tanh(z) if activation == "tanh" else 1 / (1 + np.exp(-z))
    dphi = 1 - np.tanh(z) ** 2 if activation == "tanh" else phi * (1 - phi)
    assert second_moment(activation, q) == pytest.approx(np.mean(phi ** 2), rel=5e-3)
    assert slope_second_moment(activation, q) == pytest.approx(np.mean(dphi ** 2), rel=5e-3)


def test_smooth_moments_are_accurate_at_the_ends():
    # small q: E[tanh^2] = q - 2 q^2 + O(q^3), E[tanh'^2] = 1 - 2q + O(q^2); sigmoid(0) = 1/2
    q = 1e-3
    assert (q - second_moment("tanh", q)) / q ** 2 == pytest.approx(2, rel=0.02)
    assert (1 - slope_second_moment("tanh", q)) / q == pytest.approx(2, rel=0.02)
    assert second_moment("sigmoid", 0.0) == pytest.approx(0.25, rel=1e-10)
    # large q: tanh(z)^2 -> 1 except near 0, where the density is 1/sqrt(2 pi q)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = second_moment("tanh", 1e6)
        # 1 - E[tanh^2] -> (int of 1 - tanh^2 = 2) / sqrt(2 pi q); E[tanh'^2] -> (4/3) / sqrt(2 pi q)
        assert 1 - big == pytest.approx(2 / np.sqrt(2 * np.pi * 1e6), rel=1e-3)
        assert slope_second_moment("tanh", 1e6) == pytest.approx(4 / 3 / np.sqrt(2 * np.pi * 1e6), rel=1e-3)
    with pytest.raises(ValueError, match="unknown activation"):
        second_moment("swish", 1.0)
    with pytest.raises(ValueError, match="unknown activation"):
        slope_second_moment("swish", 1.0)


def test_mean_field_closed_forms():
    L, n = 20, 64
    relu_he = mean_field("relu", "he_normal", L, n)
    # E[z_l^2] = n Var(W) E[h_{l-1}^2] = 2, E[h_l^2] = E[z_l^2] / 2 = 1; backward factor 2 * 1/2 = 1
    np.testing.assert_allclose(relu_he.z_rms[1:L + 1], np.sqrt(2.0), rtol=1e-12)   # q_1 = 2 * 1
    np.testing.assert_allclose(relu_he.h_rms[1:L + 1], 1.0, rtol=1e-12)
    np.testing.assert_allclose(relu_he.grad_rms[:L + 1], np.sqrt(2.0), rtol=1e-12)  # output layer: x2
    relu_xav = mean_field("relu", "xavier_normal", L, n)
    l = np.arange(L + 2)
    np.testing.assert_allclose(relu_xav.h_rms[:L + 1], 2.0 ** (-l[:L + 1] / 2), rtol=1e-12)
    np.testing.assert_allclose(relu_xav.grad_rms[:L + 1], 2.0 ** (-(L - l[:L + 1]) / 2), rtol=1e-12)
    linear = mean_field("identity", "normal", 5, 16, gain=0.5)        # n Var(W) = 4 per layer
    np.testing.assert_allclose(linear.h_rms, 2.0 ** l[:7], rtol=1e-12)
    np.testing.assert_allclose(linear.grad_rms, 2.0 ** (6 - l[:7]), rtol=1e-12)


def test_mean_field_overflow_is_silent_and_nan_free_where_finite():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mf = mean_field("tanh", "normal", 100, 256, gain=10.0)
        mf2 = mean_field("identity", "normal", 100, 256, gain=10.0)
    assert np.all(np.isfinite(mf.h_rms))
    assert np.isinf(mf2.h_rms[-1])


# --------------------------------------------------------------------------- runners

def test_run_variance_matches_run_profile_and_is_deterministic():
    cfg = VarianceConfig(activation="tanh", init="xavier_normal", depth=4, width=16, batch=8, seeds=(3, 4))
    a, b = run_variance(cfg), run_variance(cfg)
    np.testing.assert_array_equal(a.h_rms, b.h_rms)
    assert a.h_rms.shape == a.grad_rms.shape == (2, 6) and a.message == ""
    single = run_profile(ProfileConfig(activation="tanh", init="xavier_normal", depth=4, width=16,
                                       batch=8, seed=4))
    np.testing.assert_array_equal(a.h_rms[1], single["h_rms"])
    np.testing.assert_allclose(a.grad_rms[1], single["grad_h_rms"] / single["grad_h_rms"][-1])
    assert a.grad_rms[0, -1] == 1.0
    with pytest.raises(ValueError, match="at least one seed"):
        run_variance(VarianceConfig(seeds=()))


def test_run_variance_on_a_linear_chain_matches_the_product_formula():
    # W = a I: every layer multiplies both sides by a, with no randomness at all
    a, depth = 0.9, 6
    eye = lambda fan_in, fan_out, *, rng, gain=1.0: a * np.eye(fan_in, fan_out)
    r = run_variance(VarianceConfig(activation="identity", init=eye, depth=depth, width=8, seeds=(0,)))
    l = np.arange(depth + 2)
    np.testing.assert_allclose(r.h_rms[0] / r.h_rms[0, 0], a ** l, rtol=1e-12)
    np.testing.assert_allclose(r.grad_rms[0], a ** (depth + 1 - l), rtol=1e-12)
    assert r.theory is None                              # no prediction for a custom initializer
    ax = plot_variance(r, "forward")
    assert len(ax.get_lines()) == 1


def test_relu_xavier_is_he_scaled_exactly():
    # same seed, square layers: the Xavier net is the He net with layer l scaled by 2^(-l/2)
    kw = dict(activation="relu", depth=8, width=32, batch=16, seeds=(0, 1))
    xav = run_variance(VarianceConfig(init="xavier_normal", **kw))
    he = run_variance(VarianceConfig(init="he_normal", **kw))
    l = xav.layer
    np.testing.assert_allclose(xav.h_rms / he.h_rms, np.tile(2.0 ** (-l / 2), (2, 1)), rtol=1e-10)
    np.testing.assert_allclose(xav.grad_rms / he.grad_rms, np.tile(2.0 ** (-(8 + 1 - l) / 2), (2, 1)),
                               rtol=1e-10)
    # dL/dW_l = h_{l-1}^T delta_l: 2^(-(l-1)/2) forward times 2^(-(9-l)/2) backward = 2^(-8/2)
    np.testing.assert_allclose(xav.grad_W_norm[:, 1:] / he.grad_W_norm[:, 1:], 2.0 ** -4, rtol=1e-10)


def test_run_variance_reports_overflow_as_a_message():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = run_variance(VarianceConfig(activation="identity", init="normal", gain=100.0, depth=200,
                                        width=16, seeds=(0,)))
    assert "overflow" in r.message
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plot_variance(r, "backward")
        ax.figure.canvas.draw()                     # rendering a huge log axis must not warn
    assert any("overflow" in t.get_text() for t in ax.texts)


def test_linear_layer_backward_is_G_times_W_transposed():
    # the VJP that the chapter's one-layer loop relies on, checked against the closed form
    rng = np.random.default_rng(0)
    W, G = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    x = Tensor(rng.standard_normal((4, 5)), requires_grad=True)
    ((x @ Tensor(W)) * G).sum().backward()
    np.testing.assert_allclose(x.grad, G @ W.T, rtol=1e-12)


def test_plots_of_the_chapter_loops_take_arrays():
    # the chapter measures these in its own loops; the plots take the arrays
    ax = plot_fan(["a", "b"], [1.0, 2.0], [0.5, 1.0], [1.0, 2.0], [0.5, 1.0], title="one layer")
    assert ax.get_ylabel() and ax.get_xlabel() and ax.get_title() == "one layer"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    ax = plot_spread([8, 16], np.log([[0.5, 1.2, 0.9], [0.8, 1.1, 1.0]]), depth=5)
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_yscale() == "log"
    assert len(ax.get_lines()[1].get_xdata()) == 3            # one dot per seed at the first width
    rng = np.random.default_rng(5)
    values = {("lecun_normal", 3): np.linalg.svd(rng.standard_normal((8, 8)), compute_uv=False),
              ("orthogonal", 3): np.ones(8)}
    ax = plot_singular_values(values, title="t")
    assert ax.get_yscale() == "log" and ax.get_legend() is not None and len(ax.get_lines()) == 2
    final = np.array([[[1.0, 1.0], [np.inf, 2.0]], [[0.5, 0.4], [np.inf, np.inf]]])   # (init, lr, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plot_sweep([1e-2, 1.0], final, ("xavier_normal", "he_normal"), steps=5)
    assert ax.get_xscale() == "log" and "5 steps" in ax.get_ylabel()
    crosses = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert sum(len(line.get_xdata()) for line in crosses) == 3  # every diverged run is marked
    losses = np.ones((2, 2, 2, 5))
    ax = plot_sweep_curves(losses, ("xavier_normal", "he_normal"), [1e-2, 1.0], [0, 0])
    assert ax.get_xlabel() == "gradient-descent step (full batch)" and len(ax.get_lines()) == 4


def test_plot_variance_labels():
    r = run_variance(VarianceConfig(depth=3, width=8, batch=4, seeds=(0, 1)))
    ax = plot_variance(r, "forward", label="he")
    plot_variance(r, "forward", ax=ax, label="again")
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels.count("mean-field prediction") == 1 and "he" in labels
    with pytest.raises(ValueError, match="forward"):
        plot_variance(r, "sideways")


# --------------------------------------------------------------------------- widget



def test_variance_widget_survives_every_control_at_both_ends():
    box = variance_widget(depth=20, width=32)       # smaller than the default: a faster test
    assert set(box.controls) == {"init", "activation", "depth", "width", "gain", "seed"}
    drive_to_ends(box, restore=True)    # one control at a time: the others at their defaults
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # the harshest corner: unscaled weights, largest gain, deepest and widest
        for name, value in (("init", "normal"), ("activation", "identity"), ("gain", 10.0),
                            ("depth", 100), ("width", 256)):
            box.controls[name].value = value
        assert box.last_error == ""


@pytest.mark.parametrize("init, activation", [("normal", "identity"), ("normal", "relu"),
                                              ("normal", "tanh"), ("orthogonal", "sigmoid")])
@pytest.mark.parametrize("gain", [0.1, 10.0])
def test_draw_variance_renders_extreme_settings_without_warnings(init, activation, gain):
    fig, axes = plt.subplots(1, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        draw_variance(axes, init=init, activation=activation, depth=100, width=256, gain=gain,
                      seed=0, batch=4)
        fig.canvas.draw()                           # what the inline backend does on show()


def test_variance_widget_defaults_and_redraw_time():
    box = variance_widget()
    assert box.controls["depth"].value == VARIANCE_DEFAULTS.depth
    assert box.controls["init"].value == VARIANCE_DEFAULTS.init
    ratio, times, plain = redraw_ratio(box)
    print(f"variance widget redraw at default settings: {min(times) * 1e3:.0f} ms (best of 5)")
    print(f"redraw {min(times) * 1e3:.0f} ms, a plain figure {min(plain) * 1e3:.0f} ms: ratio {ratio:.2f}")
    assert ratio < REDRAW_BUDGET, (times, plain)   # whole redraw, PNG included, side by side

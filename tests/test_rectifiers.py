"""Chapter 4: ELU and GELU ops, slope helpers, rectifier experiments, plots and widget."""
import math
import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from lessonlib import Tensor, check_grad, leaky_relu  # noqa: E402
from lessonlib.activations import (elu, elu_slope, gelu, gelu_slope, leaky_relu_gain,  # noqa: E402
                                   leaky_relu_slope, normal_cdf, normal_pdf, relu_slope)
from lessonlib.experiments.rectifiers import FAMILY, MATCHED, N_VAR, CurvesConfig, DeadConfig, DyingConfig, activation_for, layer_factor, run_curves, run_dead_units, run_dying
from lessonlib.theory import first_layer_dead_theory, gaussian_expectation
from lessonlib.plotting import rectifiers as plots  # noqa: E402
from lessonlib.widgets.rectifiers import DEAD_UNIT_CONTROLS, dead_unit_widget  # noqa: E402
from widget_checks import REDRAW_BUDGET, drive_to_ends, redraw_ratio  # noqa: E402  (tests/widget_checks.py)


def _away_from_zero(shape, seed, scale=2.0, gap=0.1):
    x = np.random.default_rng(seed).normal(scale=scale, size=shape)
    return np.where(np.abs(x) < gap, np.sign(x + 1e-300) * gap + x, x)


# --- gradient checks (float64, random directions, away from the kinks) ----------------------------
@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0])
def test_elu_gradient(alpha):
    x = Tensor(_away_from_zero((4, 6), seed=1), requires_grad=True)
    weights = np.random.default_rng(2).standard_normal((4, 6))
    assert check_grad(lambda t: (elu(t, alpha) * weights).sum(), x) < 1e-6


def test_gelu_gradient_everywhere_it_is_smooth():
    x = Tensor(np.random.default_rng(3).normal(scale=2.5, size=(5, 5)), requires_grad=True)
    weights = np.random.default_rng(4).standard_normal((5, 5))
    assert check_grad(lambda t: (gelu(t) * weights).sum(), x) < 1e-6
    x0 = Tensor(np.array([-1e-3, 0.0, 1e-3]), requires_grad=True)       # GELU has no kink at 0
    assert check_grad(lambda t: gelu(t).sum(), x0) < 1e-6


def test_ops_inside_a_network_gradient():
    rng = np.random.default_rng(5)
    x, W = rng.standard_normal((6, 3)), Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert check_grad(lambda W: (gelu(elu(x @ W, 0.7)) ** 2).sum(), W) < 1e-6


# --- closed forms ---------------------------------------------------------------------------
def test_normal_cdf_and_pdf_known_values():
    np.testing.assert_allclose(normal_cdf(np.array([0.0, 1.0, -1.0])),
                               [0.5, 0.8413447460685429, 0.15865525393145707], rtol=1e-14)
    assert math.isclose(normal_cdf(-10.0), 7.619853024160527e-24, rel_tol=1e-12)   # tail, no cancellation
    assert math.isclose(normal_pdf(0.0), 1 / math.sqrt(2 * math.pi), rel_tol=1e-15)


def test_gelu_and_elu_values():
    x = np.array([-3.0, -1.0, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(gelu(x).data, x * 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x])),
                               rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(elu(x, 0.5).data, np.where(x > 0, x, 0.5 * (np.exp(x) - 1)), rtol=1e-15)
    assert gelu(np.array([-np.inf])).data[0] == 0.0 and elu(np.array([-np.inf])).data[0] == -1.0
    assert gelu(-40.0).item() == 0.0 and np.isnan(gelu(np.nan).item())        # nan is reported, not hidden


def test_slopes_match_backward_and_formulas():
    result = run_curves(CurvesConfig(names=tuple(FAMILY), points=401))
    for name, (_, slope) in FAMILY.items():
        np.testing.assert_allclose(result.slopes[name], slope(result.z), rtol=1e-13, atol=1e-300)
    z = result.z
    np.testing.assert_array_equal(relu_slope(z), (z > 0).astype(float))
    np.testing.assert_array_equal(leaky_relu_slope(z, 0.2), np.where(z > 0, 1.0, 0.2))
    np.testing.assert_allclose(elu_slope(z[z <= 0]), elu(z[z <= 0]).data + 1.0, rtol=1e-13)
    # GELU's slope is smallest at -sqrt(2) and largest at +sqrt(2) (where phi''(z) = 0)
    r2 = math.sqrt(2.0)
    lowest = normal_cdf(-r2) - r2 * normal_pdf(r2)
    assert math.isclose(gelu_slope(-r2), lowest, rel_tol=1e-14)
    assert math.isclose(gelu_slope(r2), 1.0 - lowest, rel_tol=1e-14)
    fine = np.linspace(-4, 4, 80001)
    assert gelu_slope(fine).min() >= lowest - 1e-15 and gelu_slope(fine).max() <= 1.0 - lowest + 1e-15


def test_leaky_gain_and_gaussian_expectation():
    assert math.isclose(leaky_relu_gain(0.0), math.sqrt(2.0)) and math.isclose(leaky_relu_gain(1.0), 1.0)
    assert gaussian_expectation(lambda z: z ** 2, 1.7) == pytest.approx(1.7 ** 2, rel=1e-12)
    assert gaussian_expectation(lambda z: z ** 4, 0.5) == pytest.approx(3 * 0.5 ** 4, rel=1e-12)
    for a in (0.0, 0.2, 0.7):                      # eq. (ch4-eq-leaky-moment), kink at 0
        m2 = gaussian_expectation(lambda z: leaky_relu(z, a).data ** 2, 1.3)
        assert m2 == pytest.approx((1 + a * a) / 2 * 1.3 ** 2, rel=1e-9)
        assert gaussian_expectation(lambda z: leaky_relu_slope(z, a) ** 2, 0.4) == pytest.approx((1 + a * a) / 2, rel=1e-9)
    # E[elu'(z)^2] = 1/2 + e^2 Phi(-2) for z ~ N(0, 1): a kink in the slope at 0
    exact = 0.5 + math.exp(2.0) * normal_cdf(-2.0)
    assert gaussian_expectation(lambda z: elu_slope(z) ** 2) == pytest.approx(exact, abs=1e-6)
    assert layer_factor([1.0, 2.0, 8.0], 0, 2) == pytest.approx(math.sqrt(8.0))
    assert layer_factor([8.0, 2.0, 1.0], 2, 0) == pytest.approx(math.sqrt(8.0))   # gradients: downwards


def test_bad_arguments_fail_clearly():
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        elu(np.ones(2), -1.0)
    with pytest.raises(TypeError, match="alpha must be a finite number"):
        elu(np.ones(2), "1")
    with pytest.raises(TypeError, match="slope must be a finite number"):
        leaky_relu_gain(float("nan"))
    with pytest.raises(ValueError, match="unknown activation"):
        activation_for("swish")


def test_first_layer_dead_theory_limits():
    norms = np.array([1.0, 2.0])
    assert first_layer_dead_theory(0.0, norms, 10) == pytest.approx(0.5 ** 10)
    assert first_layer_dead_theory(-60.0, norms, 10) == 1.0
    assert first_layer_dead_theory(5.0, norms, 10) < 1e-12


# --- experiments ------------------------------------------------------------------------------------
def test_matched_scales_give_rho_one_at_zero():
    # rho^2 = n Var(W) * phi'(0)^2 = 1 for every matched pair (the sigmoid needs gain 4: slope 1/4 at 0)
    slope_at_0 = {"sigmoid": 0.25, "tanh": 1.0}
    for name, (init, gain) in MATCHED.items():
        if name in slope_at_0:
            assert N_VAR[init] * gain ** 2 * slope_at_0[name] ** 2 == pytest.approx(1.0)
        else:  # rectifiers: E[phi'(z)^2] for symmetric z
            assert N_VAR[init] * gain ** 2 * gaussian_expectation(lambda z: FAMILY[name][1](z) ** 2) == pytest.approx(1.0, rel=1e-6)


def test_zero_bias_relu_dead_pattern_ignores_weight_scale():
    # relu(c z) = c relu(z) for c > 0: scaling every weight changes no sign
    dead = [run_dead_units(DeadConfig(gain=g, depth=6, width=16, n=64)).dead for g in (0.1, 1.0, 10.0)]
    np.testing.assert_array_equal(dead[0], dead[1])
    np.testing.assert_array_equal(dead[1], dead[2])


def test_fully_dead_layer_blocks_every_gradient_below_it():
    result = run_dead_units(DeadConfig(bias_shift=-3.0, depth=5, width=16, n=64))
    assert result.dead[-1] == 1.0
    assert np.all(result["grad_W_norm"][1:-1] == 0.0)      # every hidden weight gets exactly 0
    assert result["grad_W_norm"][-1] == 0.0                  # the output layer sees h = 0


def test_dying_records_zero_gradient_for_dead_units_and_reports_divergence():
    r = run_dying(DyingConfig(depth=3, width=16, n=64, lr=0.05, steps=15))
    assert r.active.shape == (16, 3, 16) and r.unit_grad.shape == (15, 3, 16)
    assert r.message == ""
    dead = r.active[:-1] == 0
    assert np.all(r.unit_grad[dead] == 0.0) and np.all(r.unit_grad[~dead] > 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bad = run_dying(DyingConfig(depth=3, width=16, n=64, lr=1e100, steps=15))
    assert bad.message.startswith("diverged") and np.isnan(bad.dead[-1]).all()


def test_plots_have_labels_and_show_messages():
    import matplotlib.pyplot as plt

    axes = [plots.plot_curves(run_curves(CurvesConfig(points=41)), which=w) for w in ("value", "slope")]
    dead = run_dead_units(DeadConfig(depth=3, width=8, n=32))
    axes.append(plots.plot_dead_by_layer(dead))
    _, pair = plt.subplots(1, 2)
    axes += list(plots.plot_dead_units(dead, pair))
    dying = run_dying(DyingConfig(depth=2, width=8, n=32, steps=3))
    axes += [plots.plot_unit_activity(dying, [(1, 0), (2, 3)]), plots.plot_dead_over_training(dying)]
    for ax in axes:
        assert ax.get_xlabel() and ax.get_ylabel(), ax.get_title()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bad = run_dying(DyingConfig(depth=2, width=8, n=32, lr=1e100, steps=5))
        ax = plots.plot_dead_over_training(bad)
    assert any("diverged" in t.get_text() for t in ax.texts)
    plt.close("all")


# --- widget ------------------------------------------------------------------------------------------


def test_dead_unit_widget_survives_every_control_at_both_ends():
    box = dead_unit_widget(depth=4)
    assert set(box.controls) == set(DEAD_UNIT_CONTROLS)
    drive_to_ends(box)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # the most extreme corner: deepest, largest gain, every activation
        box.controls["depth"].value = box.controls["depth"].max
        box.controls["gain"].value = 10.0
        for name in box.controls["activation"].options:
            box.controls["activation"].value = name
            assert box.last_error == "", name
    with pytest.raises(ValueError, match="no setting"):
        dead_unit_widget(colour="red")


def test_dead_unit_widget_redraws_quickly_at_default_settings():
    box = dead_unit_widget()
    ratio, times, plain = redraw_ratio(box)
    print(f"dead_unit_widget redraw: min {min(times) * 1e3:.0f} ms")
    print(f"redraw {min(times) * 1e3:.0f} ms, a plain figure {min(plain) * 1e3:.0f} ms: ratio {ratio:.2f}")
    assert ratio < REDRAW_BUDGET, (times, plain)   # whole redraw, PNG included, side by side

"""Residual blocks and networks (chapter 6): gradients, closed forms, experiments, plots, widget."""
import itertools
import math
import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from lessonlib import Tensor, check_grad, cross_entropy  # noqa: E402
from lessonlib.diagnostics import layer_profile  # noqa: E402
from lessonlib.experiments.residual import StreamConfig, run_stream
from lessonlib.residual import ARCHS, BNResidualBlock, BNResidualMLP, branch_scale_for, residual_net, theory_growth
from lessonlib.plotting.residual import (  # noqa: E402
    plot_depth_sweep, plot_stream, plot_training_runs)
from lessonlib.residual import ResidualBlock, ResidualMLP  # noqa: E402
from lessonlib.widgets.residual import RESIDUAL_CONTROLS, residual_widget  # noqa: E402
from widget_checks import REDRAW_BUDGET, drive_to_ends, redraw_ratio  # noqa: E402  (tests/widget_checks.py)


def _jacobian(f, x):
    """d f(x) / d x for a 1-D input and output, one backward() per output entry."""
    x = Tensor(x, requires_grad=True)
    y = f(x)
    rows = []
    for i in range(y.size):
        x.zero_grad()
        y.backward(np.eye(y.size)[i])
        rows.append(x.grad.copy())
    return np.array(rows)


def _with_params(params, values, fn):
    """fn() evaluated with the data of ``params`` replaced by ``values`` (restored after)."""
    saved = [p.data for p in params]
    for p, v in zip(params, values):
        p.data = v.data
    try:
        return fn()
    finally:
        for p, d in zip(params, saved):
            p.data = d


# --- the layer ------------------------------------------------------------------------

@pytest.mark.parametrize("activation,branch_depth,scale",
                         [("tanh", 2, 0.7), ("sigmoid", 3, 1.0), ("identity", 1, 0.3)])
def test_check_grad_through_a_small_residual_net(activation, branch_depth, scale):
    rng = np.random.default_rng(0)
    net = ResidualMLP(3, 5, 3, 2, activation=activation, init="xavier_normal", rng=rng,
                      branch_scale=scale, branch_depth=branch_depth)
    for p in net.parameters():                         # nonzero biases: a general point
        if p.ndim == 1:
            p.data[...] = 0.2 * rng.standard_normal(p.shape)
    x = Tensor(rng.standard_normal((6, 3)), requires_grad=True)
    labels = rng.integers(0, 2, size=6)
    assert check_grad(lambda t: cross_entropy(net(t), labels), x) < 1e-6
    params = net.parameters()
    err = check_grad(lambda *v: _with_params(params, v, lambda: cross_entropy(net(x), labels)),
                     *params)
    assert err < 1e-6


def test_parameters_are_counted_once():
    net = ResidualMLP(2, 4, 3, 3, rng=np.random.default_rng(0), branch_depth=2)
    params = net.parameters()
    assert len(params) == 2 + 3 * 4 + 2
    assert len({id(p) for p in params}) == len(params)
    assert net.inp is net.layers[0] and net.out is net.layers[-1] and len(net.blocks) == 3


def test_block_jacobian_of_a_linear_branch_is_identity_plus_s_W_transpose():
    rng = np.random.default_rng(1)
    block = ResidualBlock(4, activation="relu", init="lecun_normal", rng=rng, branch_depth=1,
                          branch_scale=0.6)
    J = _jacobian(block, rng.standard_normal(4))
    np.testing.assert_allclose(J, np.eye(4) + 0.6 * block.W.data.T, rtol=1e-13, atol=1e-15)


def test_block_jacobian_of_a_relu_branch_matches_the_formula():
    rng = np.random.default_rng(2)
    block = ResidualBlock(6, activation="relu", init="he_normal", rng=rng, branch_scale=0.5)
    h = rng.standard_normal(6)
    z = h @ block.branch[0].W.data + block.branch[0].b.data
    J = _jacobian(block, h)
    expected = np.eye(6) + 0.5 * block.last.W.data.T @ np.diag((z > 0) * 1.0) @ block.W.data.T
    np.testing.assert_allclose(J, expected, rtol=1e-13, atol=1e-15)


def test_product_over_blocks_is_the_sum_over_paths():
    rng = np.random.default_rng(3)
    blocks = [ResidualBlock(3, activation="identity", init="lecun_normal", rng=rng, branch_depth=1,
                            branch_scale=0.4) for _ in range(4)]

    def stack(h):
        for blk in blocks:
            h = blk(h)
        return h

    J_stack = _jacobian(stack, rng.standard_normal(3))
    total = np.zeros((3, 3))
    for k in range(5):
        for subset in itertools.combinations(range(4), k):
            term = np.eye(3)
            for b in sorted(subset, reverse=True):
                term = term @ (0.4 * blocks[b].W.data.T)
            total += term
    np.testing.assert_allclose(total, J_stack, rtol=1e-13, atol=1e-15)


def test_zero_last_layer_makes_every_block_exactly_the_identity():
    rng = np.random.default_rng(4)
    net = ResidualMLP(8, 8, 5, 8, activation="relu", rng=rng, zero_last=True)
    h = Tensor(rng.standard_normal((10, 8)))
    for block in net.blocks:
        np.testing.assert_array_equal(block(h).data, h.data)
    result = run_stream(StreamConfig(arch="zero_last", n_blocks=6, width=16, batch=8))
    assert np.all(result.h_ms == result.h_ms[0]) and np.all(result.grad_ms == result.grad_ms[-1])
    assert result.h_growth == 1.0 and result.grad_growth == 1.0


def test_hook_protocol_and_layer_profile():
    rng = np.random.default_rng(5)
    net = ResidualMLP(4, 6, 3, 2, rng=rng)
    calls = []
    net(Tensor(rng.standard_normal((5, 4))), hook=lambda l, z, h: calls.append((l, z.shape, h.shape)))
    assert [c[0] for c in calls] == [1, 2, 3, 4, 5] == list(range(1, len(net.layers) + 1))
    assert all(hasattr(layer, "W") for layer in net.layers)
    profile = layer_profile(net, rng.standard_normal((5, 4)), lambda out: (out * out).sum())
    assert len(profile.layers) == len(net.layers) + 1
    assert np.all(np.isfinite(profile["grad_h_norm"])) and np.all(np.isfinite(profile["grad_W_norm"][1:]))


def test_bad_settings_fail_clearly():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="branch_depth"):
        ResidualBlock(4, activation="relu", init="he_normal", rng=rng, branch_depth=0)
    with pytest.raises(ValueError, match="branch_scale"):
        ResidualBlock(4, activation="relu", init="he_normal", rng=rng, branch_scale=float("nan"))
    with pytest.raises(ValueError, match="n_blocks"):
        ResidualMLP(2, 4, -1, 3, rng=rng)
    with pytest.raises(ValueError, match="width"):
        ResidualMLP(2, 0, 2, 3, rng=rng)
    with pytest.raises(ValueError, match="unknown activation"):
        ResidualMLP(2, 4, 2, 3, rng=rng, activation="swish")
    with pytest.raises(ValueError, match="unknown arch"):
        residual_net(4, 4, 2, 4, arch="dense", rng=rng)
    with pytest.raises(ValueError, match="n_blocks"):
        run_stream(StreamConfig(n_blocks=0))


# --- closed forms and the experiments ---------------------------------------------------

def test_theory_growth_closed_forms():
    assert theory_growth("residual", 10, 10) == pytest.approx(3.0 ** 10, rel=1e-12)
    assert theory_growth("scaled", 64, 64) == pytest.approx((1 + 2 / 64) ** 64, rel=1e-12)
    assert theory_growth("scaled", 64, 64) < math.e ** 2
    assert theory_growth("residual", 4, 4, gain=0.5) == pytest.approx(1.5 ** 4, rel=1e-12)
    assert np.all(theory_growth("zero_last", 8, np.arange(9)) == 1.0)
    assert np.all(theory_growth("plain", 8, np.arange(9)) == 1.0)
    assert math.isnan(branch_scale_for("plain", 4)) and branch_scale_for("scaled", 16) == 0.25


def test_variance_grows_by_three_per_block_for_relu_he_branches():
    fwd, bwd = [], []
    for seed in range(3):
        r = run_stream(StreamConfig(arch="residual", n_blocks=24, width=64, batch=32, seed=seed))
        fwd.append(r.h_ms[1:] / r.h_ms[:-1])
        bwd.append(r.grad_ms[:-1] / r.grad_ms[1:])
    assert abs(np.mean(fwd) - 3) < 0.2 and abs(np.mean(bwd) - 3) < 0.2


def test_stream_layers_and_prediction_shapes():
    res = run_stream(StreamConfig(arch="residual", n_blocks=4, width=8, batch=4))
    np.testing.assert_array_equal(res.layers, [1, 3, 5, 7, 9])
    np.testing.assert_allclose(res.theory_h, 3.0 ** np.arange(5))
    np.testing.assert_allclose(res.theory_grad, 3.0 ** np.arange(4, -1, -1))
    plain = run_stream(StreamConfig(arch="plain", n_blocks=4, width=8, batch=4))
    np.testing.assert_array_equal(plain.layers, np.arange(1, 10))
    tanh = run_stream(StreamConfig(arch="scaled", n_blocks=4, activation="tanh", init="xavier_normal"))
    assert np.all(np.isnan(tanh.theory_h))


def test_overflow_becomes_a_message_not_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run_stream(StreamConfig(arch="residual", n_blocks=128, gain=10 ** 1.5, width=16,
                                         batch=8))
    assert "overflow" in result.message
    ax = plot_stream(result, "grad")
    assert any("overflow" in t.get_text() for t in ax.texts)


def test_residual_net_counts_blocks_for_every_arch():
    rng = np.random.default_rng(0)
    weights = lambda net: sum(1 for p in net.parameters() if p.data.ndim == 2)
    for arch in ARCHS:
        net = residual_net(2, 8, 3, 3, arch=arch, rng=rng)
        assert weights(net) == 2 * 3 + 2                     # the same weight layers for every arch
    assert isinstance(residual_net(2, 8, 3, 3, arch="scaled", rng=rng), ResidualMLP)
    with pytest.raises(ValueError, match="unknown arch"):
        residual_net(2, 8, 3, 3, arch="dense", rng=rng)


def test_depth_sweep_plot_and_training_plot():
    growth = {"residual": np.array([[1.7, 1.8], [5.0, 5.5]]), "zero_last": np.ones((2, 2))}
    ax = plot_depth_sweep(growth, (1, 3), theory={"residual": np.sqrt(3.0 ** np.array([1, 3]))})
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_yscale() == "log"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plot_training_runs({"ok": [np.linspace(1, 0.1, 5)], "bad": [np.array([1.0, 5.0, np.nan, np.nan])]})
        ax.figure.canvas.draw()
    assert any("diverged" in t.get_text() for t in ax.texts) and ax.get_ylabel()


def test_bn_residual_block_gradients_and_projection():
    rng = np.random.default_rng(3)
    block = BNResidualBlock(4, rng=rng)
    assert block.P is None and len(block.parameters()) == 6      # two Linear (no bias), two BatchNorm
    x = Tensor(rng.standard_normal((6, 4)), requires_grad=True)
    G = rng.standard_normal((6, 4))
    assert check_grad(lambda t: (block(t) * G).sum(), x) < 1e-6
    wide = BNResidualBlock(4, 8, rng=rng)
    assert wide.P.W.shape == (4, 8) and wide(Tensor(x.data)).shape == (6, 8)
    np.testing.assert_allclose(wide.P.W.data @ wide.P.W.data.T, np.eye(4), atol=1e-12)   # orthogonal rows


def test_bn_residual_stream_grows_linearly():
    rng = np.random.default_rng(0)
    net = BNResidualMLP(32, 32, 16, 32, rng=rng)
    seen = []
    net(Tensor(rng.standard_normal((64, 32))), hook=lambda b, h: seen.append(np.mean(h.data ** 2)))
    assert len(seen) == 17
    slope = np.polyfit(np.arange(17), seen, 1)[0]
    assert 0.7 < slope < 1.3


# --- widget -------------------------------------------------------------------------------



def test_residual_widget_survives_every_control_at_both_ends():
    box = residual_widget(width=16, batch=8)
    assert set(box.controls) == set(RESIDUAL_CONTROLS)
    drive_to_ends(box)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # the worst corner: most blocks, largest gain, unscaled ReLU: a message, no exception
        box.controls["arch"].value = "residual"
        box.controls["activation"].value = "relu"
        box.controls["init"].value = "he_normal"
        box.controls["n_blocks"].value = 128
        box.controls["gain"].value = 10 ** 1.5
        assert box.last_error == ""
    assert "overflow" in run_stream(StreamConfig(n_blocks=128, gain=10 ** 1.5, width=16, batch=8)).message
    with pytest.raises(ValueError, match="no control"):
        residual_widget(show=("n_blocks", "colour"))


def test_residual_widget_redraws_quickly_at_default_settings():
    box = residual_widget()
    ratio, times, plain = redraw_ratio(box, repeats=6)
    print(f"residual widget redraw at default settings: {min(times) * 1e3:.0f} ms (best of 6)")
    print(f"redraw {min(times) * 1e3:.0f} ms, a plain figure {min(plain) * 1e3:.0f} ms: ratio {ratio:.2f}")
    assert ratio < REDRAW_BUDGET, (times, plain)   # whole redraw, PNG included, side by side

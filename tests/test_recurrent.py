"""Chapter 7: recurrent cells, Adam, gradient clipping, the BPTT experiments, plots and widget."""
import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import lessonlib  # noqa: E402
from lessonlib import Tensor, check_grad  # noqa: E402
from lessonlib.experiments.bptt import JacobianConfig, cliff_slice, per_step_factor, rnn_gradient, run_jacobian
from lessonlib.data import ADDING_BASELINE, adding_batch
from lessonlib.recurrent import jacobian_norms, scalar_rnn
from lessonlib.optim import Adam, clip_grad_norm, clip_grad_value, grad_norm  # noqa: E402
from lessonlib.plotting import bptt as plots  # noqa: E402
from lessonlib.recurrent import LSTMCell, RNNCell, columns, unroll  # noqa: E402
from lessonlib.widgets.bptt import jacobian_widget  # noqa: E402
from widget_checks import REDRAW_BUDGET, drive_to_ends, redraw_ratio  # noqa: E402  (tests/widget_checks.py)

TOL = 1e-6


# --- cells ------------------------------------------------------------------------------
def test_nn_exposes_the_cells():
    assert lessonlib.nn.RNNCell is RNNCell and lessonlib.nn.LSTMCell is LSTMCell


def test_rnn_cell_matches_its_formula_and_radius():
    rng = np.random.default_rng(0)
    cell = RNNCell(3, 5, rng=rng, radius=1.7)
    assert [p.shape for p in cell.parameters()] == [(3, 5), (5, 5), (5,)]
    np.testing.assert_allclose(np.linalg.svd(cell.W_hh.data, compute_uv=False), 1.7, rtol=1e-12)
    cell.b_h.data[:] = rng.standard_normal(5)
    x, h = rng.standard_normal((2, 3)), rng.standard_normal((2, 5))
    expected = np.tanh(x @ cell.W_xh.data + h @ cell.W_hh.data + cell.b_h.data)
    np.testing.assert_allclose(cell(Tensor(x), Tensor(h)).data, expected, rtol=1e-14)


def _sequence_loss(cell, xs, state, readout):
    outputs, _ = unroll(cell, xs, state)
    return (outputs[-1] @ readout).sum() + 0.1 * (outputs[len(xs) // 2] ** 2).sum()


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_cells_gradients_through_20_steps(kind):
    """check_grad on every weight, every input and the initial state, 20 steps back."""
    rng = np.random.default_rng(1)
    n_in, n, batch, T = 3, 4, 2, 20
    cell = RNNCell(n_in, n, rng=rng, radius=1.2) if kind == "rnn" else LSTMCell(n_in, n, rng=rng)
    cell.b_h.data += 0.1 * rng.standard_normal(cell.b_h.shape)
    names = ["W_xh", "W_hh", "b_h"]
    params = [Tensor(getattr(cell, k).data, requires_grad=True) for k in names]
    xs = [Tensor(rng.standard_normal((batch, n_in)), requires_grad=True) for _ in range(T)]
    h0 = Tensor(0.5 * rng.standard_normal((batch, n)), requires_grad=True)
    c0 = Tensor(0.5 * rng.standard_normal((batch, n)), requires_grad=True)
    readout = rng.standard_normal((n, 1))

    def f(*args):
        for k, p in zip(names, args[:3]):
            setattr(cell, k, p)
        xs_, h, c = args[3:3 + T], args[3 + T], args[4 + T]
        return _sequence_loss(cell, list(xs_), h if kind == "rnn" else (h, c), readout)

    err = check_grad(f, *params, *xs, h0, c0, tol=TOL)
    assert err < TOL
    assert np.linalg.norm(xs[0].grad) > 1e-8        # the first input really was reached


def test_lstm_cell_path_jacobian_is_diag_f():
    rng = np.random.default_rng(2)
    cell = LSTMCell(3, 5, rng=rng)
    x, h = Tensor(rng.standard_normal((4, 3))), Tensor(rng.standard_normal((4, 5)))
    c = Tensor(rng.standard_normal((4, 5)), requires_grad=True)
    _, c_new = cell(x, (h, c))
    u = rng.standard_normal((4, 5))
    c_new.backward(u)
    f = cell.gates(x, h)[1].data
    np.testing.assert_allclose(c.grad, u * f, rtol=1e-14)       # dc_t/dc_{t-1} = diag(f_t)
    b = cell.b_h.data
    assert np.all(b[5:10] == 1.0) and np.all(b[:5] == 0) and np.all(b[10:] == 0)


def test_columns_gradient_and_errors():
    rng = np.random.default_rng(3)
    a = Tensor(rng.standard_normal((3, 8)), requires_grad=True)
    w = rng.standard_normal((3, 3))
    assert check_grad(lambda t: (columns(t, 2, 5) * w).sum(), a, tol=TOL) < TOL
    np.testing.assert_array_equal(a.grad[:, [0, 1, 5, 6, 7]], 0.0)
    with pytest.raises(ValueError, match="columns: need"):
        columns(a, 5, 9)


def test_cells_reject_bad_shapes_and_sizes():
    rng = np.random.default_rng(4)
    cell = RNNCell(3, 4, rng=rng)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 3\)"):
        cell(np.zeros((2, 5)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"state must have shape \(2, 4\)"):
        cell(np.zeros((2, 3)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="n_hidden must be a positive integer"):
        LSTMCell(3, 0, rng=rng)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        RNNCell(3, 4, rng=0)
    with pytest.raises(ValueError, match="unknown initializer"):
        RNNCell(3, 4, rng=rng, init="kaiming")
    with pytest.raises(ValueError, match="empty"):
        unroll(cell, [])


# --- clipping and Adam -------------------------------------------------------------------
def _params(*grads):
    ps = [Tensor(np.zeros(np.shape(g)), requires_grad=True) for g in grads]
    for p, g in zip(ps, grads):
        p.grad = np.array(g, dtype=float)
    return ps


def test_clip_grad_norm_rescales_and_keeps_the_direction():
    ps = _params([3.0, 0.0], [[4.0]])
    before = np.concatenate([p.grad.ravel() for p in ps])
    assert clip_grad_norm(ps, 1.0) == 5.0                    # returns the norm before clipping
    np.testing.assert_allclose(ps[0].grad, [0.6, 0.0], rtol=1e-15)
    np.testing.assert_allclose(ps[1].grad, [[0.8]], rtol=1e-15)
    after = np.concatenate([p.grad.ravel() for p in ps])
    assert np.isclose(after @ before / (np.linalg.norm(after) * np.linalg.norm(before)), 1.0, rtol=1e-15)
    assert np.isclose(grad_norm(ps), 1.0, rtol=1e-15)
    assert clip_grad_norm(ps, 2.0) == pytest.approx(1.0) and ps[0].grad[0] == pytest.approx(0.6)  # below: unchanged


def test_clip_grad_value_changes_the_direction():
    ps = _params([3.0, -0.5], [[4.0]])
    clip_grad_value(ps, 1.0)
    np.testing.assert_array_equal(ps[0].grad, [1.0, -0.5])
    np.testing.assert_array_equal(ps[1].grad, [[1.0]])
    g, c = np.array([3.0, -0.5, 4.0]), np.array([1.0, -0.5, 1.0])
    cosine = g @ c / (np.linalg.norm(g) * np.linalg.norm(c))
    assert cosine == pytest.approx(7.25 / (np.sqrt(25.25) * 1.5), rel=1e-14) and cosine < 0.97


def test_clipping_acts_on_real_leaf_gradients_and_rejects_bad_thresholds():
    W = Tensor(np.full((2, 2), 3.0), requires_grad=True)
    (W * W).sum().backward()                                 # grad 2W = 6 everywhere, norm 12
    assert clip_grad_norm([W], 3.0) == pytest.approx(12.0)
    np.testing.assert_allclose(W.grad, 1.5)
    with pytest.raises(ValueError, match="max_norm must be a finite number > 0"):
        clip_grad_norm([W], 0.0)
    with pytest.raises(ValueError, match="clip must be a finite number > 0"):
        clip_grad_value([W], -1.0)
    inf = _params([np.inf, 1.0])
    assert clip_grad_norm(inf, 1.0) == np.inf and inf[0].grad[1] == 1.0   # left alone


def test_adam_two_steps_by_hand():
    p = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = Adam([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    theta, m, v = np.array([1.0, -2.0]), np.zeros(2), np.zeros(2)
    for t, g in ((1, np.array([0.5, -4.0])), (2, np.array([-1.0, 2.0]))):
        p.grad = g.copy()
        opt.step()
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        theta = theta - 0.1 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        np.testing.assert_allclose(p.data, theta, rtol=1e-14)
    # step 1 moves every coordinate by lr, whatever the size of its gradient
    q = Tensor(np.zeros(3), requires_grad=True)
    opt = Adam([q], lr=0.1)
    q.grad = np.array([1e-3, 1.0, 1e3])
    opt.step()
    np.testing.assert_allclose(q.data, -0.1, rtol=1e-4)
    opt.zero_grad()
    assert q.grad is None
    with pytest.raises(ValueError, match="beta1"):
        Adam([q], betas=(1.0, 0.999))


# --- experiments --------------------------------------------------------------------------
def test_jacobian_products_match_backward_and_the_bound():
    rng = np.random.default_rng(5)
    cell = RNNCell(2, 6, rng=rng, radius=1.3)
    xs = [Tensor(rng.standard_normal((3, 2))) for _ in range(12)]
    h0 = Tensor(np.zeros((3, 6)))
    hs, _ = unroll(cell, xs, h0)
    u = rng.standard_normal((3, 6))
    (hs[-1] * u).sum().backward()
    slopes = np.array([1.0 - h.data ** 2 for h in hs])        # tanh'(a_t) = 1 - h_t^2
    W = cell.W_hh.data
    for k in (1, 5, 10):                                     # dL/dh_k = u J_T ... J_{k+1}, per example
        P = np.broadcast_to(np.eye(6), (3, 6, 6))
        for t in range(12, k, -1):
            P = P @ (slopes[t - 1][:, :, None] * W.T)
        np.testing.assert_allclose(hs[k - 1].grad, np.einsum("ni,nij->nj", u, P), rtol=1e-11)
    norms = jacobian_norms(slopes, W, np.arange(13))
    assert np.all(norms <= 1.3 ** np.arange(13)[:, None] * (1 + 1e-12))


def test_run_jacobian_zero_input_attains_the_bound_and_saturation_beats_it():
    radii = (0.5, 2.0)
    flat = run_jacobian(JacobianConfig(radii=radii, input_scale=0.0, T=30, n_hidden=8, n_seq=2))
    np.testing.assert_allclose(flat.norms[:, :, 0], np.array(radii)[:, None] ** flat.lags, rtol=1e-9)
    np.testing.assert_allclose(per_step_factor(flat), radii, rtol=1e-9)
    noisy = run_jacobian(JacobianConfig(radii=radii, input_scale=1.0, T=30, n_hidden=8, n_seq=2))
    assert np.all(noisy.norms <= np.array(radii)[:, None, None] ** noisy.lags[None, :, None] * (1 + 1e-12))
    assert per_step_factor(noisy)[1] < 1.5 and noisy.message == ""
    sub = run_jacobian(JacobianConfig(radii=(1.0,), T=30, n_hidden=8, n_seq=2, n_lags=7))
    np.testing.assert_array_equal(sub.lags, [0, 5, 10, 15, 20, 25, 30])


def test_run_jacobian_reports_underflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = run_jacobian(JacobianConfig(radii=(0.1,), input_scale=10.0, T=300, n_hidden=8, n_seq=2,
                                        n_lags=20))
    assert r.message.startswith("underflow")


def test_rnn_gradient_fills_every_parameter():
    params = rnn_gradient(1.0, T=6, n_hidden=4, batch=3)
    assert [p.shape for p in params] == [(2, 4), (4, 4), (4,), (4, 1)]
    assert all(p.grad is not None and np.all(np.isfinite(p.grad)) and np.any(p.grad) for p in params)


def test_scalar_rnn_derivatives_match_backward():
    w = Tensor(1.7, requires_grad=True)
    b = Tensor(-0.3, requires_grad=True)
    h = Tensor(0.5)
    for _ in range(30):
        h = lessonlib.tanh(w * h + b)
    h.backward()
    hT, dw, db = scalar_rnn(1.7, -0.3, T=30, h0=0.5)
    assert hT == pytest.approx(h.item(), rel=1e-14)
    assert dw == pytest.approx(w.grad, rel=1e-10) and db == pytest.approx(b.grad, rel=1e-10)


def test_cliff_slice_finds_the_wall_on_the_line_b_star():
    wall = cliff_slice(2.0, T=50, h0=0.5)
    assert wall.b_wall == pytest.approx(np.arctanh(0.5) - 2.0 * 0.5, abs=1e-9)
    assert wall.distances.shape == (31,) and wall.below.shape == wall.above.shape == (31,)
    assert max(wall.below[0], wall.above[0]) > 1e8          # steepest right at the wall
    assert wall.below[-1] < 1e-2 * wall.below[0]
    with pytest.raises(ValueError, match="brackets the wall"):
        cliff_slice(2.0, b_range=(0.5, 1.0))


def test_adding_batch():
    xs, y = adding_batch(10, 64, rng=np.random.default_rng(6))
    assert xs.shape == (10, 64, 2) and y.shape == (64, 1)
    np.testing.assert_array_equal(xs[:, :, 1].sum(axis=0), 2.0)
    assert np.all(xs[:5, :, 1].sum(axis=0) == 1) and np.all(xs[5:, :, 1].sum(axis=0) == 1)
    np.testing.assert_allclose(y[:, 0], (xs[:, :, 0] * xs[:, :, 1]).sum(axis=0))
    assert ADDING_BASELINE == pytest.approx(2 / 12)
    with pytest.raises(ValueError, match="T must be an integer >= 2"):
        adding_batch(1, 4, rng=np.random.default_rng(0))


def test_plots_have_labels():
    jac = run_jacobian(JacobianConfig(radii=(0.5, 1.0, 1.5), T=10, n_hidden=6, n_seq=2))
    W, B = np.meshgrid(np.linspace(1, 3, 5), np.linspace(-1, 1, 5))
    landscape = (W, B, (scalar_rnn(W, B, T=10, h0=0.5)[0] - 0.5) ** 2)
    paths = {"none": np.array([[2.0, 0.0], [2.1, 0.1]]), "norm": np.array([[2.0, 0.0], [1.9, -0.1]])}
    curves = {"LSTM, seed 0": np.linspace(1, 0.1, 30), "RNN, seed 0": np.full(30, 0.2)}
    axes = [plots.plot_jacobian_heatmap(jac), plots.plot_jacobian_norms(jac, index=2),
            plots.plot_slopes(jac), plots.plot_step_factors({1.0: per_step_factor(jac, 0.0)}, jac.radii),
            plots.plot_lag_gradients({"a": np.array([1.0, 0.1])}),
            plots.plot_cliff(landscape, paths, (2.0, 0.0), T=10), plots.plot_cliff_slice(cliff_slice(2.0)),
            plots.plot_adding(curves, T=30), plots.plot_sensitivity(curves)]
    for ax in axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    matplotlib.pyplot.close("all")


def test_lstm_diagram_names_every_gate_and_the_cell_path():
    ax = plots.plot_lstm_cell()
    texts = " ".join(t.get_text() for t in ax.texts)
    for part in (r"$f_t = \sigma$", r"$i_t = \sigma$", r"$o_t = \sigma$", r"$\tilde c_t = \tanh$",
                 r"$c_{t-1}$", r"$c_t$", r"$h_t$", "additive path"):
        assert part in texts, part
    matplotlib.pyplot.close("all")


# --- widget ------------------------------------------------------------------------------


def test_jacobian_widget_survives_every_control_at_both_ends():
    box = jacobian_widget()
    assert set(box.controls) == {"radius", "input_scale", "T"}
    drive_to_ends(box, restore=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for radius, scale, T in ((0.1, 10.0, 300), (3.0, 1e-3, 300), (3.0, 10.0, 5)):   # corners
            box.controls["radius"].value = radius
            box.controls["input_scale"].value = scale
            box.controls["T"].value = T
            assert box.last_error == ""
    box.controls["radius"].value, box.controls["input_scale"].value = 1.5, 1.0
    box.controls["T"].value = 100
    ratio, times, plain = redraw_ratio(box)
    print(f"redraw at the default settings: {min(times) * 1000:.0f} ms")
    print(f"redraw {min(times) * 1e3:.0f} ms, a plain figure {min(plain) * 1e3:.0f} ms: ratio {ratio:.2f}")
    assert ratio < REDRAW_BUDGET, (times, plain)   # whole redraw, PNG included, side by side
    matplotlib.pyplot.close("all")

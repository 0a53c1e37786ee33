"""The shared experiment runners, their plots and the profile widget."""
import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from lessonlib import data, losses, optim
from lessonlib.experiments.profiles import ProfileConfig, run_profile
from lessonlib.layers import deep_mlp
from lessonlib.training import train, train_loop
from lessonlib.plotting.profiles import plot_losses, plot_profile  # noqa: E402
from lessonlib.widgets.profiles import PROFILE_CONTROLS, profile_widget  # noqa: E402
from widget_checks import REDRAW_BUDGET, drive_to_ends, redraw_ratio  # noqa: E402  (tests/widget_checks.py)


def test_run_profile_is_deterministic_and_shaped():
    a, b = run_profile(ProfileConfig(depth=6, seed=3)), run_profile(ProfileConfig(depth=6, seed=3))
    assert len(a.profile.layers) == 1 + 6 + 1          # input, 6 hidden layers, output layer
    np.testing.assert_array_equal(a["grad_h_rms"], b["grad_h_rms"])
    assert a.message == ""


def test_linear_profile_matches_closed_form():
    # identity activation, W = a I: h_l = a^l x and dL/dh_l = a^(L+1-l) G / N
    a, depth, width = 0.8, 7, 16
    eye = lambda fan_in, fan_out, *, rng, gain=1.0: a * np.eye(fan_in, fan_out)
    result = run_profile(ProfileConfig(activation="identity", init=eye, depth=depth, width=width))
    layers = np.arange(depth + 2)
    ratio_h = result["h_rms"] / result["h_rms"][0]
    ratio_g = result["grad_h_rms"] / result["grad_h_rms"][-1]
    np.testing.assert_allclose(ratio_h, a ** layers, rtol=1e-12)
    np.testing.assert_allclose(ratio_g, a ** (depth + 1 - layers), rtol=1e-12)


def test_overflow_becomes_a_message_not_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run_profile(ProfileConfig(activation="identity", init="normal", gain=100.0,
                                           depth=200, width=16))
    assert "overflow" in result.message
    ax = plot_profile(result, "grad_h_rms")
    assert any("overflow" in t.get_text() for t in ax.texts)


def _teacher(seed=0):
    return data.teacher_regression(256, 16, rng=np.random.default_rng(seed))


def test_train_loop_reduces_loss_and_reports_divergence():
    X, y = _teacher()
    net = deep_mlp(16, 32, 3, 1, activation="tanh", init="xavier_normal", rng=np.random.default_rng(0))
    ok = train_loop(net, X, y, loss_fn=losses.mse, lr=0.05, steps=200)
    assert ok.message == "" and ok.final_loss < 0.5 * ok.losses[0]
    assert np.all(np.isfinite(ok.first_grad_norms)) and ok.first_grad_norms.shape == (200,)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = deep_mlp(16, 64, 6, 1, activation="relu", init="he_normal", rng=np.random.default_rng(0))
        bad = train_loop(net, X, y, loss_fn=losses.mse, lr=50.0, steps=50)
    assert bad.message.startswith("diverged")
    stop = int(np.argmax(np.isnan(bad.losses)))
    assert 0 < stop < 50 and np.all(np.isnan(bad.losses[stop:])) and np.all(np.isnan(bad.last_grad_norms[stop:]))
    ax = plot_losses(bad)
    assert ax.get_xlabel() and ax.get_ylabel()


def test_train_matches_a_hand_written_loop():
    X, y = _teacher(1)
    nets = [deep_mlp(16, 8, 2, 1, activation="tanh", init="xavier_normal", rng=np.random.default_rng(5))
            for _ in range(2)]
    opt = optim.SGD(nets[0].parameters(), lr=0.1)
    by_hand = []
    for _ in range(5):
        opt.zero_grad()
        loss = losses.mse(nets[0](X), y)
        loss.backward()
        by_hand.append(loss.item())
        opt.step()
    run = train(lambda step: losses.mse(nets[1](X), y), optim.SGD(nets[1].parameters(), lr=0.1), 5,
                watch={"W1": lambda: nets[1].layers[0].W.grad.copy()}, lr_at=lambda step: 0.1)
    np.testing.assert_array_equal(run.losses, by_hand)
    assert run.watched["W1"].shape == (5, 16, 8) and run.stopped == 5 and run.message == ""
    np.testing.assert_array_equal(nets[0].layers[0].W.data, nets[1].layers[0].W.data)


def test_train_refuses_bad_steps():
    with pytest.raises(ValueError, match="train: steps must be an integer >= 0"):
        train(lambda step: None, None, -1)


def test_bad_settings_fail_clearly():
    with pytest.raises(ValueError, match="deep_mlp: unknown initializer 'kaiming'"):
        deep_mlp(4, 4, 2, 1, activation="tanh", init="kaiming", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="deep_mlp: depth must be a positive integer"):
        deep_mlp(4, 4, 0, 1, activation="tanh", init="he_normal", rng=np.random.default_rng(0))


def test_profile_widget_survives_every_control_at_both_ends():
    box = profile_widget()
    assert set(box.controls) == set(PROFILE_CONTROLS)
    drive_to_ends(box)
    with pytest.raises(ValueError, match="no control"):
        profile_widget(show=("depth", "colour"))


def test_profile_widget_redraws_quickly_at_default_settings():
    box = profile_widget()
    ratio, times, plain = redraw_ratio(box)
    print(f"redraw {min(times) * 1e3:.0f} ms, a plain figure {min(plain) * 1e3:.0f} ms: ratio {ratio:.2f}")
    assert ratio < REDRAW_BUDGET, (times, plain)   # whole redraw, PNG included, side by side

"""The diagnostic plots, on networks whose statistics are known."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessonlib import init  # noqa: E402
from lessonlib.diagnostics import diagnose  # noqa: E402
from lessonlib.layers import MLP  # noqa: E402
from lessonlib.plotting.diagnostics import (RULE_OF_THUMB, plot_activation_over_training,  # noqa: E402
                                            plot_fractions, plot_histograms, plot_update_ratio)


def _data(seed=0, n=64):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 4)), rng.integers(0, 3, n)


def _net(activation, init_name, seed=0, sizes=(4, 16, 16, 3)):
    return MLP(sizes, activation=activation, init=init_name, rng=np.random.default_rng(seed))


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_histograms_integrate_to_one_and_show_a_constant_layer():
    net = _net("tanh", "xavier_normal")
    for layer in net.layers:                       # constant weights: every unit of a layer equal
        layer.W.data = np.full(layer.W.shape, 0.1)
    X, y = _data()
    d = diagnose(net, X, y)
    ax = plot_histograms(d)
    lines = ax.get_lines()
    assert len(lines) == 2 and ax.get_xlabel() and ax.get_ylabel() == "density"
    for line, v in zip(lines, d.activations):
        x, dens = line.get_data()
        assert np.sum(dens) * (x[1] - x[0]) == pytest.approx(1.0)
    # layer 1: h = tanh(0.1 * sum(x)) for every unit, so its mean is known exactly
    assert d.activations[0].mean() == pytest.approx(np.tanh(0.1 * X.sum(1)).mean())
    ax = plot_histograms(d, which="gradients")
    assert "partial" in ax.get_xlabel()
    with pytest.raises(ValueError, match="which must be"):
        plot_histograms(d, which="weights")
    assert plot_histograms(d, when="end").texts          # no training: a message, no crash


def test_dead_fraction_over_training_starts_at_the_known_value():
    net = _net("relu", "he_normal")
    net.layers[0].b.data = np.full(16, -100.0)          # every unit of layer 1 is dead
    X, y = _data()
    d = diagnose(net, X, y, lr=0.1, steps=5)
    ax = plot_fractions(d)
    ys = [line.get_ydata() for line in ax.get_lines()]
    assert len(ys) == 2 and np.all(ys[0] == 1.0)        # dead stays dead: zero gradient
    assert "dead_units" in d.codes
    assert ax.get_ylabel() == "fraction of units"


def test_update_ratio_is_lr_times_grad_over_weight_with_the_rule_of_thumb():
    net = _net("tanh", "xavier_normal")
    X, y = _data()
    lr = 0.05
    d = diagnose(net, X, y, lr=lr, steps=3)
    # the first update of each matrix by hand, from one backward pass on a copy
    from lessonlib.losses import cross_entropy
    from lessonlib.autodiff import Tensor
    cross_entropy(net(Tensor(X)), y).backward()
    by_hand = [np.std(lr * layer.W.grad) / np.std(layer.W.data) for layer in net.layers]
    assert d.update_ratio[0] == pytest.approx(by_hand, rel=1e-12)
    ax = plot_update_ratio(d)
    assert ax.get_yscale() == "log"
    assert any(np.allclose(line.get_ydata(), RULE_OF_THUMB) for line in ax.get_lines())
    assert np.allclose(ax.get_lines()[0].get_ydata(), d.update_ratio[:, 0])


def test_activation_over_training_plots_mean_and_band():
    net = _net("sigmoid", "xavier_normal", sizes=(4, 8, 8, 8, 3))
    X, y = _data()
    d = diagnose(net, X, y, lr=0.5, steps=4)
    ax = plot_activation_over_training(d)
    assert len(ax.get_lines()) == 3 and len(ax.collections) == 3
    # sigmoid units at init sit near 1/2: each layer's mean line starts within (0.3, 0.7)
    assert all(0.3 < line.get_ydata()[0] < 0.7 for line in ax.get_lines())
    assert np.allclose(ax.get_lines()[1].get_ydata(), d.mean_history[:, 1])
    assert plot_fractions(diagnose(net, X, y)).texts

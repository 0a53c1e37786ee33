"""lessonlib.nn (Linear, MLP, SGD) and lessonlib.data (synthetic data sets)."""

import numpy as np
import pytest

import lessonlib
from lessonlib import Tensor, data, init, nn


# --------------------------------------------------------------------------- Linear
def test_linear_shapes_parameters_and_forward():
    rng = np.random.default_rng(0)
    layer = nn.Linear(4, 3, init=init.xavier_normal, rng=rng)
    assert layer.W.shape == (4, 3) and layer.b.shape == (3,)
    params = layer.parameters()
    assert len(params) == 2
    assert params[0] is layer.W and params[1] is layer.b
    assert all(isinstance(p, Tensor) and p.requires_grad for p in params)
    x = np.random.default_rng(1).standard_normal((5, 4))
    out = layer(Tensor(x))
    assert out.shape == (5, 3)
    np.testing.assert_allclose(out.data, x @ layer.W.data + layer.b.data, rtol=1e-14)


def test_linear_without_bias_has_one_parameter():
    layer = nn.Linear(4, 3, init="he_normal", rng=np.random.default_rng(0), bias=False)
    assert len(layer.parameters()) == 1
    x = np.ones((2, 4))
    np.testing.assert_allclose(layer(Tensor(x)).data, x @ layer.W.data, rtol=1e-14)


def test_linear_gradients_reach_its_parameters():
    layer = nn.Linear(3, 2, init="xavier_normal", rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((4, 3))
    layer(Tensor(x)).sum().backward()
    np.testing.assert_allclose(layer.W.grad, x.sum(axis=0)[:, None] * np.ones((1, 2)))
    np.testing.assert_allclose(layer.b.grad, np.full(2, 4.0))


# --------------------------------------------------------------------------- MLP
SIZES = [2, 16, 16, 3]
N_PARAMS = (2 * 16 + 16) + (16 * 16 + 16) + (16 * 3 + 3)


def _manual_forward(model, x, act):
    h = x
    for i, layer in enumerate(model.layers):
        h = h @ layer.W.data + layer.b.data
        if i < len(model.layers) - 1:
            h = act(h)
    return h


@pytest.mark.parametrize(
    "activation, act_np",
    [("tanh", np.tanh), (lessonlib.relu, lambda h: np.maximum(h, 0.0))],
    ids=["tanh-by-name", "relu-callable"],
)
@pytest.mark.parametrize("init_choice", ["he_normal", init.xavier_normal],
                         ids=["he-by-name", "xavier-callable"])
def test_mlp_forward_shape_parameters_and_activation_placement(activation, act_np, init_choice):
    model = nn.MLP(SIZES, activation=activation, init=init_choice, rng=np.random.default_rng(0))
    assert len(model.layers) == 3
    assert [(layer.W.shape, layer.b.shape) for layer in model.layers] == [
        ((2, 16), (16,)), ((16, 16), (16,)), ((16, 3), (3,))]
    params = model.parameters()
    assert sum(p.size for p in params) == N_PARAMS
    assert len({id(p) for p in params}) == len(params) == 6
    x = np.random.default_rng(1).standard_normal((10, 2))
    out = model(Tensor(x))
    assert out.shape == (10, 3)
    # activation after every layer but the last
    np.testing.assert_allclose(out.data, _manual_forward(model, x, act_np), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["he_normal", "xavier_normal", "lecun_normal", "orthogonal"])
def test_mlp_init_by_name_equals_init_by_callable(name):
    by_name = nn.MLP(SIZES, activation="tanh", init=name, rng=np.random.default_rng(9))
    by_fn = nn.MLP(SIZES, activation="tanh", init=getattr(init, name), rng=np.random.default_rng(9))
    for p, q in zip(by_name.parameters(), by_fn.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_mlp_is_deterministic_given_rng():
    a = nn.MLP(SIZES, activation="tanh", init="he_normal", rng=np.random.default_rng(5))
    b = nn.MLP(SIZES, activation="tanh", init="he_normal", rng=np.random.default_rng(5))
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


# --------------------------------------------------------------------------- SGD
def test_sgd_step_and_zero_grad():
    rng = np.random.default_rng(0)
    model = nn.MLP([3, 4, 2], activation="tanh", init="xavier_normal", rng=rng)
    opt = nn.SGD(model.parameters(), lr=0.1)
    x = Tensor(rng.standard_normal((5, 3)))
    y = np.array([0, 1, 1, 0, 1])

    loss = lessonlib.cross_entropy(model(x), y)
    loss.backward()
    before = [p.data.copy() for p in model.parameters()]
    grads = [p.grad.copy() for p in model.parameters()]
    opt.step()
    for p, p0, g in zip(model.parameters(), before, grads, strict=True):
        np.testing.assert_allclose(p.data, p0 - 0.1 * g, rtol=1e-14)

    opt.zero_grad()
    for p in model.parameters():
        assert p.grad is None or not np.any(p.grad)
    # after zero_grad the next backward gives a fresh (not accumulated) gradient
    lessonlib.cross_entropy(model(x), y).backward()
    first = [p.grad.copy() for p in model.parameters()]
    opt.zero_grad()
    lessonlib.cross_entropy(model(x), y).backward()
    for p, g in zip(model.parameters(), first, strict=True):
        np.testing.assert_allclose(p.grad, g, rtol=1e-14)


def _train(X, y, seed, *, sizes, lr, steps):
    model = nn.MLP(sizes, activation="tanh", init="xavier_normal", rng=np.random.default_rng(seed))
    opt = nn.SGD(model.parameters(), lr=lr)
    x = Tensor(X)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = lessonlib.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sgd_training_on_spirals_reduces_loss(seed):
    X, y = data.spirals(50, 3, rng=np.random.default_rng(seed), noise=0.1)
    losses = _train(X, y, seed, sizes=[2, 32, 32, 3], lr=0.5, steps=300)
    assert np.all(np.isfinite(losses))
    assert losses[-1] < 0.5 * losses[0], (losses[0], losses[-1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sgd_training_on_blobs_reduces_loss(seed):
    # 10 features: random centres on the radius-3 sphere are well apart (in 2-D two of
    # them can land close together, and then no classifier halves the loss)
    X, y = data.blobs(50, 3, 10, rng=np.random.default_rng(seed), spread=1.0)
    losses = _train(X, y, seed, sizes=[10, 16, 3], lr=0.3, steps=100)
    assert losses[-1] < 0.5 * losses[0], (losses[0], losses[-1])


# --------------------------------------------------------------------------- data
def _assert_global_state_untouched(fn):
    np.random.seed(99)
    state = np.random.get_state()
    fn()
    after = np.random.get_state()
    np.testing.assert_array_equal(state[1], after[1])
    assert state[2:] == after[2:]


@pytest.mark.parametrize("n_per_class, n_classes", [(50, 3), (20, 2), (10, 5)])
def test_spirals_shapes_dtypes_and_labels(n_per_class, n_classes):
    X, y = data.spirals(n_per_class, n_classes, rng=np.random.default_rng(0))
    N = n_per_class * n_classes
    assert X.shape == (N, 2) and X.dtype == np.float64
    assert y.shape == (N,) and np.issubdtype(y.dtype, np.integer)
    np.testing.assert_array_equal(np.bincount(y), np.full(n_classes, n_per_class))
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("n_per_class, n_classes, n_features", [(40, 2, 2), (30, 4, 5)])
def test_blobs_shapes_dtypes_and_labels(n_per_class, n_classes, n_features):
    X, y = data.blobs(n_per_class, n_classes, n_features, rng=np.random.default_rng(0))
    N = n_per_class * n_classes
    assert X.shape == (N, n_features) and X.dtype == np.float64
    assert y.shape == (N,) and np.issubdtype(y.dtype, np.integer)
    np.testing.assert_array_equal(np.bincount(y), np.full(n_classes, n_per_class))


def test_blobs_spread_controls_the_within_class_scatter():
    X1, y1 = data.blobs(500, 2, rng=np.random.default_rng(0), spread=0.5)
    X2, y2 = data.blobs(500, 2, rng=np.random.default_rng(0), spread=2.0)
    s1 = X1[y1 == 0].std(axis=0).mean()
    s2 = X2[y2 == 0].std(axis=0).mean()
    assert s2 / s1 == pytest.approx(4.0, rel=0.15)


def test_teacher_regression_shapes_and_unit_variance():
    X, y = data.teacher_regression(2000, 10, rng=np.random.default_rng(0))
    assert X.shape == (2000, 10) and X.dtype == np.float64
    assert y.shape == (2000, 1) and y.dtype == np.float64
    assert y.var() == pytest.approx(1.0, rel=0.15)
    assert np.std(y) > 0


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: data.spirals(30, 3, rng=rng),
        lambda rng: data.blobs(30, 3, rng=rng),
        lambda rng: data.teacher_regression(100, 4, rng=rng),
    ],
    ids=["spirals", "blobs", "teacher_regression"],
)
def test_data_is_deterministic_given_rng_and_pure(make):
    X1, y1 = make(np.random.default_rng(3))
    X2, y2 = make(np.random.default_rng(3))
    X3, _ = make(np.random.default_rng(4))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    _assert_global_state_untouched(lambda: make(np.random.default_rng(3)))

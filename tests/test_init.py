"""Initializers: shapes, purity, and the standard deviations the chapters derive."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lessonlib import init

ALL = [getattr(init, n) for n in init.__all__]   # every initializer lessonlib exports
ids = [f.__name__ for f in ALL]


def expected_std(name, fan_in, fan_out, gain=1.0):
    return gain * {
        "lecun_normal": np.sqrt(1.0 / fan_in),
        "xavier_normal": np.sqrt(2.0 / (fan_in + fan_out)),
        "xavier_uniform": np.sqrt(2.0 / (fan_in + fan_out)),  # limit / sqrt(3)
        "he_normal": np.sqrt(2.0 / fan_in),
        "normal": 1.0,
    }[name]


@pytest.mark.parametrize("initializer", ALL, ids=ids)
@pytest.mark.parametrize("fans", [(7, 3), (3, 7), (5, 5), (1, 1)])
def test_shape_and_dtype(initializer, fans):
    W = initializer(*fans, rng=np.random.default_rng(0))
    assert isinstance(W, np.ndarray)
    assert W.dtype == np.float64
    assert W.shape == fans
    assert np.all(np.isfinite(W))


@pytest.mark.parametrize("initializer", ALL, ids=ids)
def test_pure_same_seed_same_array_and_global_state_untouched(initializer):
    np.random.seed(1234)
    global_state = np.random.get_state()
    W1 = initializer(6, 4, rng=np.random.default_rng(7))
    W2 = initializer(6, 4, rng=np.random.default_rng(7))
    W3 = initializer(6, 4, rng=np.random.default_rng(8))
    after = np.random.get_state()
    np.testing.assert_array_equal(W1, W2)
    assert not np.array_equal(W1, W3)
    assert global_state[0] == after[0]
    np.testing.assert_array_equal(global_state[1], after[1])
    assert global_state[2:] == after[2:]


@pytest.mark.parametrize("initializer", [f for f in ALL if f is not init.orthogonal],
                         ids=[i for i in ids if i != "orthogonal"])
@pytest.mark.parametrize("fans", [(1000, 500), (500, 1000)])
def test_sample_std_matches_formula(initializer, fans):
    """Non-square on purpose: swapping fan_in and fan_out changes the std by ~40%."""
    W = initializer(*fans, rng=np.random.default_rng(0))
    target = expected_std(initializer.__name__, *fans)
    assert W.std() == pytest.approx(target, rel=0.02)
    assert abs(W.mean()) < 5 * target / np.sqrt(W.size)


@pytest.mark.parametrize("initializer", ALL, ids=ids)
def test_gain_scales_the_array(initializer):
    W1 = initializer(30, 20, rng=np.random.default_rng(3))
    W3 = initializer(30, 20, rng=np.random.default_rng(3), gain=3.0)
    np.testing.assert_allclose(W3, 3.0 * W1, rtol=1e-12)


def test_gain_scales_the_std():
    W = init.he_normal(1000, 500, rng=np.random.default_rng(4), gain=0.5)
    assert W.std() == pytest.approx(0.5 * np.sqrt(2.0 / 1000), rel=0.02)


@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier_uniform_bounds(gain):
    fan_in, fan_out = 400, 100
    W = init.xavier_uniform(fan_in, fan_out, rng=np.random.default_rng(5), gain=gain)
    limit = gain * np.sqrt(6.0 / (fan_in + fan_out))
    assert np.abs(W).max() <= limit
    assert np.abs(W).max() > 0.99 * limit           # fills the interval, not a narrower one
    assert W.min() < -0.99 * limit                   # symmetric
    # uniform, not normal: a quarter of the mass in each quarter of [-limit, limit]
    counts, _ = np.histogram(W, bins=4, range=(-limit, limit))
    np.testing.assert_allclose(counts / W.size, 0.25, atol=0.02)


@pytest.mark.parametrize("gain", [1.0, 0.5, 3.0])
@pytest.mark.parametrize("fans", [(8, 5), (5, 8), (6, 6), (200, 50)])
def test_orthogonal(fans, gain):
    fan_in, fan_out = fans
    W = init.orthogonal(fan_in, fan_out, rng=np.random.default_rng(6), gain=gain)
    if fan_in >= fan_out:   # tall: orthonormal columns
        gram = W.T @ W
    else:                   # wide: orthonormal rows
        gram = W @ W.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(fans)), rtol=0, atol=1e-12 * gain**2)


def test_orthogonal_is_not_always_the_same_matrix():
    W1 = init.orthogonal(6, 6, rng=np.random.default_rng(1))
    W2 = init.orthogonal(6, 6, rng=np.random.default_rng(2))
    assert not np.allclose(W1, W2)
    assert not np.allclose(np.abs(W1), np.eye(6))


@settings(derandomize=True, max_examples=40, deadline=None, database=None)
@given(fan_in=st.integers(1, 40), fan_out=st.integers(1, 40), seed=st.integers(0, 2**32 - 1))
def test_property_shapes_and_orthogonality_over_random_fans(fan_in, fan_out, seed):
    for initializer in ALL:
        W = initializer(fan_in, fan_out, rng=np.random.default_rng(seed))
        assert W.shape == (fan_in, fan_out) and W.dtype == np.float64
    W = init.orthogonal(fan_in, fan_out, rng=np.random.default_rng(seed))
    gram = W.T @ W if fan_in >= fan_out else W @ W.T
    np.testing.assert_allclose(gram, np.eye(min(fan_in, fan_out)), rtol=0, atol=1e-12)
    U = init.xavier_uniform(fan_in, fan_out, rng=np.random.default_rng(seed))
    assert np.abs(U).max() <= np.sqrt(6.0 / (fan_in + fan_out))

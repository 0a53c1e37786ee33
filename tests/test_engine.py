"""The backward engine: graph shapes, accumulation, and deep chains checked analytically.

No finite differences through deep graphs here: the gradient of a deep chain is a product
of its local derivatives, which we compute in closed form.
"""

import re

import numpy as np
import pytest

import lessonlib
from lessonlib import Tensor


def test_node_used_twice_gets_both_contributions():
    x = Tensor([1.0, -2.0, 3.5], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data)


def test_diamond_graph_closed_form():
    # y = a b,  z = a + y,  L = y z = a^2 b + a^2 b^2
    a = Tensor(1.5, requires_grad=True)
    b = Tensor(-0.7, requires_grad=True)
    y = a * b
    z = a + y
    L = y * z
    L.backward()
    av, bv = 1.5, -0.7
    assert L.item() == pytest.approx(av**2 * bv + av**2 * bv**2, rel=1e-14)
    assert float(a.grad) == pytest.approx(2 * av * bv + 2 * av * bv**2, rel=1e-14)
    assert float(b.grad) == pytest.approx(av**2 + 2 * av**2 * bv, rel=1e-14)
    # intermediates get dL/d(intermediate) too
    assert float(y.grad) == pytest.approx(z.item() + y.item(), rel=1e-14)   # via L and via z
    assert float(z.grad) == pytest.approx(y.item(), rel=1e-14)
    assert float(L.grad) == 1.0


def test_intermediates_of_a_vector_graph_get_grads_of_their_shape():
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    h = x * 3.0
    e = lessonlib.exp(h)
    loss = e.sum()
    loss.backward()
    np.testing.assert_allclose(e.grad, np.ones(3), rtol=0)
    np.testing.assert_allclose(h.grad, np.exp(3 * x.data), rtol=1e-15)
    np.testing.assert_allclose(x.grad, 3 * np.exp(3 * x.data), rtol=1e-15)


def test_10000_op_chain_has_no_recursion_error():
    n = 10_000
    x = Tensor(1.0, requires_grad=True)
    h = x
    for _ in range(n):
        h = h * 1.0001
    h.backward()
    assert float(x.grad) == pytest.approx(1.0001**n, rel=1e-10)


def test_10000_op_chain_of_mixed_ops():
    # alternate h -> h + 0.5 and h -> h * 0.999: d h_n / d x = 0.999**(n/2)
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x
    for _ in range(5_000):
        h = (h + 0.5) * 0.999
    h.sum().backward()
    np.testing.assert_allclose(x.grad, np.full(2, 0.999**5_000), rtol=1e-10)


def test_backward_twice_accumulates_gradients():
    """Documented behaviour: a second backward() on the same graph adds the gradient again."""
    x = Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    w = Tensor(np.array([0.3, 0.2, -0.4]), requires_grad=True)
    h = lessonlib.tanh(x * w)          # intermediates in between, so a
    loss = (h * h).sum()               # re-propagated accumulated grad would show
    loss.backward()
    gx, gw = x.grad.copy(), w.grad.copy()
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * gx, rtol=1e-15)
    np.testing.assert_allclose(w.grad, 2 * gw, rtol=1e-15)


def test_zero_grad_resets_to_none_and_next_backward_is_fresh():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    x.zero_grad()
    assert x.grad is None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data)


def test_backward_on_non_scalar_without_grad_raises_naming_the_shape():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2.0
    with pytest.raises(ValueError, match=re.escape("(2, 3)")):
        y.backward()


def test_backward_with_explicit_grad_seed():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x * 3.0
    seed = np.array([[1.0, -2.0, 0.5], [0.0, 4.0, -1.0]])
    y.backward(grad=seed)
    np.testing.assert_array_equal(x.grad, 3.0 * seed)


def test_backward_with_a_seed_of_the_wrong_shape_names_both_shapes():
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2.0
    both_shapes = f"(?s)(?=.*{re.escape('(3, 2)')})(?=.*{re.escape('(2, 3)')})"
    with pytest.raises(ValueError, match=both_shapes):
        y.backward(grad=np.ones((3, 2)))


def test_tensor_not_requiring_grad_gets_no_grad():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    c = Tensor(np.array([3.0, 4.0]))
    assert c.requires_grad is False
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad, c.data)


def test_tensor_basics():
    t = Tensor([[1, 2, 3], [4, 5, 6]])
    assert t.data.dtype == np.float64
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6
    assert t.grad is None
    assert Tensor(2.5).item() == 2.5
    assert isinstance(Tensor(2.5).item(), float)


@pytest.mark.parametrize("a", [0.5, 1.5])
def test_deep_scalar_linear_chain_gradient_is_a_to_the_L(a):
    L = 50
    h0 = Tensor(0.8, requires_grad=True)
    h = h0
    for _ in range(L):
        h = a * h
    h.backward()
    assert float(h0.grad) == pytest.approx(a**L, rel=1e-12)


@pytest.mark.parametrize("a", [0.5, 1.5])
def test_deep_matrix_linear_chain_gradient_is_a_to_the_L(a):
    L, width = 50, 8
    W = Tensor(a * np.eye(width), requires_grad=True)
    h0 = Tensor(np.random.default_rng(0).standard_normal((1, width)), requires_grad=True)
    h = h0
    for _ in range(L):
        h = h @ W
    h.sum().backward()
    np.testing.assert_allclose(h0.grad, np.full((1, width), a**L), rtol=1e-12)
    # dL/dW = sum_k (W^k)^T h0^T 1 (W^(L-1-k))^T ... with W = aI: L a^(L-1) h0^T 1
    expected_W = L * a ** (L - 1) * np.outer(h0.data[0], np.ones(width))
    np.testing.assert_allclose(W.grad, expected_W, rtol=1e-12)


def test_deep_sigmoid_chain_gradient_is_product_of_local_derivatives():
    """The vanishing-gradient product, checked analytically (no finite differences)."""
    L = 30
    x0 = 0.3
    h0 = Tensor(x0, requires_grad=True)
    h = h0
    factors = []
    v = x0
    for _ in range(L):
        h = lessonlib.sigmoid(h)
        s = 1.0 / (1.0 + np.exp(-v))
        factors.append(s * (1.0 - s))
        v = s
    h.backward()
    assert float(h0.grad) == pytest.approx(np.prod(factors), rel=1e-12)
    assert float(h0.grad) < 0.25**L   # sigma' <= 1/4 compounds with depth


def test_grad_of_a_0d_tensor_is_a_0d_array():
    """`.grad` is an ndarray of the tensor's shape, also for a 0-d tensor: broadcast, used
    twice (contributions summed), or after a second backward (accumulated)."""
    s = Tensor(2.0, requires_grad=True)
    (s * np.ones((2, 3))).sum().backward()
    assert isinstance(s.grad, np.ndarray), type(s.grad)
    assert s.grad.shape == () and float(s.grad) == 6.0

    t = Tensor(3.0, requires_grad=True)
    loss = t * t
    loss.backward()
    assert isinstance(t.grad, np.ndarray), type(t.grad)
    loss.backward()
    assert isinstance(t.grad, np.ndarray), type(t.grad)
    assert float(t.grad) == 12.0


def test_each_grad_is_its_own_writable_array():
    """Editing one .grad in place (gradient clipping: `p.grad *= c`) must not touch another's."""
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    y = a + b                                   # add passes g through to both inputs
    (y * np.array([1.0, 2.0, 3.0])).sum().backward()
    a.grad *= 0.5
    np.testing.assert_array_equal(b.grad, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(y.grad, [1.0, 2.0, 3.0])

    x = Tensor(np.ones(3), requires_grad=True)
    x.sum().backward()                          # sum's VJP broadcasts g to x's shape
    x.grad *= 2.0                               # must be a real, writable array
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_grad_seed_is_not_aliased_into_grads():
    x = Tensor(np.ones(3), requires_grad=True)
    seed = np.array([1.0, 2.0, 3.0])
    (x + 1.0).backward(grad=seed)
    seed[:] = 0.0                               # the caller reuses its buffer
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])

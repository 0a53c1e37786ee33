"""Chapter 8's ops and layers: softmax, swapaxes, batched matmul, LayerNorm, attention, blocks.

Gradients are checked as in test_ops_grad.py (central differences along random directions,
float64, relative error < 1e-6), and LayerNorm and attention are cross-checked, forward AND
backward, against a hand-written numpy implementation.
"""
import numpy as np
import pytest

import lessonlib
from lessonlib import Tensor, softmax
from lessonlib.attention import SelfAttention, Transformer, TransformerBlock, attention, attention_weights
from lessonlib.normalization import BatchNorm, LayerNorm, layer_norm
from lessonlib.ops import swapaxes

EPS, TOL = 1e-6, 1e-6


def directional_errors(op, arrays, seed):
    rng = np.random.default_rng(seed)
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = op(*tensors)
    w = rng.standard_normal(out.shape)
    out.backward(grad=w)

    def phi(i, x):
        return float(np.sum(w * op(*[Tensor(x if j == i else a) for j, a in enumerate(arrays)]).data))

    errors = []
    for i, (a, t) in enumerate(zip(arrays, tensors)):
        assert t.grad is not None and np.shape(t.grad) == a.shape, f"input {i}"
        v = rng.standard_normal(a.shape)
        v /= np.linalg.norm(v)
        numerical = (phi(i, a + EPS * v) - phi(i, a - EPS * v)) / (2 * EPS)
        analytic = float(np.sum(t.grad * v))
        scale = max(abs(numerical), abs(analytic))
        errors.append(0.0 if scale == 0 else abs(analytic - numerical) / scale)
    return errors


def normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def ln(x, g, b):
    return layer_norm(x, g, b)


CASES = {
    "softmax_last": (lambda x: softmax(x), [normal(3, 5)]),
    "softmax_axis0": (lambda x: softmax(x, axis=0), [normal(3, 5)]),
    "softmax_3d": (lambda x: softmax(x, axis=-1), [normal(2, 3, 4)]),
    "softmax_1d": (lambda x: softmax(x), [normal(6)]),
    "softmax_large_logits": (lambda x: softmax(x * 3.0 + 500.0), [normal(3, 4)]),
    "swapaxes": (lambda x: swapaxes(x, 0, 2), [normal(2, 3, 4)]),
    "swapaxes_last_two": (lambda x: x.swapaxes(-1, -2), [normal(2, 3, 4)]),
    "matmul_3d_2d": (lambda a, b: a @ b, [normal(2, 3, 4), normal(4, 5)]),
    "matmul_3d_3d": (lambda a, b: a @ b, [normal(2, 3, 4), normal(2, 4, 5)]),
    "matmul_2d_3d": (lambda a, b: a @ b, [normal(3, 4), normal(2, 4, 5)]),
    "layer_norm_2d": (ln, [normal(4, 6), normal(6), normal(6)]),
    "layer_norm_3d": (ln, [normal(2, 3, 6), normal(6), normal(6)]),
    "attention_2d": (lambda q, k, v: attention(q, k, v), [normal(5, 4), normal(5, 4), normal(5, 3)]),
    "attention_3d": (lambda q, k, v: attention(q, k, v), [normal(2, 5, 4), normal(2, 5, 4), normal(2, 5, 3)]),
    "attention_causal": (lambda q, k, v: attention(q, k, v, causal=True),
                         [normal(2, 5, 4), normal(2, 5, 4), normal(2, 5, 3)]),
    "attention_unscaled": (lambda q, k, v: attention(q, k, v, scale=1.0),
                           [normal(5, 4), normal(5, 4), normal(5, 3)]),
}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", list(CASES))
def test_gradient_along_random_direction(name, seed):
    op, makers = CASES[name]
    rng = np.random.default_rng(1000 + seed)
    errors = directional_errors(op, [m(rng) for m in makers], seed)
    assert max(errors) < TOL, f"{name}: relative errors per input {errors}"


@pytest.mark.parametrize("arrangement", ["pre", "post"])
def test_whole_block_gradient(arrangement):
    block = TransformerBlock(4, rng=np.random.default_rng(0), arrangement=arrangement, causal=True)
    params = block.parameters()
    x = np.random.default_rng(1).standard_normal((2, 3, 4))

    # check the input gradient and every parameter gradient with the block's own tensors
    errors = directional_errors(lambda t: block(t), [x], 0)
    assert max(errors) < TOL
    out = block(Tensor(x))
    w = np.random.default_rng(2).standard_normal(out.shape)
    block.zero_grad()
    out.backward(w)
    rng = np.random.default_rng(3)
    for p in params:
        v = rng.standard_normal(p.shape)
        v /= np.linalg.norm(v)
        base = p.data.copy()
        p.data = base + EPS * v
        up = float(np.sum(w * block(Tensor(x)).data))
        p.data = base - EPS * v
        down = float(np.sum(w * block(Tensor(x)).data))
        p.data = base
        numerical, analytic = (up - down) / (2 * EPS), float(np.sum(p.grad * v))
        assert abs(numerical - analytic) <= TOL * max(abs(numerical), abs(analytic))


# ---------------------------------------------------------------- softmax properties
def test_softmax_is_stable_and_sums_to_one():
    x = np.array([[1000.0, 1001.0, 999.0], [-1e4, 0.0, 1e4]])
    p = softmax(Tensor(x)).data
    assert np.isfinite(p).all() and np.allclose(p.sum(axis=-1), 1.0)
    e = np.exp(x[0] - 1001.0)
    assert np.allclose(p[0], e / e.sum(), rtol=1e-15)
    assert p[1, 2] == 1.0


def test_softmax_jacobian_is_diag_p_minus_ppT():
    x = np.random.default_rng(0).standard_normal(5)
    p = softmax(Tensor(x)).data
    rows = []
    for i in range(5):
        t = Tensor(x, requires_grad=True)
        softmax(t).backward(np.eye(5)[i])
        rows.append(t.grad)
    assert np.allclose(np.array(rows), np.diag(p) - np.outer(p, p), atol=1e-15)


@pytest.mark.parametrize("bad, match", [
    (lambda: softmax(Tensor(np.ones(3)), axis=1), "softmax: axis 1 is out of range"),
    (lambda: softmax(Tensor(np.ones(3)), axis=0.5), "softmax: axis must be an int"),
    (lambda: softmax(Tensor(np.array([1.0, np.nan]))), "softmax: the logits hold 1 nan"),
    (lambda: softmax(Tensor(np.zeros((2, 0)))), "softmax: axis -1 of shape"),
    (lambda: swapaxes(Tensor(np.ones((2, 3))), 0, 5), "swapaxes: axis2=5 is out of range"),
    (lambda: Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((3, 4, 5))), "different numbers of matrices"),
    (lambda: Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((5, 2))), r"do not line up \(4 != 5\)"),
    (lambda: Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones(4)), "batch of matrices"),
    (lambda: Tensor(np.ones((2, 2, 3, 4))) @ Tensor(np.ones((4, 2))), "1-D, 2-D and batched 3-D"),
    (lambda: attention(np.ones((3, 4)), np.ones((3, 5)), np.ones((3, 2))), "different widths d"),
    (lambda: attention(np.ones((3, 4)), np.ones((2, 4)), np.ones((3, 2))), "one value per key"),
    (lambda: attention(np.ones((3, 4)), np.ones((3, 4)), np.ones((3, 2)), scale=np.inf), "scale .*must be"),
    (lambda: LayerNorm(4)(np.ones((2, 5))), r"LayerNorm\(4\): expected an input whose last axis has 4"),
    (lambda: LayerNorm(0), "LayerNorm: num_features must be a positive integer"),
    (lambda: LayerNorm(3, eps=0.0), "LayerNorm: eps must be"),
    (lambda: TransformerBlock(4, rng=np.random.default_rng(0), arrangement="middle"), "'pre' or 'post'"),
])
def test_errors_name_the_op_and_argument(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        bad()


def test_matmul_keeps_its_2d_behaviour():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    assert np.array_equal((Tensor(a) @ Tensor(b)).data, a @ b)
    with pytest.raises(ValueError, match=r"do not line up \(3 != 4\)"):
        Tensor(a) @ Tensor(np.ones((4, 2)))


# ---------------------------------------------------------------- numpy cross-checks
def layer_norm_numpy(x, gamma, beta, g, eps=1e-5):
    """Forward and backward of LayerNorm written out by hand (a separate derivation)."""
    n = x.shape[-1]
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    xh = (x - mu) / np.sqrt(var + eps)
    y = gamma * xh + beta
    # backward through the graph node by node: xh = xc * r, r = (var + eps)^(-1/2)
    gxh = g * gamma
    xc = x - mu
    r = 1 / np.sqrt(var + eps)
    gr = (gxh * xc).sum(-1, keepdims=True)
    gvar = gr * (-0.5) * r ** 3
    gxc = gxh * r + gvar * 2 * xc / n
    gx = gxc - gxc.mean(-1, keepdims=True)
    axes = tuple(range(x.ndim - 1))
    return y, gx, (g * xh).sum(axis=axes), g.sum(axis=axes)


@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 8)])
def test_layer_norm_matches_numpy_forward_and_backward(shape):
    rng = np.random.default_rng(5)
    x, g = rng.standard_normal(shape) * 3 + 1, rng.standard_normal(shape)
    layer = LayerNorm(shape[-1])
    layer.gamma.data = rng.standard_normal(shape[-1])
    layer.beta.data = rng.standard_normal(shape[-1])
    xt = Tensor(x, requires_grad=True)
    y = layer(xt)
    y.backward(g)
    y_np, gx, ggamma, gbeta = layer_norm_numpy(x, layer.gamma.data, layer.beta.data, g)
    assert np.allclose(y.data, y_np, rtol=1e-12, atol=1e-12)
    assert np.allclose(xt.grad, gx, rtol=1e-10, atol=1e-12)
    assert np.allclose(layer.gamma.grad, ggamma, rtol=1e-12)
    assert np.allclose(layer.beta.grad, gbeta, rtol=1e-12)


def test_layer_norm_is_the_same_in_train_and_eval_and_per_example():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((8, 5))
    layer = LayerNorm(5)
    train_out = layer(x).data
    eval_out = layer.eval()(x).data
    assert np.array_equal(train_out, eval_out)
    assert np.allclose(layer(x[:1]).data, train_out[:1], rtol=0, atol=1e-15)   # no batch dependence
    bn = BatchNorm(5)
    bn_train = bn(x).data
    assert not np.allclose(bn(x[:4]).data, bn_train[:4])                      # BatchNorm: depends on the batch


def attention_numpy(q, k, v, g, causal=False):
    """softmax(q k^T / sqrt d) v and its VJPs, by hand."""
    d = q.shape[-1]
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(d)
    if causal:
        s = np.where(np.tri(s.shape[-1], dtype=bool), s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    out = p @ v
    gp = g @ np.swapaxes(v, -1, -2)
    gv = np.swapaxes(p, -1, -2) @ g
    gs = p * (gp - (gp * p).sum(-1, keepdims=True)) / np.sqrt(d)
    return out, gs @ k, np.swapaxes(gs, -1, -2) @ q, gv


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("shape", [(5, 4), (3, 5, 4)])
def test_attention_matches_numpy_forward_and_backward(shape, causal):
    rng = np.random.default_rng(7)
    q, k, v = (rng.standard_normal(shape) for _ in range(3))
    g = rng.standard_normal(shape)
    ts = [Tensor(a, requires_grad=True) for a in (q, k, v)]
    out = attention(*ts, causal=causal)
    out.backward(g)
    ref = attention_numpy(q, k, v, g, causal)
    assert np.allclose(out.data, ref[0], rtol=1e-12, atol=1e-13)
    for t, r in zip(ts, ref[1:]):
        assert np.allclose(t.grad, r, rtol=1e-10, atol=1e-12)


def test_causal_weights_are_lower_triangular_rows_summing_to_one():
    rng = np.random.default_rng(8)
    a = attention_weights(rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 6, 3)), causal=True).data
    assert np.all(np.triu(a[0], 1) == 0) and np.all(np.triu(a[1], 1) == 0)
    assert np.allclose(a.sum(-1), 1.0)


def test_transformer_shapes_and_parameters():
    model = Transformer(5, 8, 3, 4, max_len=6, rng=np.random.default_rng(0), arrangement="post")
    seen = []
    y = model(np.zeros((2, 6, 5)), hook=lambda l, h: seen.append((l, h.shape)))
    assert y.shape == (2, 6, 3) and [l for l, _ in seen] == [0, 1, 2, 3, 4]
    # per block: 4 attention weights, 2 x (W, b) of the MLP, 2 x (gamma, beta)
    assert all(len(b.parameters()) == 4 + 4 + 4 for b in model.blocks)
    with pytest.raises(ValueError, match=r"Transformer: expected input \(B, T=6, 5\)"):
        model(np.zeros((2, 5, 5)))


def test_self_attention_logit_scale():
    rng = np.random.default_rng(0)
    layer = SelfAttention(16, rng=rng, logit_scale=4.0)
    assert np.isclose(layer.scale, 4.0 / 4.0)
    with pytest.raises(ValueError, match="SelfAttention: scale .*must be"):
        SelfAttention(4, rng=rng, logit_scale=float("nan"))


def test_exported():
    assert "softmax" in lessonlib.__all__ and lessonlib.softmax is softmax

r"""Attention and a small Transformer (chapter 8), built from lessonlib's ops only.

Scaled dot-product attention of queries ``q`` (T, d), keys ``k`` and values ``v``:

.. math::

    A = \mathrm{softmax}\!\Big(\frac{q k^\top}{\sqrt d}\Big), \qquad
    \mathrm{attention}(q, k, v) = A\, v ,

row by row (each query's weights sum to 1), also for batches (B, T, d). With
``causal=True`` query $t$ sees keys $1..t$ only. A :class:`TransformerBlock` adds an
attention branch and an MLP branch to the residual stream, with the
:class:`~lessonlib.normalization.LayerNorm` either inside the branches (``"pre"``,
$h + F(\mathrm{LN}(h))$) or after each addition (``"post"``, $\mathrm{LN}(h + F(h))$),
the two arrangements compared by Xiong et al. (2020).
"""
from __future__ import annotations


import numpy as np

from .autodiff import Tensor, as_float_array
from .checks import finite_number, positive_int
from .layers import Linear
from .module import Module
from .normalization import LayerNorm
from .ops import relu, softmax, swapaxes

__all__ = ["attention_weights", "attention", "SelfAttention", "TransformerBlock", "Transformer"]

_MASKED = -1e300   # a finite "minus infinity": exp(-1e300 - max) is exactly 0


def _scale(scale, d, op):
    if scale is None:
        return 1.0 / np.sqrt(d)
    return finite_number(op, "scale (or None for 1/sqrt(d))", scale)


def attention_weights(q, k, *, causal=False, scale=None):
    r"""$\mathrm{softmax}(s\, q k^\top)$ over the keys, $s$ = ``scale`` (default $1/\sqrt d$)."""
    sq, sk = np.shape(as_float_array(q, "attention")), np.shape(as_float_array(k, "attention"))
    if len(sq) not in (2, 3) or len(sk) != len(sq):
        raise ValueError(f"attention: q and k must both be (T, d) or both (B, T, d); got {sq} and {sk}")
    if sq[-1] != sk[-1]:
        raise ValueError(f"attention: q {sq} and k {sk} have different widths d ({sq[-1]} != {sk[-1]})")
    if len(sq) == 3 and sq[0] != sk[0]:
        raise ValueError(f"attention: q {sq} and k {sk} hold different batch sizes")
    if causal and sq[-2] != sk[-2]:
        raise ValueError(f"attention: causal=True needs as many queries as keys, got {sq[-2]} and {sk[-2]}")
    kt = k.T if len(sk) == 2 else swapaxes(k, -1, -2)
    logits = (q @ kt) * _scale(scale, sq[-1], "attention")
    if causal:
        t = sq[-2]
        logits = logits + np.where(np.tri(t, t, dtype=bool), 0.0, _MASKED)
    return softmax(logits, axis=-1)


def attention(q, k, v, *, causal=False, scale=None):
    r"""$\mathrm{softmax}(q k^\top/\sqrt d)\, v$ for (T, d) or batched (B, T, d) tensors."""
    sk, sv = np.shape(as_float_array(k, "attention")), np.shape(as_float_array(v, "attention"))
    if sv[:-1] != sk[:-1]:
        raise ValueError(f"attention: k {sk} and v {sv} must hold one value per key (same leading shape)")
    return attention_weights(q, k, causal=causal, scale=scale) @ v


class SelfAttention(Module):
    r"""One head: $\mathrm{attention}(h W_q, h W_k, h W_v)\, W_o$, weights Xavier-normal, no biases.

    ``logit_scale`` multiplies the logits on top of $1/\sqrt d$ (1: the standard
    layer; $\sqrt d$: no scaling at all). ``weights`` holds the last attention matrix.
    """

    def __init__(self, d, *, rng, causal=False, logit_scale=1.0, init="xavier_normal"):
        self.d = positive_int("SelfAttention", "d", d)
        self.causal = bool(causal)
        self.scale = _scale(logit_scale, 1, "SelfAttention") / np.sqrt(self.d)
        self.q, self.k, self.v, self.o = (Linear(d, d, init=init, rng=rng, bias=False) for _ in range(4))
        self.weights = None

    def __call__(self, h):
        a = attention_weights(self.q(h), self.k(h), causal=self.causal, scale=self.scale)
        self.weights = a.data
        return (a @ self.v(h)) @ self.o.W


class TransformerBlock(Module):
    r"""Attention and an MLP branch (width ``mlp_ratio * d``, ReLU) on a residual stream.

    ``arrangement="pre"``:  $h \leftarrow h + \mathrm{Attn}(\mathrm{LN}_1 h)$, then
    $h \leftarrow h + \mathrm{MLP}(\mathrm{LN}_2 h)$.
    ``arrangement="post"``: $h \leftarrow \mathrm{LN}_1(h + \mathrm{Attn}\,h)$, then
    $h \leftarrow \mathrm{LN}_2(h + \mathrm{MLP}\,h)$.
    ``residual=False`` drops the identity paths (for the rank-collapse experiment).
    """

    def __init__(self, d, *, rng, arrangement="pre", causal=False, logit_scale=1.0, mlp_ratio=2,
                 residual=True):
        if arrangement not in ("pre", "post"):
            raise ValueError(f"TransformerBlock: arrangement must be 'pre' or 'post', got {arrangement!r}")
        self.arrangement, self.residual = arrangement, bool(residual)
        self.attn = SelfAttention(d, rng=rng, causal=causal, logit_scale=logit_scale)
        hidden = positive_int("TransformerBlock", "d * mlp_ratio", d * mlp_ratio)
        self.mlp = [Linear(d, hidden, init="he_normal", rng=rng),
                    Linear(hidden, d, init="xavier_normal", rng=rng)]
        self.norms = [LayerNorm(d), LayerNorm(d)]

    def _mlp(self, h):
        return self.mlp[1](relu(self.mlp[0](h)))

    def __call__(self, h):
        for branch, norm in zip((self.attn, self._mlp), self.norms):
            if self.arrangement == "pre":
                out = branch(norm(h))
                h = h + out if self.residual else out
            else:
                out = branch(h)
                h = norm(h + out if self.residual else out)
        return h


class Transformer(Module):
    r"""Input projection + learned positions, ``n_blocks`` blocks, (final LN for Pre-LN), readout.

    Maps (B, T, ``d_in``) to (B, T, ``d_out``), T = ``max_len`` (one learned position each). ``hook(l, h)`` sees the residual stream
    after block ``l`` (``l = 0``: after the input projection).
    """

    def __init__(self, d_in, d, d_out, n_blocks, *, max_len, rng, arrangement="pre", causal=False,
                 logit_scale=1.0, mlp_ratio=2):
        self.n_blocks = positive_int("Transformer", "n_blocks", n_blocks)
        self.max_len = positive_int("Transformer", "max_len", max_len)
        self.embed = Linear(d_in, d, init="xavier_normal", rng=rng)
        self.positions = Tensor(rng.standard_normal((self.max_len, d)) / np.sqrt(d), requires_grad=True)
        self.blocks = [TransformerBlock(d, rng=rng, arrangement=arrangement, causal=causal,
                                        logit_scale=logit_scale, mlp_ratio=mlp_ratio)
                       for _ in range(self.n_blocks)]
        self.final_norm = LayerNorm(d) if arrangement == "pre" else None
        self.readout = Linear(d, d_out, init="xavier_normal", rng=rng)

    def __call__(self, x, hook=None):
        shape = np.shape(as_float_array(x, "Transformer"))
        if len(shape) != 3 or shape[1] != self.max_len or shape[2] != self.embed.W.shape[0]:
            raise ValueError(f"Transformer: expected input (B, T={self.max_len}, "
                             f"{self.embed.W.shape[0]}), got shape {shape}")
        h = self.embed(x) + self.positions
        if hook is not None:
            hook(0, h)
        for l, block in enumerate(self.blocks, start=1):
            h = block(h)
            if hook is not None:
                hook(l, h)
        if self.final_norm is not None:
            h = self.final_norm(h)
        return self.readout(h)

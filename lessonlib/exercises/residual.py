r"""Checkers for chapter 6's exercises (residual connections).

Each checker grades the learner's own answer and says what is wrong, recognizing the
usual slips of this chapter: a block Jacobian without the identity of the shortcut, or
in the column convention, or with the activation's value where its slope belongs; a
zero initialization of the wrong branch layer; $s$ where $s^2$ belongs; a share of
paths without the binomial coefficient. A starter left as it is (``...``, ``None``
or ``raise NotImplementedError``) gets "not attempted yet", never an exception.
"""
from __future__ import annotations

import math

import numpy as np

from ..autodiff import Tensor
from ..losses import cross_entropy
from ..residual import ResidualBlock, ResidualMLP
from .checkers import check_function, check_number
from .slips import diagnose_numbers
from .verdicts import NOT_ATTEMPTED, as_number, call_learner, unattempted, verdict

__all__ = ["check_block_jacobian", "check_zero_init", "check_branch_scale", "check_block_factor",
           "check_path_share"]


def _autodiff_jacobian(block, h):
    """Row i is d h_out_i / d h, by one backward() per output entry."""
    x = Tensor(np.array(h, dtype=float), requires_grad=True)
    out = block(x)
    rows = []
    for i in range(out.size):
        x.zero_grad()
        out.backward(np.eye(out.size)[i])
        rows.append(x.grad.copy())
    return np.array(rows)


def check_block_jacobian(fn, *, activation="tanh", slope=None, seed=0, show=True):
    r"""Grade ``fn(block, h, slope)``: the Jacobian $\partial h_{out}/\partial h$ of one residual block.

    The blocks are :class:`~lessonlib.residual.ResidualBlock` objects of width 5 with a
    two-layer branch, random biases and $s = 0.7$; ``slope`` is $\phi'$ as a function of
    the pre-activation. Row $i$ of the answer must be $\partial h_{out,i}/\partial h$,
    compared with the Jacobian that ``backward()`` gives.
    """
    name = "block_jacobian"
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    slope = slope or (lambda z: 1.0 - np.tanh(z) ** 2)
    phi = np.tanh
    rng = np.random.default_rng(seed)
    for trial in range(2):
        block = ResidualBlock(5, activation=activation, init="xavier_normal", rng=rng, branch_scale=0.7)
        for layer in block.branch:
            layer.b.data[...] = 0.3 * rng.standard_normal(5)
        h = rng.standard_normal(5)
        got, early = call_learner(fn, (block, h.copy(), slope), name, show=show)
        if early is not None:
            return early
        expected = _autodiff_jacobian(block, h)
        a = np.asarray(got, dtype=float)
        if a.shape != expected.shape:
            return verdict(False, f"shape {a.shape}, expected {expected.shape} (width 5 in and out)", name, show=show)
        if diagnose_numbers(a, expected, rtol=1e-9, atol=1e-12) is None:
            continue
        W1, b1, W2 = block.branch[0].W.data, block.branch[0].b.data, block.branch[1].W.data
        s, z = block.branch_scale, h @ W1 + b1
        J = W2.T @ np.diag(slope(z)) @ W1.T
        slips = [
            (s * J, "the identity is missing: the shortcut contributes I to the block's Jacobian"),
            (np.eye(5) + s * J.T, "that is the transpose: with rows as vectors (h @ W) the branch "
                                  "Jacobian is W2^T diag(phi'(z)) W1^T"),
            (np.eye(5) + J, "the branch scale s is missing: the branch enters as s * J"),
            (np.eye(5) + s * W2.T @ np.diag(phi(z)) @ W1.T,
             "you used the activation's value phi(z) where its slope phi'(z) belongs"),
            (np.eye(5) + s * W2.T @ np.diag(slope(h)) @ W1.T,
             "the slope must be evaluated at the pre-activation z = h W1 + b1, not at h"),
            (np.eye(5) + s * W2.T @ np.diag(slope(h @ W1)) @ W1.T,
             "the bias b1 is missing from the pre-activation z = h W1 + b1"),
            (np.eye(5) + s * W2.T @ W1.T, "the activation's slope diag(phi'(z)) is missing"),
        ]
        for wrong, why in slips:
            if diagnose_numbers(a, wrong, rtol=1e-9, atol=1e-12) is None:
                return verdict(False, why, name, show=show)
        return verdict(False, diagnose_numbers(a, expected, rtol=1e-9, atol=1e-12), name, show=show)
    return verdict(True, "correct: equals the Jacobian from backward() on two random blocks", name, show=show)


def check_zero_init(fn, *, seed=0, show=True):
    """Grade ``fn(net)``: make every block of a :class:`~lessonlib.residual.ResidualMLP` the identity.

    The identity must be exact at initialization, and the branches must still be able
    to learn: the gradient of the spirals loss must reach each branch's last layer.
    """
    name = "zero_init_branches"
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    rng = np.random.default_rng(seed)
    net = ResidualMLP(2, 8, 3, 3, activation="relu", init="he_normal", rng=rng)
    _, early = call_learner(lambda n: fn(n) or True, (net,), name, show=show)
    if early is not None:
        return early
    h = Tensor(rng.standard_normal((6, 8)))
    for b, block in enumerate(net.blocks, start=1):
        out = block(h).data
        if not np.array_equal(out, h.data):
            return verdict(False, f"block {b} is not the identity: its output differs from its input by up to "
                                  f"{np.abs(out - h.data).max():.2g}", name, show=show)
    X, y = rng.standard_normal((12, 2)), rng.integers(0, 3, size=12)
    cross_entropy(net(Tensor(X)), y).backward()
    last = [np.abs(block.last.W.grad).max() for block in net.blocks]
    if any(block.branch_scale == 0 for block in net.blocks):
        return verdict(False, "branch_scale = 0 switches the branches off for good: no gradient reaches "
                              "them, and s is not a trained parameter. Zero the last weight instead", name, show=show)
    if max(last) == 0:
        return verdict(False, "every block is the identity, but no branch weight receives a gradient: with "
                              "the first layer at zero the ReLU sees z = 0 everywhere. Zero the branch's "
                              "last layer instead", name, show=show)
    return verdict(True, "correct: every block is exactly the identity, and the last branch layers "
                         "receive a gradient", name, show=show)


def check_branch_scale(answer, n_blocks=64, target=2.0, *, show=True):
    r"""Grade the branch scale $s$ with $(1 + 2 s^2)^B$ = ``target`` for $B$ = ``n_blocks``."""
    name = "branch scale s"
    expected = math.sqrt((target ** (1 / n_blocks) - 1) / 2)
    value, early = as_number(answer, name, show=show)
    if early is not None:
        return early
    slips = {
        1 / math.sqrt(n_blocks): f"that is 1/sqrt(B); it gives a growth of (1 + 2/B)^B = "
                                 f"{(1 + 2 / n_blocks) ** n_blocks:.2f}, not {target:g}",
        math.sqrt(target ** (1 / n_blocks) - 1): "you solved (1 + s^2)^B = target: a He-initialized ReLU "
                                                 "branch multiplies the mean square by 2 s^2, so the factor "
                                                 "per block is 1 + 2 s^2",
    }
    for wrong, why in slips.items():
        if np.isclose(value, wrong, rtol=1e-4):
            return verdict(False, f"{value:.4g} is not right: {why}", name, show=show)
    return check_number(value, expected, name=name, rtol=1e-4, show=show)


def check_block_factor(answer, *, show=True):
    """Grade the predicted growth of the stream's mean square per block (ReLU branch, He, s = 1)."""
    name = "factor per block"
    value, early = as_number(answer, name, show=show)
    if early is not None:
        return early
    slips = {
        2.0: "2 is the branch's own gain; the block adds the shortcut's mean square: 1 + 2",
        5.0: "a third He layer does not add another factor 2: each He layer doubles the mean square "
             "and each ReLU halves it, so the branch's gain stays 2",
        9.0: "that is 3 squared: the mean square (not the norm) grows by 1 + 2 s^2",
    }
    for wrong, why in slips.items():
        if np.isclose(value, wrong, rtol=1e-6):
            return verdict(False, f"{value:g} is not right: {why}", name, show=show)
    return check_number(value, 3.0, name=name, show=show)


def check_path_share(fn, *, show=True):
    r"""Grade ``fn(k, B, s)``: the predicted share of the squared gradient on paths of length $k$.

    Expected: $\binom{B}{k} (2 s^2)^k / (1 + 2 s^2)^B$ (ReLU branches, He initialization).
    """
    name = getattr(fn, "__name__", "path_share")
    reference = lambda k, B, s: math.comb(B, k) * (2 * s * s) ** k / (1 + 2 * s * s) ** B
    inputs = [(0, 20, 1.0), (3, 20, 1.0), (13, 20, 1.0), (1, 20, 1 / math.sqrt(20)), (4, 10, 0.5)]
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    slips = [
        (lambda k, B, s: (2 * s * s) ** k / (1 + 2 * s * s) ** B,
         "the binomial coefficient C(B, k) is missing: there are C(B, k) paths of length k"),
        (lambda k, B, s: math.comb(B, k) * (2 * s) ** k / (1 + 2 * s) ** B,
         "each branch multiplies the squared norm by 2 s^2, not 2 s"),
        (lambda k, B, s: math.comb(B, k) * (s * s) ** k / (1 + s * s) ** B,
         "a He-initialized ReLU branch multiplies the squared norm by 2 s^2, not s^2"),
        (lambda k, B, s: math.comb(B, k) * (2 * s * s) ** k,
         "the shares must add up to 1 over k = 0..B: divide by (1 + 2 s^2)^B"),
    ]
    try:
        got = [fn(*args) for args in inputs]
    except NotImplementedError:
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    except Exception:  # graded and reported by check_function below
        got = None
    if got is not None and not any(unattempted(g) for g in got):
        values = np.array(got, dtype=float)
        if diagnose_numbers(values, [reference(*a) for a in inputs], rtol=1e-9) is not None:
            for wrong, why in slips:
                if diagnose_numbers(values, [wrong(*a) for a in inputs], rtol=1e-9) is None:
                    return verdict(False, why, name, show=show)
    return check_function(fn, reference, inputs, name=name, rtol=1e-9, show=show)

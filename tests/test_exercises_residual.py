"""Chapter 6's exercise checkers: one right answer and typical wrong answers each."""
import math

import numpy as np

from lessonlib.exercises import NOT_ATTEMPTED
from lessonlib.exercises.residual import (
    check_block_factor, check_block_jacobian, check_branch_scale, check_path_share, check_zero_init)


def _parts(block, h):
    W1, b1 = block.branch[0].W.data, block.branch[0].b.data
    return W1, b1, block.branch[1].W.data, block.branch_scale, h @ W1 + b1


def right_jacobian(block, h, slope):
    W1, b1, W2, s, z = _parts(block, h)
    return np.eye(len(h)) + s * W2.T @ np.diag(slope(z)) @ W1.T


def test_block_jacobian():
    assert check_block_jacobian(right_jacobian, show=False).ok
    v = check_block_jacobian(lambda block, h, slope: right_jacobian(block, h, slope) - np.eye(len(h)), show=False)
    assert v.ok is False and "identity is missing" in v.message
    v = check_block_jacobian(lambda block, h, slope: right_jacobian(block, h, slope).T, show=False)
    assert v.ok is False and "transpose" in v.message

    def value_not_slope(block, h, slope):
        W1, b1, W2, s, z = _parts(block, h)
        return np.eye(len(h)) + s * W2.T @ np.diag(np.tanh(z)) @ W1.T
    v = check_block_jacobian(value_not_slope, show=False)
    assert v.ok is False and "slope" in v.message

    def starter(block, h, slope):
        raise NotImplementedError
    assert check_block_jacobian(starter, show=False).message == NOT_ATTEMPTED


def test_zero_init():
    def right(net):
        for block in net.blocks:
            block.last.W.data[...] = 0.0

    def first_layer(net):
        for block in net.blocks:
            block.branch[0].W.data[...] = 0.0

    def switch_off(net):
        for block in net.blocks:
            block.branch_scale = 0.0

    assert check_zero_init(right, show=False).ok
    v = check_zero_init(first_layer, show=False)
    assert v.ok is False and "last layer instead" in v.message
    v = check_zero_init(switch_off, show=False)
    assert v.ok is False and "for good" in v.message
    v = check_zero_init(lambda net: None, show=False)
    assert v.ok is False and "not the identity" in v.message

    def starter(net):
        raise NotImplementedError
    assert check_zero_init(starter, show=False).message == NOT_ATTEMPTED


def test_branch_scale():
    s = math.sqrt((2 ** (1 / 64) - 1) / 2)
    assert check_branch_scale(s, show=False).ok
    v = check_branch_scale(1 / 8, show=False)
    assert v.ok is False and "1/sqrt(B)" in v.message
    v = check_branch_scale(math.sqrt(2 ** (1 / 64) - 1), show=False)
    assert v.ok is False and "1 + 2 s^2" in v.message
    v = check_branch_scale(s * s, show=False)
    assert v.ok is False and "square" in v.message
    assert check_branch_scale(..., show=False).message == NOT_ATTEMPTED


def test_block_factor():
    assert check_block_factor(3, show=False).ok
    v = check_block_factor(5, show=False)
    assert v.ok is False and "He layer" in v.message
    v = check_block_factor(2, show=False)
    assert v.ok is False and "shortcut" in v.message
    assert check_block_factor(None, show=False).message == NOT_ATTEMPTED


def test_path_share():
    right = lambda k, B, s: math.comb(B, k) * (2 * s * s) ** k / (1 + 2 * s * s) ** B
    assert check_path_share(right, show=False).ok
    v = check_path_share(lambda k, B, s: (2 * s * s) ** k / (1 + 2 * s * s) ** B, show=False)
    assert v.ok is False and "binomial" in v.message
    v = check_path_share(lambda k, B, s: math.comb(B, k) * (2 * s) ** k / (1 + 2 * s) ** B, show=False)
    assert v.ok is False and "not 2 s" in v.message
    v = check_path_share(lambda k, B, s: math.comb(B, k) * (2 * s * s) ** k, show=False)
    assert v.ok is False and "add up to 1" in v.message

    def starter(k, B, s):
        raise NotImplementedError
    assert check_path_share(starter, show=False).message == NOT_ATTEMPTED

r"""Saturating activations and the bound of 1/4 (chapter 2).

The sigmoid's slope is at most 1/4 and tanh's at most 1, so backpropagation
through $L$ layers obeys

.. math::

    \|\partial L/\partial h_0\| \le (\max\phi')^L
        \prod_{l=1}^{L} \|W_l\|_2 \, \|\partial L/\partial h_L\| .

This module keeps the closed forms of chapter 2: the slopes and their largest
values, where a slope falls below a level, the large-gain prediction of the
per-layer factor, and the bias centring that turns a sigmoid layer into a tanh
layer in disguise. The measurements themselves (the per-layer profile loop, the
sweeps over gains and seeds, the training runs) are written out in the chapter.
"""
from __future__ import annotations

import numpy as np

from .. import ops

__all__ = ["SLOPES", "SLOPE_MAX", "slope_threshold", "large_gain_factor", "center_biases"]

#: phi'(x) of the saturating activations, accurate in the tails.
SLOPES = {"sigmoid": ops.sigmoid_slope, "tanh": ops.tanh_slope}
#: The largest slope, reached at x = 0 only: sigma'(0) = 1/4, tanh'(0) = 1.
SLOPE_MAX = {"sigmoid": 0.25, "tanh": 1.0}


def _check_activation(name, activation):
    if activation not in SLOPES:
        raise ValueError(f"{name}: activation must be one of {sorted(SLOPES)}, got {activation!r}")


def slope_threshold(activation: str, level: float) -> float:
    r"""The $|x|$ beyond which $\phi'(x) <$ ``level``, in closed form.

    For the sigmoid, $\sigma'(x) = q/(1+q)^2$ with $q = e^{-|x|}$, so
    $\sigma'(x) = c$ is the quadratic $c q^2 + (2c - 1) q + c = 0$. Its two
    roots multiply to 1; the one below 1 is $q = 2c / (1 - 2c + \sqrt{1 - 4c})$
    (written this way to avoid cancellation), and $|x| = -\ln q$.
    For tanh, $\tanh'(x) = 4\sigma'(2x)$, so its threshold for $c$ is half the
    sigmoid's threshold for $c/4$. Returns 0 when ``level`` is at least the largest
    slope (every $x \ne 0$ qualifies).
    """
    _check_activation("slope_threshold", activation)
    c = float(level)
    if not np.isfinite(c) or c <= 0:
        raise ValueError(f"slope_threshold: level must be a finite number > 0, got {level!r}")
    if activation == "tanh":
        return slope_threshold("sigmoid", c / 4.0) / 2.0
    if c >= 0.25:
        return 0.0
    q = 2.0 * c / (1.0 - 2.0 * c + np.sqrt(1.0 - 4.0 * c))
    return float(-np.log(q))


def large_gain_factor(activation: str, gain) -> np.ndarray:
    r"""Per-layer gradient factor predicted for a large weight gain $g$ (Xavier, square layers).

    With $z$ spread over a standard deviation $s \gg 1$, a fraction of order $1/s$
    of the units is unsaturated: $E[\phi'(z)^2] \approx \int \phi'(x)^2\,dx /
    (\sqrt{2\pi}\,s)$, with $\int \sigma'^2 = 1/6$ and $\int \tanh'^2 = 4/3$. The
    saturated outputs are near 0 or 1 (sigmoid: $s = g/\sqrt2$) or near $\pm1$
    (tanh: $s = g$), and the factor is $g \sqrt{E[\phi'(z)^2]}$:
    $\sqrt{g / (6\sqrt\pi)}$ for the sigmoid, $\sqrt{4g / (3\sqrt{2\pi})}$ for tanh.
    """
    _check_activation("large_gain_factor", activation)
    g = np.asarray(gain, dtype=float)
    if activation == "sigmoid":
        return np.sqrt(g / (6.0 * np.sqrt(np.pi)))
    return np.sqrt(4.0 * g / (3.0 * np.sqrt(2.0 * np.pi)))


def center_biases(model):
    r"""Set $b_l = -\tfrac12 \mathbf 1^\top W_l$ for every layer after the first; returns the model.

    A sigmoid output $h$ has mean about 1/2; with these biases layer $l$ computes
    $(h_{l-1} - \tfrac12) W_l$, so its pre-activations are centred at 0 where the
    slope is largest. (With $W_l = 4V_l$ the sigmoid layer is then a tanh layer with
    weights $V_l$ in disguise: $\sigma(x) = (1 + \tanh(x/2))/2$.)
    """
    for layer in model.layers[1:]:
        layer.b.data[...] = -0.5 * layer.W.data.sum(axis=0)
    return model

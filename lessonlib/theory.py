r"""Closed forms and mean-field theory: what the chapters derive, as functions to check against.

* :func:`gaussian_expectation` (and :func:`gaussian_nodes`): $E[f(z)]$ for
  $z \sim N(0, \mathrm{std}^2)$, the one numerical integral every chapter uses;
* chapter 2: :func:`slope_threshold` (where a slope falls below a level) and
  :func:`large_gain_factor` (the per-layer factor at a large weight gain);
* chapter 3: :func:`second_moment`, :func:`slope_second_moment` and :func:`mean_field`,
  the mean-square maps iterated through a deep network;
* chapter 4: :func:`first_layer_dead_theory`, dead first-layer units for shifted biases;
* chapter 5: :func:`large_batch_growth`, the gradient's growth per BN layer.

Each function says which equation of its chapter it implements; the chapters measure
networks against these predictions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import REGISTRY, lookup, normal_cdf
from .autodiff import Tensor
from .checks import finite_number, one_of
from .init import weight_variance

__all__ = ["gaussian_nodes", "gaussian_expectation", "slope_threshold", "large_gain_factor",
           "second_moment", "slope_second_moment", "MeanField", "mean_field",
           "first_layer_dead_theory", "RELU_LARGE_BATCH_GROWTH", "large_batch_growth"]


# --- one Gaussian expectation ----------------------------------------------------------------
# Gauss-Legendre quadrature, 8 points on each panel. The panels are 0.1 standard deviations
# wide over +-12 standard deviations, and z = 0 is a panel edge: every rectifier has its
# kink there, and on each side of it the integrand is smooth, where such a rule is accurate
# to about 1e-15 (across a kink it would converge slowly, as Gauss-Hermite quadrature does).
_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)


def _panels(edges):
    """Nodes and widths of the 8-point Gauss-Legendre rule on the panels between ``edges``."""
    mid, half = 0.5 * (edges[1:] + edges[:-1]), 0.5 * np.diff(edges)
    return (mid[:, None] + half[:, None] * _GL_X).ravel(), (half[:, None] * _GL_W).ravel()


_EDGES = np.linspace(-12.0, 12.0, 241)                          # in standard deviations
_X, _DX = _panels(_EDGES)
_W = np.exp(-0.5 * _X * _X) * _DX / np.sqrt(2.0 * np.pi)        # probabilities of the nodes
_FINE = np.linspace(-40.0, 40.0, 321)      # panel edges 0.25 apart in z itself (std > 10)


def gaussian_nodes(std=1.0):
    r"""Points $z_i$ and weights $w_i$ with $\sum_i w_i f(z_i) \approx E[f(z)]$, $z \sim N(0, \mathrm{std}^2)$.

    For ``std > 10`` panels 0.25 wide in $z$ are added within $|z| < 40$: a saturating
    slope such as $\tanh'(z)$ changes on a scale of 1 whatever the spread of $z$.
    """
    std = finite_number("gaussian_nodes", "std", std, low=0)
    if std == 0:
        return np.zeros(1), np.ones(1)
    if std <= 10:
        return std * _X, _W
    z, dz = _panels(np.union1d(std * _EDGES, _FINE))
    return z, np.exp(-0.5 * (z / std) ** 2) * dz / (std * np.sqrt(2.0 * np.pi))


def gaussian_expectation(f, std=1.0) -> float:
    r"""$E[f(z)]$ for $z \sim N(0, \mathrm{std}^2)$; ``f`` maps an array of $z$ to an array."""
    z, w = gaussian_nodes(std)
    return float(w @ f(z))


# --- chapter 2: saturation ---------------------------------------------------------------------
def _saturating(where, activation):
    return one_of(where, "activation", activation, ("sigmoid", "tanh"))


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
    _saturating("slope_threshold", activation)
    c = finite_number("slope_threshold", "level", level, low=0, low_open=True)
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
    _saturating("large_gain_factor", activation)
    g = np.asarray(gain, dtype=float)
    if activation == "sigmoid":
        return np.sqrt(g / (6.0 * np.sqrt(np.pi)))
    return np.sqrt(4.0 * g / (3.0 * np.sqrt(2.0 * np.pi)))


# --- chapter 3: variance propagation ----------------------------------------------------------------
_LEAK = 0.01                                                  # lessonlib.leaky_relu's default slope


def _numeric(f):
    """q -> E[f(z)], z ~ N(0, q), elementwise over an array of q (nan where q is not finite)."""
    one = lambda q: gaussian_expectation(f, np.sqrt(q)) if np.isfinite(q) and q >= 0 else np.nan
    return lambda q: np.vectorize(one, otypes=[float])(q)[()]


#: activation -> (q -> E[phi(z)^2], q -> E[phi'(z)^2]) for z ~ N(0, q)
_MOMENTS = {
    "identity": (lambda q: q, lambda q: np.ones_like(q)),
    "relu": (lambda q: q / 2, lambda q: np.full_like(q, 0.5)),           # eq. ch3-eq-relu-half
    "leaky_relu": (lambda q: (1 + _LEAK ** 2) * q / 2, lambda q: np.full_like(q, (1 + _LEAK ** 2) / 2)),
    "tanh": (_numeric(lambda z: np.tanh(z) ** 2), _numeric(lambda z: REGISTRY["tanh"].slope(z) ** 2)),
    "sigmoid": (_numeric(lambda z: (0.5 + 0.5 * np.tanh(z / 2)) ** 2),
                _numeric(lambda z: REGISTRY["sigmoid"].slope(z) ** 2)),
}


def second_moment(activation: str, q):
    r"""$\mathbb{E}[\phi(z)^2]$ for $z \sim \mathcal{N}(0, q)$: ``q`` (identity), ``q/2`` (ReLU),
    ``(1+a^2) q/2`` (leaky ReLU, a = 0.01), or :func:`gaussian_expectation` (tanh, sigmoid)."""
    return _MOMENTS[one_of("second_moment", "activation", activation, _MOMENTS)][0](np.asarray(q, dtype=float))


def slope_second_moment(activation: str, q):
    r"""$\mathbb{E}[\phi'(z)^2]$ for $z \sim \mathcal{N}(0, q)$: 1, 1/2 (ReLU), (1+a²)/2, or numerical."""
    return _MOMENTS[one_of("slope_second_moment", "activation", activation, _MOMENTS)][1](
        np.asarray(q, dtype=float))


@dataclass(frozen=True)
class MeanField:
    """Predicted per-layer sizes of a deep MLP at initialization, all of shape (depth + 2,).

    Index ``l = 0`` is the input, ``1..L`` the hidden layers, ``L+1`` the linear
    output layer. ``h_rms`` starts from ``sqrt(q0)``; ``grad_rms`` is the RMS of
    $\\partial L/\\partial h_l$ relative to the output layer's (1 at ``l = L+1``).
    """

    layer: np.ndarray
    h_rms: np.ndarray
    z_rms: np.ndarray        # RMS of the pre-activation z_l (nan at l = 0)
    grad_rms: np.ndarray


def mean_field(activation, init, depth, width, gain=1.0, q0=1.0) -> MeanField:
    """Iterate the mean-square maps through ``depth`` square hidden layers and a linear output layer."""
    v = weight_variance(init, width, width, gain)
    with np.errstate(over="ignore", invalid="ignore"):
        m = np.empty(depth + 2)       # mean square of h_l
        q = np.full(depth + 2, np.nan)  # mean square of z_l
        m[0] = q0
        for l in range(1, depth + 2):
            q[l] = width * v * m[l - 1]
            m[l] = second_moment(activation, q[l]) if l <= depth else q[l]
        r = np.empty(depth + 2)       # mean square of dL/dh_l, relative to the top
        r[-1], r[depth] = 1.0, width * v    # the output layer is linear
        for l in range(depth, 0, -1):
            r[l - 1] = width * v * slope_second_moment(activation, q[l]) * r[l]
    return MeanField(layer=np.arange(depth + 2), h_rms=np.sqrt(m), z_rms=np.sqrt(q), grad_rms=np.sqrt(r))


# --- chapter 4: dead units ------------------------------------------------------------------------
def first_layer_dead_theory(shift, weight_norms, n) -> np.ndarray:
    r"""Expected fraction of dead first-layer units for standard-normal inputs.

    Unit $j$ computes $z_j = x \cdot w_j + b$ with $x \sim N(0, I)$, so
    $z_j \sim N(b, \lVert w_j\rVert^2)$ and $P(z_j \le 0) = \Phi(-b/\lVert w_j\rVert)$.
    It is dead on $n$ independent examples with probability $\Phi(-b/\lVert w_j\rVert)^n$;
    the expected fraction is the mean over units. ``shift`` may be an array.
    """
    shift = np.asarray(shift, dtype=float)
    norms = np.asarray(weight_norms, dtype=float)
    p_off = normal_cdf(-shift[..., None] / norms)
    return np.mean(p_off ** n, axis=-1)


# --- chapter 5: batch normalization ----------------------------------------------------------------
#: Per-layer growth of the gradient norm in a deep ReLU network with batch
#: normalization, in the limit of a large batch: $\sqrt{\pi/(\pi-1)}$ (chapter 5).
RELU_LARGE_BATCH_GROWTH = float(np.sqrt(np.pi / (np.pi - 1.0)))


def large_batch_growth(activation) -> float:
    r"""$\sqrt{E[\phi'(\xi)^2] / \mathrm{Var}[\phi(\xi)]}$ for $\xi \sim N(0, 1)$ (chapter 5).

    The per-layer growth of the gradient norm that the chapter's estimate
    predicts for a wide BN network in the limit of a large batch, with $\phi'$
    taken from the activation's own VJP at the nodes of :func:`gaussian_nodes`.
    For ReLU it is :data:`RELU_LARGE_BATCH_GROWTH` $= \sqrt{\pi/(\pi-1)}$.
    """
    phi = lookup(activation, "large_batch_growth")
    xi, w = gaussian_nodes(1.0)
    t = Tensor(xi, requires_grad=True)
    out = phi(t)
    out.sum().backward()
    h = out.data
    return float(np.sqrt((w @ t.grad ** 2) / (w @ h ** 2 - (w @ h) ** 2)))

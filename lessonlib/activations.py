r"""The rectifier family beyond ReLU (chapter 4): ELU and GELU as ops, and every slope.

``relu`` and ``leaky_relu`` live in :mod:`lessonlib.ops`; this module adds

* ``elu(x, alpha=1.0)``: $x$ for $x > 0$ and $\alpha (e^x - 1)$ otherwise;
* ``gelu(x)``: the **exact** GELU $x\,\Phi(x)$ with the standard normal CDF
  $\Phi(x) = \tfrac12 \operatorname{erfc}(-x/\sqrt2)$. numpy has no ``erf``, so
  $\operatorname{erfc}$ is Cody's rational approximation evaluated on whole arrays
  (``lessonlib._erfc``, accurate to about 1e-15 relative, tails included). This is
  not the tanh approximation $\tfrac12 x (1 + \tanh(\sqrt{2/\pi}(x + 0.044715 x^3)))$
  that some libraries use;

each with its VJP, plus the slope $\phi'(z)$ of every rectifier as a plain
function of an array (``relu_slope``, ``leaky_relu_slope``, ``elu_slope``,
``gelu_slope``) and the leaky-ReLU gain $\sqrt{2/(1+\alpha^2)}$ derived in
chapter 4.

:data:`REGISTRY` is the one table of activations that layers, experiments and
widgets look names up in: name -> :class:`Activation` (the function, its slope,
its largest slope and the weight gain matched to it). :data:`FUNCTIONS` is the
name -> function part of it (``lessonlib.nn.ACTIVATIONS`` is the same dict).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import ops
from ._erfc import erfc
from .autodiff import defvjp, primitive
from .checks import finite_number

__all__ = ["elu", "gelu", "identity", "normal_cdf", "normal_pdf", "relu_slope", "leaky_relu_slope",
           "elu_slope", "gelu_slope", "identity_slope", "leaky_relu_gain",
           "Activation", "REGISTRY", "FUNCTIONS", "SLOPES", "SLOPE_MAX", "lookup"]



def _number(name, label, value, *, positive=False):
    return finite_number(name, label, value, low=0 if positive else None)


# --- the standard normal distribution ------------------------------------------------
def normal_cdf(x):
    r"""$\Phi(x) = P(\xi \le x)$ for $\xi \sim N(0, 1)$, as $\tfrac12\operatorname{erfc}(-x/\sqrt2)$.

    The erfc form keeps full relative accuracy in the left tail, where
    $\tfrac12(1 + \operatorname{erf}(x/\sqrt2))$ would round to 0 long before $\Phi$ does.
    """
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * erfc(-x / math.sqrt(2.0))


def normal_pdf(x):
    r"""$\varphi(x) = e^{-x^2/2} / \sqrt{2\pi}$, the standard normal density."""
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-0.5 * np.square(x)) / math.sqrt(2.0 * math.pi)


# --- slopes phi'(z) as plain array functions ---------------------------------------------
def relu_slope(x):
    r"""$\operatorname{relu}'(x)$: 1 for $x > 0$, 0 otherwise (0 is used at the kink $x = 0$)."""
    return (np.asarray(x, dtype=np.float64) > 0).astype(np.float64)


def leaky_relu_slope(x, slope=0.01):
    r"""Leaky ReLU's slope: 1 for $x > 0$, $\alpha$ = ``slope`` otherwise."""
    return np.where(np.asarray(x, dtype=np.float64) > 0, 1.0,
                    _number("leaky_relu_slope", "slope", slope))


def elu_slope(x, alpha=1.0):
    r"""$\operatorname{elu}'(x)$: 1 for $x > 0$, $\alpha e^x$ otherwise (between 0 and $\alpha$)."""
    x = np.asarray(x, dtype=np.float64)
    alpha = _number("elu_slope", "alpha", alpha, positive=True)
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def gelu_slope(x, cdf=None):
    r"""$\operatorname{gelu}'(x) = \Phi(x) + x\,\varphi(x)$; between about $-0.13$ and $1.13$ (at $x = \mp\sqrt2$).

    ``cdf``, if given, is $\Phi(x)$ already computed (the VJP recovers it from the forward pass).
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):     # (+-inf) * 0 at infinite x
        tail = np.where(np.isinf(x), 0.0, x * np.exp(-0.5 * x * x) * (1.0 / math.sqrt(2.0 * math.pi)))
    return (normal_cdf(x) if cdf is None else cdf) + tail


def _gelu_vjp(g, ans, x):
    # Phi(x) = gelu(x) / x: one division instead of a second erfc (2 roundings: ~2e-16
    # relative); at x = 0 (and x = -inf, where gelu is 0) Phi is taken directly
    ok = (x != 0) & np.isfinite(x)
    cdf = np.divide(ans, x, out=np.where(x > 0, 1.0, 0.0), where=ok)
    cdf[x == 0] = 0.5
    return g * gelu_slope(x, cdf)


def leaky_relu_gain(slope):
    r"""$\sqrt{2/(1+\alpha^2)}$: the weight gain, in units of $1/\sqrt{n_{in}}$, that keeps
    $\operatorname{Var}(z)$ constant through leaky-ReLU layers (chapter 4).

    Use it as ``lecun_normal(..., gain=leaky_relu_gain(alpha))``; for $\alpha = 0$ it is
    He's $\sqrt 2$, for $\alpha = 1$ (a linear layer) LeCun's 1.
    """
    alpha = _number("leaky_relu_gain", "slope", slope)
    return math.sqrt(2.0 / (1.0 + alpha * alpha))


# --- ELU -----------------------------------------------------------------------------------
@primitive
def _elu(x, *, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


# d elu/dx = 1 for x > 0 and alpha e^x = elu(x) + alpha otherwise
defvjp(_elu, lambda g, ans, x, *, alpha: g * elu_slope(x, alpha))


def elu(x, alpha=1.0):
    r"""$x$ for $x > 0$ and $\alpha(e^x - 1)$ otherwise; saturates at $-\alpha$ on the left.

    Its slope is 1 on the right and $\alpha e^x$ on the left, continuous at 0 only for $\alpha = 1$.
    """
    return _elu(x, alpha=_number("elu", "alpha", alpha, positive=True))


# --- GELU ----------------------------------------------------------------------------------
@primitive
def gelu(x):
    r"""The exact GELU $x\,\Phi(x)$ with $\Phi$ the standard normal CDF (erf-based, not tanh)."""
    with np.errstate(invalid="ignore"):                    # -inf * 0 at x = -inf
        out = x * normal_cdf(x)
    return np.where(x == -np.inf, 0.0, out)


# d(x Phi(x))/dx = Phi(x) + x phi(x)
defvjp(gelu, _gelu_vjp)


# --- the registry -----------------------------------------------------------------------------
def identity(h):
    r"""$h \mapsto h$: no activation (a linear network)."""
    return h


def identity_slope(x):
    """The identity's slope: 1 everywhere."""
    return np.ones(np.shape(x))


@dataclass(frozen=True)
class Activation:
    r"""One activation $\phi$ and the facts the chapters derive about it.

    ``fn`` maps a Tensor to a Tensor (an op); ``slope`` maps a plain array $z$ to
    $\phi'(z)$; ``max_slope`` is $\sup_z |\phi'(z)|$; ``gain`` is the weight gain, in
    units of $1/\sqrt{n_{in}}$, that the course matches to $\phi$ (chapters 3-4: 1 for
    sigmoid, tanh and the identity as Xavier/LeCun use it, $\sqrt2$ for ReLU (He),
    $\sqrt{2/(1+\alpha^2)}$ for leaky ReLU), or ``None`` where none is derived (ELU, GELU).
    """

    name: str
    fn: object            # Tensor -> Tensor
    slope: object         # ndarray -> ndarray
    max_slope: float
    gain: object          # a float, or None


_GELU_MAX_SLOPE = 0.5 * math.erfc(-1.0) + math.sqrt(2.0) * math.exp(-1.0) / math.sqrt(2.0 * math.pi)

#: name -> :class:`Activation`: the one table of activations.
REGISTRY = {a.name: a for a in (
    Activation("sigmoid", ops.sigmoid, ops.sigmoid_slope, 0.25, 1.0),
    Activation("tanh", ops.tanh, ops.tanh_slope, 1.0, 1.0),
    Activation("relu", ops.relu, relu_slope, 1.0, math.sqrt(2.0)),
    Activation("leaky_relu", ops.leaky_relu, leaky_relu_slope, 1.0, leaky_relu_gain(0.01)),
    Activation("elu", elu, elu_slope, 1.0, None),
    Activation("gelu", gelu, gelu_slope, _GELU_MAX_SLOPE, None),       # at x = sqrt(2)
    Activation("identity", identity, identity_slope, 1.0, 1.0),
)}

#: name -> function, the part of :data:`REGISTRY` that layers need.
FUNCTIONS = {name: a.fn for name, a in REGISTRY.items()}

#: The saturating activations' slopes $\phi'(x)$ (accurate in the tails) and their largest
#: values, reached at x = 0 only: $\sigma'(0) = 1/4$, $\tanh'(0) = 1$ (chapter 2).
SLOPES = {name: REGISTRY[name].slope for name in ("sigmoid", "tanh")}
SLOPE_MAX = {name: REGISTRY[name].max_slope for name in ("sigmoid", "tanh")}


def lookup(value, where="activation"):
    """The function for a registered name, or ``value`` itself if it is a function."""
    if callable(value):
        return value
    if not isinstance(value, str) or value not in FUNCTIONS:
        raise ValueError(f"{where}: unknown activation {value!r}; choose one of "
                         f"{sorted(FUNCTIONS)} or pass a function")
    return FUNCTIONS[value]

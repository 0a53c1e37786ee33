r"""Weight initializers (chapter 3): pure functions of the caller's ``rng``.

Each returns a float64 array of shape ``(fan_in, fan_out)``, used as ``x @ W``,
so ``fan_in`` is the number of inputs of a unit and ``fan_out`` the number of
units. The scale is a **standard deviation**; its square is the variance
that the chapter derives:

=================  ==========================================  ==============
initializer        Var(W)                                      derived for
=================  ==========================================  ==============
``lecun_normal``   gain² / fan_in                              forward pass, linear/tanh
``xavier_normal``  gain² · 2 / (fan_in + fan_out)              forward and backward compromise
``xavier_uniform`` same, as U(-a, a) with a = gain·√(6/(fan_in+fan_out))
``he_normal``      gain² · 2 / fan_in                          ReLU, forward pass
``orthogonal``     gain² · orthonormal rows or columns         dynamical isometry
``normal``         gain²  (N(0, 1) when gain = 1)              the naive choice
=================  ==========================================  ==============

The same table in code: ``VARIANCE[name](fan_in, fan_out)`` at gain 1, and
``weight_variance(name, fan_in, fan_out, gain)``; the initializers draw with it.
"""
from __future__ import annotations

import numpy as np

from .checks import finite_number, generator, one_of, positive_int

# __all__ lists the initializers only: it is the list of names that ``Linear(init=...)``
# and the experiments accept. The Var(W) table below is public too.
__all__ = ["lecun_normal", "xavier_normal", "xavier_uniform", "he_normal", "orthogonal", "normal"]

#: Var(W) of each initializer as a function of (fan_in, fan_out) at gain 1: the table
#: above, in code. Multiply by gain**2. (Orthogonal: each of the max(fan_in, fan_out)
#: entries of a unit column or row carries 1/max(fan_in, fan_out) of its squared length.)
VARIANCE = {
    "normal": lambda fan_in, fan_out: 1.0,
    "lecun_normal": lambda fan_in, fan_out: 1.0 / fan_in,
    "xavier_normal": lambda fan_in, fan_out: 2.0 / (fan_in + fan_out),
    "xavier_uniform": lambda fan_in, fan_out: 2.0 / (fan_in + fan_out),
    "he_normal": lambda fan_in, fan_out: 2.0 / fan_in,
    "orthogonal": lambda fan_in, fan_out: 1.0 / max(fan_in, fan_out),
}


def weight_variance(init, fan_in, fan_out, gain=1.0) -> float:
    """Var(W) of the initializer called ``init`` for a (fan_in, fan_out) layer at ``gain``."""
    one_of("weight_variance", "initializer", init, VARIANCE)
    _check("weight_variance", fan_in, fan_out, np.random.default_rng(0), gain)
    return gain * gain * VARIANCE[init](fan_in, fan_out)


def _check(name, fan_in, fan_out, rng, gain):
    positive_int(name, "fan_in", fan_in), positive_int(name, "fan_out", fan_out)
    generator(name, rng)
    finite_number(name, "gain", gain, low=0)


def normal(fan_in, fan_out, *, rng, gain=1.0):
    """W ~ N(0, gain²): the unscaled choice whose effect grows with width."""
    _check("normal", fan_in, fan_out, rng, gain)
    return gain * np.sqrt(VARIANCE["normal"](fan_in, fan_out)) * rng.standard_normal((fan_in, fan_out))


def lecun_normal(fan_in, fan_out, *, rng, gain=1.0):
    """W ~ N(0, gain²/fan_in): keeps Var(h) fixed forward through linear layers."""
    _check("lecun_normal", fan_in, fan_out, rng, gain)
    return gain * np.sqrt(VARIANCE["lecun_normal"](fan_in, fan_out)) * rng.standard_normal((fan_in, fan_out))


def xavier_normal(fan_in, fan_out, *, rng, gain=1.0):
    """W ~ N(0, gain²·2/(fan_in+fan_out)) (Glorot & Bengio, 2010)."""
    _check("xavier_normal", fan_in, fan_out, rng, gain)
    return gain * np.sqrt(VARIANCE["xavier_normal"](fan_in, fan_out)) * rng.standard_normal((fan_in, fan_out))


def xavier_uniform(fan_in, fan_out, *, rng, gain=1.0):
    """W ~ U(-a, a) with a = gain·√(6/(fan_in+fan_out)): the same variance as xavier_normal."""
    _check("xavier_uniform", fan_in, fan_out, rng, gain)
    limit = gain * np.sqrt(3.0 * VARIANCE["xavier_uniform"](fan_in, fan_out))   # Var(U(-a, a)) = a^2/3
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def he_normal(fan_in, fan_out, *, rng, gain=1.0):
    """W ~ N(0, gain²·2/fan_in) (He et al., 2015): the 2 undoes ReLU halving E[h²]."""
    _check("he_normal", fan_in, fan_out, rng, gain)
    return gain * np.sqrt(VARIANCE["he_normal"](fan_in, fan_out)) * rng.standard_normal((fan_in, fan_out))


def orthogonal(fan_in, fan_out, *, rng, gain=1.0):
    """gain × a random matrix with orthonormal columns (tall) or rows (wide).

    Every singular value equals ``gain``, so a product of such layers neither
    shrinks nor stretches any direction (Saxe et al., 2014).
    """
    _check("orthogonal", fan_in, fan_out, rng, gain)
    a = rng.standard_normal((max(fan_in, fan_out), min(fan_in, fan_out)))
    q, r = np.linalg.qr(a)
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)   # sign fix: uniform (Haar) distribution
    return gain * (q if fan_in >= fan_out else q.T)

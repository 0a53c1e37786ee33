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
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["lecun_normal", "xavier_normal", "xavier_uniform", "he_normal", "orthogonal", "normal"]


def _check(name, fan_in, fan_out, rng, gain):
    for label, n in (("fan_in", fan_in), ("fan_out", fan_out)):
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"{name}: {label} must be a positive integer, got {n!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name}: rng must be a numpy Generator such as np.random.default_rng(0), "
            f"got {type(rng).__name__}"
        )
    if not isinstance(gain, numbers.Real) or not np.isfinite(gain) or gain < 0:
        raise ValueError(f"{name}: gain must be a finite number >= 0, got {gain!r}")


def normal(fan_in, fan_out, *, rng, gain=1.0):
    """W ~ N(0, gain²): the unscaled choice whose effect grows with width."""
    _check("normal", fan_in, fan_out, rng, gain)
    return gain * rng.standard_normal((fan_in, fan_out))


def lecun_normal(fan_in, fan_out, *, rng, gain=1.0):
    """W ~ N(0, gain²/fan_in): keeps Var(h) fixed forward through linear layers."""
    _check("lecun_normal", fan_in, fan_out, rng, gain)
    return gain * np.sqrt(1.0 / fan_in) * rng.standard_normal((fan_in, fan_out))


def xavier_normal(fan_in, fan_out, *, rng, gain=1.0):
    """W ~ N(0, gain²·2/(fan_in+fan_out)) (Glorot & Bengio, 2010)."""
    _check("xavier_normal", fan_in, fan_out, rng, gain)
    return gain * np.sqrt(2.0 / (fan_in + fan_out)) * rng.standard_normal((fan_in, fan_out))


def xavier_uniform(fan_in, fan_out, *, rng, gain=1.0):
    """W ~ U(-a, a) with a = gain·√(6/(fan_in+fan_out)): the same variance as xavier_normal."""
    _check("xavier_uniform", fan_in, fan_out, rng, gain)
    limit = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def he_normal(fan_in, fan_out, *, rng, gain=1.0):
    """W ~ N(0, gain²·2/fan_in) (He et al., 2015): the 2 undoes ReLU halving E[h²]."""
    _check("he_normal", fan_in, fan_out, rng, gain)
    return gain * np.sqrt(2.0 / fan_in) * rng.standard_normal((fan_in, fan_out))


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

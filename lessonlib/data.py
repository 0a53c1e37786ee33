"""Small synthetic data sets, made from the caller's ``rng`` (no downloads)."""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["spirals", "blobs", "teacher_regression"]


def _check_rng(name, rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{name}: rng must be a numpy Generator such as np.random.default_rng(0), "
                        f"got {type(rng).__name__}")


def _count(name, label, value, least=1):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < least:
        raise ValueError(f"{name}: {label} must be an integer >= {least}, got {value!r}")
    return int(value)


def _scale(name, label, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
            or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name}: {label} must be a finite number >= 0, got {value!r}")
    return float(value)


def spirals(n_per_class, n_classes=3, *, rng, noise=0.1):
    """Interleaved 2-D spirals: X of shape (N, 2) float64 and integer labels y of shape (N,)."""
    _check_rng("spirals", rng)
    n_per_class = _count("spirals", "n_per_class", n_per_class)
    n_classes = _count("spirals", "n_classes", n_classes)
    noise = _scale("spirals", "noise", noise)
    r = np.tile(np.linspace(0.05, 1.0, n_per_class), n_classes)
    y = np.repeat(np.arange(n_classes), n_per_class)
    theta = 4.0 * r + 2.0 * np.pi * y / n_classes + noise * rng.standard_normal(r.size)
    X = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
    return X, y


def blobs(n_per_class, n_classes=2, n_features=2, *, rng, spread=1.0):
    """Gaussian clusters with centres on a sphere of radius 3 and std ``spread``."""
    _check_rng("blobs", rng)
    n_per_class = _count("blobs", "n_per_class", n_per_class)
    n_classes = _count("blobs", "n_classes", n_classes)
    n_features = _count("blobs", "n_features", n_features)
    spread = _scale("blobs", "spread", spread)
    centres = rng.standard_normal((n_classes, n_features))
    centres *= 3.0 / np.linalg.norm(centres, axis=1, keepdims=True)
    y = np.repeat(np.arange(n_classes), n_per_class)
    X = centres[y] + spread * rng.standard_normal((y.size, n_features))
    return X, y


def teacher_regression(n, n_in, *, rng, width=32, noise=0.0):
    """Targets from a random one-hidden-layer tanh 'teacher' net, scaled to variance 1.

    Returns X of shape (n, n_in) with standard-normal entries and y of shape (n, 1).
    Scaling to variance 1 needs ``n >= 2`` examples.
    """
    _check_rng("teacher_regression", rng)
    n = _count("teacher_regression", "n (the number of examples; the targets are scaled "
               "by their standard deviation, which needs 2)", n, least=2)
    n_in = _count("teacher_regression", "n_in", n_in)
    width = _count("teacher_regression", "width", width)
    noise = _scale("teacher_regression", "noise", noise)
    X = rng.standard_normal((n, n_in))
    W1 = rng.standard_normal((n_in, width)) / np.sqrt(n_in)
    w2 = rng.standard_normal((width, 1)) / np.sqrt(width)
    y = np.tanh(X @ W1) @ w2
    y = (y - y.mean()) / y.std() + noise * rng.standard_normal((n, 1))
    return X, y

"""Small synthetic data sets, made from the caller's ``rng`` (no downloads)."""
from __future__ import annotations

import numpy as np

from .checks import finite_number, generator, positive_int

__all__ = ["spirals", "blobs", "teacher_regression", "adding_batch", "ADDING_BASELINE"]


def spirals(n_per_class, n_classes=3, *, rng, noise=0.1):
    """Interleaved 2-D spirals: X of shape (N, 2) float64 and integer labels y of shape (N,)."""
    generator("spirals", rng)
    n_per_class = positive_int("spirals", "n_per_class", n_per_class)
    n_classes = positive_int("spirals", "n_classes", n_classes)
    noise = finite_number("spirals", "noise", noise, low=0)
    r = np.tile(np.linspace(0.05, 1.0, n_per_class), n_classes)
    y = np.repeat(np.arange(n_classes), n_per_class)
    theta = 4.0 * r + 2.0 * np.pi * y / n_classes + noise * rng.standard_normal(r.size)
    X = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
    return X, y


def blobs(n_per_class, n_classes=2, n_features=2, *, rng, spread=1.0):
    """Gaussian clusters with centres on a sphere of radius 3 and std ``spread``."""
    generator("blobs", rng)
    n_per_class = positive_int("blobs", "n_per_class", n_per_class)
    n_classes = positive_int("blobs", "n_classes", n_classes)
    n_features = positive_int("blobs", "n_features", n_features)
    spread = finite_number("blobs", "spread", spread, low=0)
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
    generator("teacher_regression", rng)
    n = positive_int("teacher_regression", "n (the number of examples; the targets are scaled "
               "by their standard deviation, which needs 2)", n, minimum=2)
    n_in = positive_int("teacher_regression", "n_in", n_in)
    width = positive_int("teacher_regression", "width", width)
    noise = finite_number("teacher_regression", "noise", noise, low=0)
    X = rng.standard_normal((n, n_in))
    W1 = rng.standard_normal((n_in, width)) / np.sqrt(n_in)
    w2 = rng.standard_normal((width, 1)) / np.sqrt(width)
    y = np.tanh(X @ W1) @ w2
    y = (y - y.mean()) / y.std() + noise * rng.standard_normal((n, 1))
    return X, y


#: Mean squared error of always predicting 1, the mean of the target: Var(u1 + u2) = 2/12.
ADDING_BASELINE = 1.0 / 6.0


def adding_batch(T, batch, *, rng):
    r"""The adding problem (Hochreiter & Schmidhuber, 1997), ``batch`` sequences of length ``T``.

    Each step carries two numbers: a value drawn from U(0, 1) and a marker that
    is 1 at exactly two steps, one in the first half and one in the second half.
    The target is the sum of the two marked values. Returns ``xs`` of shape
    (T, batch, 2) and ``y`` of shape (batch, 1).
    """
    T = positive_int("adding_batch", "T", T, minimum=2)
    batch = positive_int("adding_batch", "batch", batch)
    generator("adding_batch", rng)
    values = rng.uniform(0.0, 1.0, (T, batch))
    marks = np.zeros((T, batch))
    cols = np.arange(batch)
    marks[rng.integers(0, T // 2, batch), cols] = 1.0
    marks[rng.integers(T // 2, T, batch), cols] = 1.0
    return np.stack([values, marks], axis=-1), np.sum(values * marks, axis=0)[:, None]

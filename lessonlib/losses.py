r"""Loss functions: the scalar $L$ that every backward pass starts from."""
from __future__ import annotations

import numpy as np

from .autodiff import as_float_array, defvjp, primitive

__all__ = ["mse", "cross_entropy", "label_entropy"]


@primitive
def _mse(pred, target):
    return np.mean((pred - target) ** 2)


# L = mean((p - t)^2):  dL/dp = 2 (p - t) / n = -dL/dt
defvjp(_mse,
       lambda g, ans, pred, target: (2.0 * g / pred.size) * (pred - target),
       lambda g, ans, pred, target: (-2.0 * g / pred.size) * (pred - target))


def mse(pred, target):
    r"""Mean squared error $\frac1n \sum_i (p_i - t_i)^2$; shapes must match exactly."""
    shape_p, shape_t = np.shape(as_float_array(pred, "mse")), np.shape(as_float_array(target, "mse"))
    if shape_p != shape_t:
        raise ValueError(
            f"mse: pred has shape {shape_p} but target has shape {shape_t}; they must match "
            "exactly (broadcasting them would compare every prediction with every target)"
        )
    if not np.prod(shape_p, dtype=int):
        raise ValueError(f"mse: pred and target are empty (shape {shape_p}); the mean of no "
                         "squared errors is undefined")
    return _mse(pred, target)


@primitive
def _cross_entropy(logits, *, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)   # log-sum-exp without overflow
    log_z = np.log(np.exp(shifted).sum(axis=1))
    return np.mean(log_z - shifted[np.arange(len(labels)), labels])


def _cross_entropy_vjp(g, ans, logits, *, labels):
    # dL/dlogits = (softmax(logits) - onehot(labels)) / N
    shifted = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(shifted)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1.0
    return g * p / len(labels)


defvjp(_cross_entropy, _cross_entropy_vjp)


def cross_entropy(logits, labels):
    r"""Mean of $-\log \mathrm{softmax}(z_i)_{y_i}$ over the batch.

    ``logits`` has shape (N, K); ``labels`` holds N integer class indices in [0, K).
    """
    z = as_float_array(logits, "cross_entropy")
    labels = np.asarray(labels)
    if z.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, K); got {z.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(
            f"cross_entropy: labels must be integer class indices; got dtype {labels.dtype}"
        )
    if labels.shape != (z.shape[0],):
        raise ValueError(
            f"cross_entropy: logits {z.shape} need labels of shape ({z.shape[0]},); got {labels.shape}"
        )
    k = z.shape[1]
    if z.shape[0] == 0 or k == 0:
        raise ValueError(
            f"cross_entropy: logits of shape {z.shape} hold no "
            + ("examples; the mean over an empty batch is undefined" if z.shape[0] == 0 else
               "classes; there must be at least one class")
        )
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(
            f"cross_entropy: labels must lie in [0, {k}) for logits with {k} classes; "
            f"got min {labels.min()}, max {labels.max()}"
        )
    return _cross_entropy(logits, labels=labels)


def label_entropy(y) -> float:
    r"""$-\sum_k p_k \ln p_k$ of the label frequencies $p_k$, in nats.

    This is the cross-entropy of the best *constant* prediction (predict the
    frequencies for every input): the "chance" level of a classifier's loss. It
    equals $\ln K$ only when the $K$ classes are equally frequent.
    """
    counts = np.bincount(np.asarray(y))
    p = counts[counts > 0] / counts.sum()
    return float(-np.sum(p * np.log(p)))

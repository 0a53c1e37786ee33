r"""Adam and gradient clipping (chapter 7).

Clipping acts in place on the ``.grad`` arrays of the parameters (a parameter's
gradient is its own writable array after ``backward()``), between
``loss.backward()`` and ``optimizer.step()``:

* **by norm**: if the norm $\lVert g \rVert$ of all gradients together exceeds
  ``max_norm``, every gradient is multiplied by ``max_norm / ||g||``. The
  direction of the update is unchanged; only its length is capped.
* **by value**: every entry is clipped to ``[-clip, clip]`` on its own. Large
  entries shrink more than small ones, so the direction changes.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["Adam", "clip_grad_norm", "clip_grad_value", "grad_norm"]


def _positive(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
            or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _grads(params):
    return [p.grad for p in params if p.grad is not None]


def grad_norm(params) -> float:
    r"""$\sqrt{\sum_p \lVert \partial L/\partial p \rVert^2}$ over the parameters that have a gradient."""
    return float(np.sqrt(sum(np.sum(np.square(g)) for g in _grads(params))))


def clip_grad_norm(params, max_norm) -> float:
    r"""Rescale all gradients together so that their joint norm is at most ``max_norm``.

    Returns the norm **before** clipping (what a training log should record).
    When it is below ``max_norm`` nothing changes. A non-finite norm (an
    overflowed gradient) is returned as it is and the gradients are left alone:
    rescaling cannot repair an ``inf``.
    """
    max_norm = _positive("clip_grad_norm: max_norm", max_norm)
    params = list(params)
    total = grad_norm(params)
    if np.isfinite(total) and total > max_norm:
        scale = max_norm / total
        for g in _grads(params):
            g *= scale
    return total


def clip_grad_value(params, clip) -> None:
    """Clip every gradient entry to ``[-clip, clip]``, in place."""
    clip = _positive("clip_grad_value: clip", clip)
    for g in _grads(params):
        np.clip(g, -clip, clip, out=g)


class Adam:
    r"""Adam (Kingma & Ba, 2015): a step along the gradient's running mean, divided by its running RMS.

    With $g$ the gradient at step $t = 1, 2, \dots$:

    .. math::

        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad
        \theta \leftarrow \theta - \eta\, \frac{m / (1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t)} + \epsilon}.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.lr = _positive("Adam: lr", lr)
        b1, b2 = betas
        for name, b in (("beta1", b1), ("beta2", b2)):
            if isinstance(b, bool) or not isinstance(b, numbers.Real) or not 0 <= b < 1:
                raise ValueError(f"Adam: {name} must lie in [0, 1), got {b!r}")
        self.betas = (float(b1), float(b2))
        self.eps = _positive("Adam: eps", eps)
        self.t = 0
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1.0 - b1 ** self.t, 1.0 - b2 ** self.t
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m *= b1
            m += (1.0 - b1) * p.grad
            v *= b2
            v += (1.0 - b2) * np.square(p.grad)
            p.data -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)

    def zero_grad(self) -> None:
        for p in self.params:
            p.zero_grad()

r"""Optimizers (SGD, Adam) and gradient clipping (chapters 1-7).

Both optimizers take a list of parameters (``model.parameters()``), check it
(Tensors with ``requires_grad``, each once), and change each parameter **in
place** in ``step()``. That advances the parameter's version counter, so a
graph built before the step cannot be differentiated afterwards:
``backward()`` raises instead of mixing old and new weights. The order is
``zero_grad()``, forward, ``backward()``, (clip), ``step()``.

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

from .autodiff import Tensor
from .checks import finite_number
from .module import Module

__all__ = ["parameter_list", "SGD", "Adam", "clip_grad_norm", "clip_grad_value", "grad_norm"]


def parameter_list(owner, params) -> list:
    """``params`` as a list of distinct Tensors with ``requires_grad``, or an error saying what to pass."""
    hint = "pass model.parameters(), or a list of Tensors"
    if isinstance(params, Module):
        raise TypeError(f"{owner}: got the model {type(params).__name__} itself; {hint}")
    if callable(params):
        raise TypeError(f"{owner}: got the method {getattr(params, '__name__', params)!r} "
                        f"without calling it; {hint}")
    if isinstance(params, Tensor):
        raise TypeError(f"{owner}: got a single Tensor; pass a list of them, e.g. [w]")
    if isinstance(params, (str, bytes, dict)) or not hasattr(params, "__iter__"):
        raise TypeError(f"{owner}: expected a list of Tensors, got {type(params).__name__}; {hint}")
    params = list(params)
    if not params:
        raise ValueError(f"{owner}: the list of parameters is empty; {hint}")
    seen = {}
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{owner}: parameter {i} is a {type(p).__name__}, not a Tensor; "
                            "wrap values in Tensor(..., requires_grad=True)")
        if not p.requires_grad:
            raise ValueError(f"{owner}: parameter {i} (shape {p.shape}) has requires_grad=False, "
                             "so it never receives a gradient")
        if p._op is not None:
            raise ValueError(f"{owner}: parameter {i} is the output of an op, not a leaf tensor; "
                             "optimize the tensors it was computed from")
        if id(p) in seen:
            raise ValueError(f"{owner}: parameter {i} is the same Tensor as parameter "
                             f"{seen[id(p)]}; it would be updated twice per step")
        seen[id(p)] = i
    return params


def _update(p, change) -> None:
    """``p -= change`` in place, counted as a new version of ``p`` (see the module docstring)."""
    p._value -= change
    p._version += 1


def _grads(owner, params):
    return [p.grad for p in parameter_list(owner, params) if p.grad is not None]


def grad_norm(params) -> float:
    r"""$\sqrt{\sum_p \lVert \partial L/\partial p \rVert^2}$ over the parameters that have a gradient."""
    return float(np.sqrt(sum(np.sum(np.square(g)) for g in _grads("grad_norm", params))))


def clip_grad_norm(params, max_norm) -> float:
    r"""Rescale all gradients together so that their joint norm is at most ``max_norm``.

    Returns the norm **before** clipping (what a training log should record).
    When it is below ``max_norm`` nothing changes. A non-finite norm (an
    overflowed gradient) is returned as it is and the gradients are left alone:
    rescaling cannot repair an ``inf``.
    """
    max_norm = finite_number("clip_grad_norm", "max_norm", max_norm, low=0, low_open=True)
    grads = _grads("clip_grad_norm", params)
    total = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
    if np.isfinite(total) and total > max_norm:
        scale = max_norm / total
        for g in grads:
            g *= scale
    return total


def clip_grad_value(params, clip) -> None:
    """Clip every gradient entry to ``[-clip, clip]``, in place."""
    clip = finite_number("clip_grad_value", "clip", clip, low=0, low_open=True)
    for g in _grads("clip_grad_value", params):
        np.clip(g, -clip, clip, out=g)


class SGD:
    r"""Plain gradient descent: $\theta \leftarrow \theta - \eta\, \partial L/\partial \theta$.

    Parameters without a gradient (``grad is None``) are left alone.
    """

    def __init__(self, params, lr):
        self.params = parameter_list("SGD", params)
        self.lr = finite_number("SGD", "lr (the learning rate)", lr, low=0, low_open=True)

    def step(self) -> None:
        for p in self.params:
            if p.grad is not None:
                _update(p, self.lr * p.grad)

    def zero_grad(self) -> None:
        for p in self.params:
            p.zero_grad()


class Adam:
    r"""Adam (Kingma & Ba, 2015): a step along the gradient's running mean, divided by its running RMS.

    Each parameter keeps its own state, as in ``torch.optim.Adam``: its step count
    $t$, counted from its first gradient, and its running moments $m$, $v$.
    At each ``step()``, a parameter with gradient $g$ does

    .. math::

        t \leftarrow t + 1,\quad
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad
        \theta \leftarrow \theta - \frac{\eta}{1-\beta_1^t}\,
            \frac{m}{\sqrt{v}/\sqrt{1-\beta_2^t} + \epsilon},

    and a parameter without a gradient (``grad is None``) is skipped: its $t$,
    $m$ and $v$ stay as they are. ``state[i]`` holds ``step``, ``m`` and ``v`` of
    parameter ``i``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = parameter_list("Adam", params)
        self.lr = finite_number("Adam", "lr (the learning rate)", lr, low=0, low_open=True)
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2) such as (0.9, 0.999), "
                            f"got {betas!r}")
        for name, b in zip(("beta1", "beta2"), betas):
            if isinstance(b, (bool, np.bool_)) or not isinstance(b, numbers.Real) or not 0 <= b < 1:
                raise ValueError(f"Adam: {name} must be a number in [0, 1), got {b!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = finite_number("Adam", "eps", eps, low=0, low_open=True)
        self.state = [{"step": 0, "m": np.zeros(p.shape), "v": np.zeros(p.shape)}
                      for p in self.params]

    @property
    def t(self) -> int:
        """The largest step count of any parameter (the number of steps, if all had gradients)."""
        return max(s["step"] for s in self.state)

    def step(self) -> None:
        b1, b2 = self.betas
        for p, s in zip(self.params, self.state):
            g = p.grad
            if g is None:
                continue
            s["step"] += 1
            m, v = s["m"], s["v"]
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * np.square(g)
            c1, c2 = 1.0 - b1 ** s["step"], 1.0 - b2 ** s["step"]
            _update(p, (self.lr / c1) * (m / (np.sqrt(v) / np.sqrt(c2) + self.eps)))

    def zero_grad(self) -> None:
        for p in self.params:
            p.zero_grad()

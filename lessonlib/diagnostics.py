r"""Per-layer statistics of a forward and backward pass (chapters 2-6).

:func:`layer_profile` runs one forward pass of a model that accepts a
``hook(l, z_l, h_l)`` argument (such as :class:`lessonlib.nn.MLP`), records
every layer's pre-activation $z_l$ and output $h_l$ through that hook, runs
``backward()``, and returns the statistics as frozen dataclasses. Nothing is
stored outside the returned object.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from . import activations
from .autodiff import Tensor

__all__ = ["LayerStats", "Profile", "layer_profile", "SLOPES", "SATURATION_LEVEL"]

#: Activation slopes phi'(z) for the activations whose saturation we can measure.
#: (From :data:`lessonlib.activations.REGISTRY`; ReLU has none: its zero slope is "dead", below.)
SLOPES = {
    **{activations.REGISTRY[n].fn: activations.REGISTRY[n].slope for n in ("sigmoid", "tanh", "elu")},
    activations.gelu: lambda z: np.abs(activations.gelu_slope(z)),  # GELU's slope is negative for z < -0.75
}

#: A unit counts as saturated when its slope is below this fraction of the
#: activation's largest slope (1/4 for the sigmoid, 1 for tanh).
SATURATION_LEVEL = 0.01


@dataclass(frozen=True)
class LayerStats:
    """What one layer did on one batch. Norms are Frobenius norms over the batch."""

    layer: int             # l = 0 is the input, l = 1..L the layers
    h_mean: float          # mean of h_l over batch and units
    h_std: float           # standard deviation of h_l
    h_rms: float           # sqrt(mean(h_l^2))
    z_std: float           # standard deviation of the pre-activation z_l (nan at l = 0)
    saturated: float       # fraction of entries with phi'(z) < 1% of its maximum (nan if unknown)
    dead: float            # fraction of units with z <= 0 on every example of the batch (nan at l = 0)
    grad_h_norm: float     # ||dL/dh_l||
    grad_h_rms: float      # sqrt(mean((dL/dh_l)^2))
    grad_W_norm: float     # ||dL/dW_l|| (nan at l = 0)


@dataclass(frozen=True)
class Profile:
    """Statistics of every layer, input first, and the loss."""

    layers: tuple
    loss: float

    def __getitem__(self, name: str) -> np.ndarray:
        """One statistic for every layer, e.g. ``profile["grad_h_norm"]``."""
        if name not in {f.name for f in fields(LayerStats)}:
            raise KeyError(f"Profile: no statistic {name!r}; choose one of "
                           f"{[f.name for f in fields(LayerStats)]}")
        return np.array([getattr(s, name) for s in self.layers])

    @property
    def finite(self) -> bool:
        """False when any statistic overflowed to inf or became nan where a value exists."""
        grads = self["grad_h_norm"]
        return bool(np.isfinite(self.loss) and np.all(np.isfinite(grads)))


def _norm(a) -> float:
    """Frobenius norm computed as m * ||a / m|| with m = max |a_i|.

    Squaring first (``np.linalg.norm``) underflows to 0 once the entries drop
    below about 1e-162 and overflows to inf above about 1e154, far inside
    float64's range; scaling first keeps the norm as long as the values last.
    """
    m = float(np.max(np.abs(a))) if np.size(a) else 0.0
    if m == 0.0 or not np.isfinite(m):
        return m
    return m * float(np.linalg.norm(a / m))


def _rms(a) -> float:
    return _norm(a) / np.sqrt(np.size(a)) if np.size(a) else 0.0


def layer_profile(model, x, loss_fn) -> Profile:
    """Run ``loss_fn(model(x, hook=...))``, backpropagate, and describe every layer.

    ``x`` is the input batch (an array or Tensor); ``loss_fn`` maps the model's
    output to a scalar Tensor. The model's parameters receive gradients as in
    any backward pass (they are zeroed first).
    """
    h0 = Tensor(x.data if isinstance(x, Tensor) else x, requires_grad=True)
    seen = []                                    # (l, z_l, h_l), filled by the hook
    for p in model.parameters():
        p.zero_grad()
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        loss = loss_fn(model(h0, hook=lambda l, z, h: seen.append((l, z, h))))
        loss.backward()
        layers = [_stats(0, None, h0, None, None)]
        slope = SLOPES.get(getattr(model, "activation", None))
        for (l, z, h), layer in zip(seen, model.layers):
            last = l == len(model.layers)
            layers.append(_stats(l, z, h, layer, None if last else slope))
    return Profile(layers=tuple(layers), loss=float(loss.item()))


def _stats(l, z, h, layer, slope) -> LayerStats:
    nan = float("nan")
    g = h.grad if h.grad is not None else np.zeros(h.shape)
    if z is None:
        z_std = saturated = dead = grad_W = nan
    else:
        z_std = float(np.std(z.data))
        saturated = nan if slope is None else float(
            np.mean(slope(z.data) < SATURATION_LEVEL * slope(np.zeros(1))[0]))
        dead = float(np.mean(np.all(z.data <= 0, axis=0)))
        grad_W = nan if layer.W.grad is None else _norm(layer.W.grad)
    return LayerStats(
        layer=l, h_mean=float(np.mean(h.data)), h_std=float(np.std(h.data)),
        h_rms=_rms(h.data), z_std=z_std, saturated=saturated, dead=dead,
        grad_h_norm=_norm(g), grad_h_rms=_rms(g),
        grad_W_norm=grad_W,
    )

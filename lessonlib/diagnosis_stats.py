r"""What :func:`lessonlib.diagnosis.diagnose` measures (chapter 9): one forward and backward
pass, read from the graph that pass built, and the same again after every training step.

The **activation layers** are the nodes of the graph made by an activation op (tanh,
sigmoid, ReLU, ...), input side first; each gives its pre-activations $z$, its outputs $h$
and, after ``backward()``, $\partial L/\partial h$. The **weight matrices** are the model's
parameters of two or more dimensions, in the order the graph first reads them. Per
activation layer: the saturated fraction (tanh, sigmoid), the dead fraction (ReLU), whether
all units are identical, and rms($\partial L/\partial h$); per weight matrix:
rms($\partial L/\partial W$) / rms($W$).

These are the private helpers of :func:`~lessonlib.diagnosis.diagnose`; the decision rules
that turn the numbers into codes, and their thresholds, are in :mod:`lessonlib.diagnosis`.
"""
from __future__ import annotations

import numpy as np

from . import activations, ops
from .autodiff import Tensor, topological_order
from .checks import InputError
from .losses import cross_entropy, mse

__all__: list[str] = []

# op -> (name, slope function, largest slope), from the one activation table; found by the
# identity of the op that made a node
_SATURATING = {activations.REGISTRY[n].fn: (n, activations.REGISTRY[n].slope, activations.REGISTRY[n].max_slope)
               for n in ("tanh", "sigmoid")}
# (leaky_relu and elu are wrappers that check their argument; the graph records the primitives)
_OTHER = {ops.relu: "relu", ops._leaky_relu: "leaky_relu", activations._elu: "elu", activations.gelu: "gelu"}


def _rms(a):
    """sqrt(mean(a^2)), without overflow for entries near the largest float."""
    a = np.asarray(a, dtype=np.float64)
    m = float(np.max(np.abs(a))) if a.size else 0.0
    return m * float(np.sqrt(np.mean(np.square(a / m)))) if 0 < m < np.inf else m


def _loss(model, X, y, loss):
    """(loss, model(X)); names the argument when model(X) does not fit X, y and the loss."""
    try:
        out = model(Tensor(X, requires_grad=True))
    except (ValueError, TypeError, IndexError) as e:
        raise type(e)(f"diagnose: model(X) failed on X of shape {X.shape}: {e}") from e
    if not isinstance(out, Tensor):
        raise InputError(f"diagnose: model(X) returned {type(out).__name__}, not a Tensor")
    if out.ndim == 0 or out.shape[0] != len(X) or (loss == "cross_entropy" and out.ndim != 2):
        want = f"({len(X)}, classes)" if loss == "cross_entropy" else f"({len(X)}, ...)"
        raise InputError(f"diagnose: loss={loss!r} needs model(X) of shape {want} for X of shape "
                         f"{X.shape}, got shape {out.shape}")
    if loss == "mse":
        if out.size != y.size:
            raise InputError(f"diagnose: loss='mse' needs one target per output: model(X) has shape "
                             f"{out.shape} but y has shape {y.shape}")
        return mse(out, y.reshape(out.shape).astype(np.float64)), out
    if y.max() >= out.shape[1]:
        raise InputError(f"diagnose: y holds label {y.max()} but model(X) gives {out.shape[1]} classes "
                         f"(shape {out.shape}): labels must lie in [0, {out.shape[1]})")
    return cross_entropy(out, y), out


def _pass(model, X, y, loss):
    """One forward+backward pass: (loss, activation nodes, weight matrices), both in graph order."""
    for p in model.parameters():
        p.zero_grad()
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        L, out = _loss(model, X, y, loss)
        L.backward()
    order = topological_order(L)
    position = {id(n): i for i, n in enumerate(order)}
    acts = [n for n in order if n._op in _SATURATING or n._op in _OTHER]
    if not acts:
        raise InputError(f"diagnose: the graph of model(X) for {type(model).__name__} holds no activation op "
                         f"({', '.join(sorted({v[0] for v in _SATURATING.values()} | set(_OTHER.values())))}): "
                         "its per-layer statistics are read from them")
    first_use = {}
    for n in order:                      # a weight's place: the first op that reads it
        for parent, _ in n._parents:
            first_use.setdefault(id(parent), position[id(n)])
    weights = sorted((p for p in model.parameters() if p.ndim >= 2 and id(p) in first_use),
                     key=lambda p: first_use[id(p)])
    return float(L.item()), acts, weights


def _layer_stats(acts, slope_level):
    """kind, saturated fraction, dead fraction, symmetric flag, grad rms, units per activation layer.

    Saturated: phi'(z) < slope_level x phi's largest slope. Dead: a ReLU unit with z <= 0
    on every example. Symmetric: every unit has the same z on every example."""
    rows = []
    for n in acts:
        z, h = n._args[0], n._value
        g = n.grad if n.grad is not None else np.zeros(h.shape)
        flat = z.reshape(len(z), -1) if z.ndim > 1 else z.reshape(-1, 1)
        symmetric = flat.shape[1] > 1 and bool(np.all(flat == flat[:, :1]))   # identical z columns
        sat = dead = np.nan
        if n._op in _SATURATING:
            kind, slope, top = _SATURATING[n._op]
            with np.errstate(over="ignore", under="ignore"):
                sat = float(np.mean(slope(z) < slope_level * top))
        else:
            kind = _OTHER[n._op]
            if kind == "relu":
                dead = float(np.mean(np.all(flat <= 0, axis=0)))
        rows.append((kind, sat, dead, symmetric, _rms(g), flat.shape[1]))
    return rows


def _weight_ratios(weights, missing):
    """rms(dL/dW) / rms(W) per weight matrix; ``missing`` where W has no gradient or is all 0."""
    return np.array([_rms(w.grad) / _rms(w.data) if w.grad is not None and _rms(w.data) > 0 else missing
                     for w in weights])


def _expected_loss(y, loss, n_out):
    """The loss a network that knows nothing yet should start at: the entropy of the label
    frequencies (cross-entropy), or mean(y^2) + 1 (mse)."""
    if loss == "mse":
        return float(np.mean(np.square(y.astype(np.float64))) + 1.0)
    freq = np.bincount(y, minlength=n_out) / len(y)
    freq = freq[freq > 0]
    return float(-np.sum(freq * np.log(freq)))


def _n_out(net, X):
    with np.errstate(all="ignore"):
        out = net(Tensor(X))
    return out.shape[-1] if out.ndim > 1 else 1


def _ends(acts):
    """Every activation layer's outputs and gradients, as flat copies."""
    return (tuple(a._value.ravel().copy() for a in acts),
            tuple((np.zeros(a._value.size) if a.grad is None else np.ravel(a.grad)).copy() for a in acts))


def _train(net, X, y, loss, lr, steps, slope_level, loss0, acts, weights, rows):
    """Full-batch SGD on the copy; statistics before every step and after the last."""
    losses, updates = [loss0], []
    sat, dead = [[r[1] for r in rows]], [[r[2] for r in rows]]
    means, stds = [[float(np.mean(a._value)) for a in acts]], [[float(np.std(a._value)) for a in acts]]
    for _ in range(steps):
        with np.errstate(all="ignore"):
            updates.append([_rms(lr * w.grad - np.mean(lr * w.grad)) / max(float(np.std(w.data)), 1e-300)
                            if w.grad is not None else np.nan for w in weights])
            for p in net.parameters():
                if p.grad is not None:
                    p.data -= lr * p.grad
        loss_k, acts, weights = _pass(net, X, y, loss)
        rows = _layer_stats(acts, slope_level)
        losses.append(loss_k)
        sat.append([r[1] for r in rows])
        dead.append([r[2] for r in rows])
        means.append([float(np.mean(a._value)) for a in acts])
        stds.append([float(np.std(a._value)) for a in acts])
    activations_end, gradients_end = _ends(acts)
    return dict(losses=np.array(losses), update_ratio=np.array(updates),
                saturated_history=np.array(sat), dead_history=np.array(dead),
                mean_history=np.array(means), std_history=np.array(stds),
                activations_end=activations_end, gradients_end=gradients_end)

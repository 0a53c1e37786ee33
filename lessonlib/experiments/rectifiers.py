r"""Experiments on ReLU and its family (chapter 4).

Pure ``run_*(config) -> result`` functions over frozen dataclasses:

* :func:`run_curves`: each activation and its slope, the slope taken by ``backward()``;
* :func:`run_dead_units`: which units of a fresh deep MLP never fire on the data,
  with shifted biases or badly scaled weights, and the per-layer profile (the
  widget's runner); :func:`lessonlib.theory.first_layer_dead_theory` is its closed form for layer 1;
* :func:`run_dying`: full-batch gradient descent that records how many examples every
  unit fires on at every step, so a unit can be watched dying.

The one-off sweeps (the factor table, the bias-shift sweep, the leaky-ReLU gain, the
comparison of activations) are short loops written out in chapter 4 itself.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import data, losses, ops
from ..activations import REGISTRY, leaky_relu_gain, leaky_relu_slope
from ..autodiff import Tensor
from ..checks import one_of
from ..diagnostics import layer_profile
from ..init import VARIANCE
from ..layers import deep_mlp
from ..optim import SGD
from ..training import train

__all__ = ["FAMILY", "MATCHED", "N_VAR", "activation_for", "layer_factor",
           "CurvesConfig", "CurvesResult", "run_curves",
           "DeadConfig", "DeadResult", "run_dead_units",
           "DyingConfig", "DyingResult", "run_dying"]


def _leaky(alpha):
    fun = lambda h: ops.leaky_relu(h, alpha)
    fun.__name__ = f"leaky_relu_{alpha:g}"
    return fun


#: name -> (activation phi, its slope phi'), for plots and tables: the entries of
#: :data:`lessonlib.activations.REGISTRY`, with leaky ReLU at two slopes.
FAMILY = {
    **{name: (REGISTRY[name].fn, REGISTRY[name].slope) for name in ("sigmoid", "tanh", "relu")},
    "leaky_relu_0.01": (_leaky(0.01), lambda z: leaky_relu_slope(z, 0.01)),
    "leaky_relu_0.2": (_leaky(0.2), lambda z: leaky_relu_slope(z, 0.2)),
    **{name: (REGISTRY[name].fn, REGISTRY[name].slope) for name in ("elu", "gelu")},
}

#: name -> (init, gain): each activation with the weight scale that makes rho = 1 for its
#: slope at 0: Xavier for tanh (slope 1), He for ReLU, LeCun times sqrt(2/(1+alpha^2)) for
#: leaky ReLU (He's for alpha = 0), and Xavier times 4 for the sigmoid, whose slope at 0 is
#: 1/4 (Xavier alone gives it rho <= 1/4). The sigmoid also needs centred biases,
#: b_l = -1/2 1^T W_l (chapter 2), which a scale cannot express.
#: (ELU and GELU have no entry: He's scale is not matched to them, see chapter 4.)
MATCHED = {
    "sigmoid": ("xavier_normal", 4.0),
    "tanh": ("xavier_normal", 1.0),
    "relu": ("he_normal", 1.0),
    "leaky_relu_0.01": ("lecun_normal", leaky_relu_gain(0.01)),
    "leaky_relu_0.2": ("lecun_normal", leaky_relu_gain(0.2)),
}

#: n Var(W) of a square layer for each initializer at gain 1 (chapter 3), read from
#: ``lessonlib.init.VARIANCE`` (these rules give the same n Var(W) at every n).
N_VAR = {name: VARIANCE[name](1, 1) for name in ("lecun_normal", "xavier_normal", "xavier_uniform",
                                                  "he_normal", "orthogonal")}


def activation_for(name):
    """The activation function called ``name`` in :data:`FAMILY` (or ``name`` itself if callable)."""
    name = one_of("activation_for", "activation", name, FAMILY, or_function=True)
    return FAMILY[name][0] if isinstance(name, str) else name


def layer_factor(values, first, last) -> float:
    r"""The geometric-mean factor per layer from layer ``first`` to layer ``last``.

    $(v_{last} / v_{first})^{1/|last - first|}$: for activations going up use
    ``first < last``; for gradients, which travel down, ``first > last``.
    """
    values = np.asarray(values, dtype=float)
    return float((values[last] / values[first]) ** (1.0 / abs(last - first)))


# --- activation curves -------------------------------------------------------------------------
@dataclass(frozen=True)
class CurvesConfig:
    """Names from :data:`FAMILY`, drawn on ``points`` values of z from ``z_min`` to ``z_max``."""

    names: tuple = ("relu", "leaky_relu_0.2", "elu", "gelu")
    z_min: float = -4.0
    z_max: float = 4.0
    points: int = 801


@dataclass(frozen=True)
class CurvesResult:
    """``z`` (points,); ``values[name]`` and ``slopes[name]`` (points,): phi(z) and phi'(z)."""

    config: CurvesConfig
    z: np.ndarray
    values: dict                 # name -> phi(z)
    slopes: dict                 # name -> phi'(z), computed by backward()


def run_curves(config: CurvesConfig = CurvesConfig()) -> CurvesResult:
    r"""$\phi(z)$ and $\phi'(z)$ on a grid; the slope is the gradient of $\sum_i \phi(z_i)$."""
    z = np.linspace(config.z_min, config.z_max, config.points)
    values, slopes = {}, {}
    for name in config.names:
        t = Tensor(z, requires_grad=True)
        out = activation_for(name)(t)
        out.sum().backward()
        values[name], slopes[name] = out.data, np.array(t.grad)
    return CurvesResult(config=config, z=z, values=values, slopes=slopes)


# --- dead units at initialization ------------------------------------------------------------
@dataclass(frozen=True)
class DeadConfig:
    r"""A fresh deep MLP on :func:`lessonlib.data.teacher_regression` data (16 features).

    Weights: ``init`` scaled by ``gain``. Hidden biases: ``bias_shift`` plus, if
    ``bias_range > 0``, a draw from $U(-r, r)/\sqrt{n_{in}}$ with $r$ = ``bias_range``
    (PyTorch's default bias scale for ``r = 1``). The output layer's bias stays 0.
    """

    activation: object = "relu"
    init: str = "he_normal"
    gain: float = 1.0
    bias_shift: float = 0.0
    bias_range: float = 0.0
    depth: int = 10
    width: int = 64
    n: int = 256
    seed: int = 0


@dataclass(frozen=True)
class DeadResult:
    """``profile`` (depth + 2 layers, on all ``n`` examples), ``first_layer_norms`` (width,),
    ``similarity`` (depth,); ``dead`` (depth,) is the never-firing fraction of each hidden layer."""

    config: DeadConfig
    profile: object               # lessonlib.diagnostics.Profile on the whole data set
    first_layer_norms: np.ndarray  # ||w_j||, the norm of each first-layer unit's weights
    similarity: np.ndarray         # (depth,) mean cosine similarity of h_l between two examples
    message: str = ""

    def __getitem__(self, name):
        return self.profile[name]

    @property
    def dead(self) -> np.ndarray:
        """Fraction of never-firing units in hidden layers 1..depth."""
        return self.profile["dead"][1:-1]


def _model(config, rng, n_in):
    model = deep_mlp(n_in, config.width, config.depth, 1, activation=activation_for(config.activation),
                     init=config.init, rng=rng, gain=config.gain)
    for layer in model.layers[:-1]:
        b = np.full(layer.b.shape, float(config.bias_shift))
        if config.bias_range > 0:
            b += rng.uniform(-config.bias_range, config.bias_range, b.shape) / np.sqrt(layer.W.shape[0])
        layer.b.data[...] = b
    return model


def run_dead_units(config: DeadConfig = DeadConfig()) -> DeadResult:
    """Dead-unit fractions and gradient profile of a fresh MLP, over the whole data set."""
    rng = np.random.default_rng(config.seed)
    X, y = data.teacher_regression(config.n, 16, rng=rng)
    model = _model(config, rng, X.shape[1])
    profile = layer_profile(model, X, lambda out: losses.mse(out, y))
    message = "" if profile.finite else (
        f"overflow: values exceeded the float64 range with gain {config.gain} and depth {config.depth}")
    norms = np.linalg.norm(model.layers[0].W.data, axis=0)
    hs = []
    with np.errstate(all="ignore"):
        model(Tensor(X), hook=lambda l, z, h: hs.append(h.data) if l <= config.depth else None)
        similarity = np.array([_mean_cosine(h) for h in hs])
    return DeadResult(config=config, profile=profile, first_layer_norms=norms, similarity=similarity,
                      message=message)


def _mean_cosine(h):
    """Mean cosine similarity between the rows (examples) of h, over all pairs of distinct rows."""
    norms = np.linalg.norm(h, axis=1, keepdims=True)
    u = np.divide(h, norms, out=np.zeros_like(h), where=norms > 0)
    n = len(h)
    total = np.sum(u.sum(axis=0) ** 2) - np.sum(u * u)     # sum over i != j of u_i . u_j
    return float(total / (n * (n - 1)))


# --- a unit dying during training --------------------------------------------------------------
@dataclass(frozen=True)
class DyingConfig:
    """Full-batch SGD with MSE on teacher-regression data; every unit's firing is recorded."""

    activation: object = "relu"
    init: str = "he_normal"
    gain: float = 1.0
    bias_shift: float = 0.0
    bias_range: float = 0.0
    depth: int = 4
    width: int = 64
    n: int = 256
    lr: float = 0.04
    steps: int = 60
    seed: int = 0


@dataclass(frozen=True)
class DyingResult:
    """``losses`` (steps,), ``active`` (steps + 1, depth, width), ``unit_grad`` (steps, depth, width);
    ``dead`` (steps + 1, depth). Arrays hold nan from a step whose loss was not finite."""

    config: DyingConfig
    losses: np.ndarray         # (steps,) loss before each step (nan after divergence)
    active: np.ndarray         # (steps + 1, depth, width) examples with z > 0, before each step and
                               # after the last (nan from a step whose loss was not finite onwards)
    unit_grad: np.ndarray      # (steps, depth, width) ||dL/dw_j||^2 + (dL/db_j)^2: unit j's incoming weights
    message: str = ""

    @property
    def dead(self) -> np.ndarray:
        """(steps + 1, depth): fraction of units of each hidden layer firing on no example."""
        dead = np.mean(self.active == 0, axis=2)
        return np.where(np.isnan(self.active[:, :, 0]), np.nan, dead)


def run_dying(config: DyingConfig = DyingConfig()) -> DyingResult:
    """Train and count, before every step, on how many examples each hidden unit fires."""
    rng = np.random.default_rng(config.seed)
    X, y = data.teacher_regression(config.n, 16, rng=rng)
    model = _model(config, rng, X.shape[1])
    hidden, x = config.depth, Tensor(X)
    active = np.full((config.steps + 1, hidden, config.width), np.nan)

    def forward(step):                      # the loss, counting the units that fire
        def count(l, z, h):
            if l <= hidden:
                active[step, l - 1] = np.sum(z.data > 0, axis=0)
        return model(x, hook=count)

    unit_grad = lambda: [np.sum(layer.W.grad ** 2, axis=0) + layer.b.grad ** 2 for layer in model.layers[:hidden]]
    run = train(lambda step: losses.mse(forward(step), y), SGD(model.parameters(), lr=config.lr),
                config.steps, watch={"unit_grad": unit_grad})
    active[run.stopped:] = np.nan                 # a diverged run counts nothing from then on
    if not run.message:
        with np.errstate(all="ignore"):
            forward(config.steps)
    grads = np.full((config.steps, hidden, config.width), np.nan)
    grads[:run.stopped] = run.watched["unit_grad"][:run.stopped]
    return DyingResult(config=config, losses=run.losses, active=active, unit_grad=grads, message=run.message)

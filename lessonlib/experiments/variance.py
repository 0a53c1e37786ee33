r"""Variance propagation at initialization (chapter 3).

With independent zero-mean weights, a layer $z = hW$ multiplies the **mean square**
of the signal by $n_\text{in}\,\mathrm{Var}(W)$ forward and by
$n_\text{out}\,\mathrm{Var}(W)$ backward; an activation $\phi$ maps a mean square
$q$ of $z$ to $\mathbb{E}[\phi(z)^2]$ forward and multiplies the backward one by
$\mathbb{E}[\phi'(z)^2]$, $z \sim \mathcal{N}(0, q)$. :func:`mean_field` iterates
these maps; :func:`run_variance` measures the same quantities on real networks for the
chapter's widget. The chapter's other experiments (one non-square layer, the spread over
seeds, the singular values of a deep product, the learning-rate grid) are loops written in
the chapter itself.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .profiles import ProfileConfig, run_profile

__all__ = [
    "weight_variance", "second_moment", "slope_second_moment",
    "MeanField", "mean_field",
    "VarianceConfig", "VarianceResult", "run_variance",
]


# --------------------------------------------------------------------------- theory

def weight_variance(init: str, fan_in: int, fan_out: int, gain: float = 1.0) -> float:
    """Var(W) of one entry for the initializer named ``init`` (see :mod:`lessonlib.init`).

    An ``orthogonal`` matrix has orthonormal columns (or rows): its squared
    entries add up to ``min(fan_in, fan_out)`` over ``fan_in * fan_out`` entries.
    """
    per_entry = {
        "normal": 1.0,
        "lecun_normal": 1.0 / fan_in,
        "xavier_normal": 2.0 / (fan_in + fan_out),
        "xavier_uniform": 2.0 / (fan_in + fan_out),
        "he_normal": 2.0 / fan_in,
        "orthogonal": 1.0 / max(fan_in, fan_out),
    }
    if init not in per_entry:
        raise ValueError(f"weight_variance: unknown init {init!r}; choose one of {sorted(per_entry)}")
    return float(gain) ** 2 * per_entry[init]


def _gauss_mean_scalar(f, q):
    # E[f(z)], z ~ N(0, q), by the trapezoid rule, which converges exponentially fast for
    # these smooth integrands once the step (0.01 sqrt(q)) is well below the distance of
    # tanh's poles (pi/2); for large q a fine grid near 0 resolves tanh'(z)^2 too.
    if not (np.isfinite(q) and q >= 0):
        return float("nan")
    if q == 0:
        return float(f(np.zeros(1))[0])
    s = np.sqrt(q)
    z = s * _WIDE if s <= 50 else np.union1d(s * _WIDE, _NARROW)
    return float(np.trapezoid(f(z) * np.exp(-z ** 2 / (2 * q)), z) / np.sqrt(2 * np.pi * q))


_WIDE, _NARROW = np.linspace(-12.0, 12.0, 2401), np.linspace(-40.0, 40.0, 4001)
_LEAK = 0.01                                                  # lessonlib.leaky_relu's default slope
_sech2 = lambda z: 1.0 / np.cosh(np.minimum(np.abs(z), 350.0)) ** 2     # tanh', overflow-free
_numeric = lambda f: (lambda q: np.vectorize(lambda v: _gauss_mean_scalar(f, v), otypes=[float])(q)[()])

#: activation -> (q -> E[phi(z)^2], q -> E[phi'(z)^2]) for z ~ N(0, q)
_MOMENTS = {
    "identity": (lambda q: q, lambda q: np.ones_like(q)),
    "relu": (lambda q: q / 2, lambda q: np.full_like(q, 0.5)),           # eq. ch3-eq-relu-half
    "leaky_relu": (lambda q: (1 + _LEAK ** 2) * q / 2, lambda q: np.full_like(q, (1 + _LEAK ** 2) / 2)),
    "tanh": (_numeric(lambda z: np.tanh(z) ** 2), _numeric(lambda z: _sech2(z) ** 2)),
    "sigmoid": (_numeric(lambda z: (0.5 + 0.5 * np.tanh(z / 2)) ** 2),
                _numeric(lambda z: (0.25 * _sech2(z / 2)) ** 2)),
}


def _moment(which, name, activation, q):
    if activation not in _MOMENTS:
        raise ValueError(f"{name}: unknown activation {activation!r}; choose one of {sorted(_MOMENTS)}")
    return _MOMENTS[activation][which](np.asarray(q, dtype=float))


def second_moment(activation: str, q):
    r"""$\mathbb{E}[\phi(z)^2]$ for $z \sim \mathcal{N}(0, q)$: ``q`` (identity), ``q/2`` (ReLU),
    ``(1+a^2) q/2`` (leaky ReLU, a = 0.01), or a fine numerical integral (tanh, sigmoid)."""
    return _moment(0, "second_moment", activation, q)


def slope_second_moment(activation: str, q):
    r"""$\mathbb{E}[\phi'(z)^2]$ for $z \sim \mathcal{N}(0, q)$: 1, 1/2 (ReLU), (1+a²)/2, or numerical."""
    return _moment(1, "slope_second_moment", activation, q)


@dataclass(frozen=True)
class MeanField:
    """Predicted per-layer sizes for the networks of :func:`~lessonlib.experiments.profiles.run_profile`.

    Index ``l = 0`` is the input, ``1..L`` the hidden layers, ``L+1`` the linear
    output layer. ``h_rms`` starts from ``sqrt(q0)``; ``grad_rms`` is the RMS of
    $\\partial L/\\partial h_l$ relative to the output layer's (1 at ``l = L+1``).
    """

    layer: np.ndarray
    h_rms: np.ndarray
    z_rms: np.ndarray        # RMS of the pre-activation z_l (nan at l = 0)
    grad_rms: np.ndarray


def mean_field(activation, init, depth, width, gain=1.0, q0=1.0) -> MeanField:
    """Iterate the mean-square maps through ``depth`` square hidden layers and a linear output layer."""
    v = weight_variance(init, width, width, gain)
    with np.errstate(over="ignore", invalid="ignore"):
        m = np.empty(depth + 2)       # mean square of h_l
        q = np.full(depth + 2, np.nan)  # mean square of z_l
        m[0] = q0
        for l in range(1, depth + 2):
            q[l] = width * v * m[l - 1]
            m[l] = second_moment(activation, q[l]) if l <= depth else q[l]
        r = np.empty(depth + 2)       # mean square of dL/dh_l, relative to the top
        r[-1], r[depth] = 1.0, width * v    # the output layer is linear
        for l in range(depth, 0, -1):
            r[l - 1] = width * v * slope_second_moment(activation, q[l]) * r[l]
    return MeanField(layer=np.arange(depth + 2), h_rms=np.sqrt(m), z_rms=np.sqrt(q), grad_rms=np.sqrt(r))


# --------------------------------------------------------------------------- deep nets, several seeds

@dataclass(frozen=True)
class VarianceConfig:
    """Fresh deep MLPs (as in :class:`~lessonlib.experiments.profiles.ProfileConfig`), one per seed, measured at initialization."""

    activation: str = "relu"
    init: str = "he_normal"
    depth: int = 50
    width: int = 256
    gain: float = 1.0
    batch: int = 32
    seeds: tuple = (0, 1, 2)


@dataclass(frozen=True)
class VarianceResult:
    """Per-layer measurements, one row per seed, with the mean-field prediction.

    ``grad_rms`` is the RMS of $\\partial L/\\partial h_l$ divided by its value at the
    output layer, so that it starts at 1 like ``theory.grad_rms``.
    """

    config: VarianceConfig
    layer: np.ndarray
    h_rms: np.ndarray          # (seeds, L+2)
    grad_rms: np.ndarray       # (seeds, L+2), relative to the output layer
    grad_W_norm: np.ndarray    # (seeds, L+2), ||dL/dW_l|| (nan at l = 0)
    theory: MeanField | None     # None when ``config.init`` is a function, not a name
    message: str = ""


def run_variance(config: VarianceConfig) -> VarianceResult:
    """Measure activation and gradient RMS per layer for each seed (see :func:`~lessonlib.experiments.profiles.run_profile`)."""
    if len(config.seeds) < 1:
        raise ValueError("VarianceConfig: give at least one seed")
    rows, messages = [], []
    for seed in config.seeds:
        result = run_profile(ProfileConfig(
            activation=config.activation, init=config.init, depth=config.depth, width=config.width,
            gain=config.gain, batch=config.batch, seed=seed))
        rows.append((result["h_rms"], result["grad_h_rms"], result["grad_W_norm"]))
        if result.message:
            messages.append(result.message)
    h, g, gw = (np.array(x) for x in zip(*rows))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        grad_rel = g / g[:, -1:]
    theory = (mean_field(config.activation, config.init, config.depth, config.width, config.gain)
              if isinstance(config.init, str) else None)      # no prediction for a custom initializer
    return VarianceResult(config=config, layer=np.arange(config.depth + 2), h_rms=h, grad_rms=grad_rel,
                          grad_W_norm=gw, theory=theory, message=messages[0] if messages else "")

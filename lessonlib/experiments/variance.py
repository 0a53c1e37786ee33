r"""Variance propagation at initialization (chapter 3).

With independent zero-mean weights, a layer $z = hW$ multiplies the **mean square**
of the signal by $n_\text{in}\,\mathrm{Var}(W)$ forward and by
$n_\text{out}\,\mathrm{Var}(W)$ backward; an activation $\phi$ maps a mean square
$q$ of $z$ to $\mathbb{E}[\phi(z)^2]$ forward and multiplies the backward one by
$\mathbb{E}[\phi'(z)^2]$, $z \sim \mathcal{N}(0, q)$. :func:`mean_field` iterates
these maps; the ``run_*`` functions measure the same quantities on real networks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import init as initializers
from ..autodiff import Tensor
from .profiles import ProfileConfig, TrainConfig, deep_mlp, run_profile, run_training

__all__ = [
    "weight_variance", "second_moment", "slope_second_moment",
    "MeanField", "mean_field",
    "VarianceConfig", "VarianceResult", "run_variance",
    "FanConfig", "FanResult", "run_fan", "FAN_SCHEMES",
    "SpreadConfig", "SpreadResult", "run_spread",
    "IsometryConfig", "IsometryResult", "run_isometry",
    "SweepConfig", "SweepResult", "run_lr_sweep",
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


# --------------------------------------------------------------------------- one non-square layer

def _lecun_swapped(fan_in, fan_out, *, rng):
    # the fan-in/fan-out mix-up: a (fan_out, fan_in) matrix scaled by 1/fan_out, transposed
    return initializers.lecun_normal(fan_out, fan_in, rng=rng).T


#: Initializers compared on one non-square layer: (label, function, Var(W) as a function of the fans).
FAN_SCHEMES = {
    "lecun_normal (fan-in)": (initializers.lecun_normal, lambda n_in, n_out: 1.0 / n_in),
    "fans swapped (fan-out)": (_lecun_swapped, lambda n_in, n_out: 1.0 / n_out),
    "xavier_normal": (initializers.xavier_normal, lambda n_in, n_out: 2.0 / (n_in + n_out)),
}


@dataclass(frozen=True)
class FanConfig:
    """One linear layer ``z = x @ W`` with ``fan_in`` inputs and ``fan_out`` outputs."""

    fan_in: int = 256
    fan_out: int = 64
    batch: int = 2048
    seed: int = 0


@dataclass(frozen=True)
class FanResult:
    """Std ratios across the layer for each scheme of :data:`FAN_SCHEMES`.

    ``forward`` = RMS(z) / RMS(x); ``backward`` = RMS(dL/dx) / RMS(dL/dz).
    The ``*_predicted`` values are sqrt(fan_in Var(W)) and sqrt(fan_out Var(W)).
    """

    config: FanConfig
    schemes: tuple
    forward: np.ndarray
    backward: np.ndarray
    forward_predicted: np.ndarray
    backward_predicted: np.ndarray


def _rms(a):
    return float(np.sqrt(np.mean(np.square(a))))


def run_fan(config: FanConfig) -> FanResult:
    """Measure the forward and backward std ratio of one layer under each scheme, with ``backward()``."""
    rng = np.random.default_rng(config.seed)
    fwd, bwd, fwd_p, bwd_p = [], [], [], []
    for make, var in FAN_SCHEMES.values():
        W = Tensor(make(config.fan_in, config.fan_out, rng=rng))
        x = Tensor(rng.standard_normal((config.batch, config.fan_in)), requires_grad=True)
        G = rng.standard_normal((config.batch, config.fan_out))    # plays dL/dz
        z = x @ W
        (z * G).sum().backward()                                  # so x.grad = G W^T
        fwd.append(_rms(z.data) / _rms(x.data))
        bwd.append(_rms(x.grad) / _rms(G))
        v = var(config.fan_in, config.fan_out)
        fwd_p.append(np.sqrt(config.fan_in * v))
        bwd_p.append(np.sqrt(config.fan_out * v))
    return FanResult(config=config, schemes=tuple(FAN_SCHEMES), forward=np.array(fwd),
                     backward=np.array(bwd), forward_predicted=np.array(fwd_p),
                     backward_predicted=np.array(bwd_p))


# --------------------------------------------------------------------------- spread over seeds

@dataclass(frozen=True)
class SpreadConfig:
    """Forward passes only, through ``n_seeds`` fresh networks at each width."""

    activation: str = "relu"
    init: str = "he_normal"
    depth: int = 50
    widths: tuple = (32, 64, 128, 256)
    n_seeds: int = 20
    batch: int = 16


@dataclass(frozen=True)
class SpreadResult:
    """``h_rms[w, s, l]``: RMS of $h_l$ for width ``widths[w]`` and seed ``s`` (l = 0..depth)."""

    config: SpreadConfig
    widths: np.ndarray
    h_rms: np.ndarray

    @property
    def log_ratio(self) -> np.ndarray:
        """ln(RMS(h_L) / RMS(h_0)) for every width and seed, shape (widths, seeds)."""
        return np.log(self.h_rms[:, :, -1] / self.h_rms[:, :, 0])


def run_spread(config: SpreadConfig) -> SpreadResult:
    """RMS of every hidden layer's output for many seeds and widths (no backward pass)."""
    out = np.empty((len(config.widths), config.n_seeds, config.depth + 1))
    for i, n in enumerate(config.widths):
        for s in range(config.n_seeds):
            rng = np.random.default_rng([n, s])
            model = deep_mlp(n, n, config.depth, 1, activation=config.activation,
                             init=config.init, rng=rng)
            h = rng.standard_normal((config.batch, n))
            out[i, s, 0] = _rms(h)
            for l, layer in enumerate(model.layers[:-1], start=1):   # hidden layers only
                h = model.activation(layer(Tensor(h))).data
                out[i, s, l] = _rms(h)
    return SpreadResult(config=config, widths=np.array(config.widths), h_rms=out)


# --------------------------------------------------------------------------- dynamical isometry preview

@dataclass(frozen=True)
class IsometryConfig:
    """Deep linear nets of square layers; the input-output Jacobian is the product of the weights."""

    width: int = 64
    depths: tuple = (1, 10, 50)
    inits: tuple = ("lecun_normal", "orthogonal")
    seed: int = 0


@dataclass(frozen=True)
class IsometryResult:
    """``singular_values[(init, depth)]``: descending singular values of W_1 W_2 ... W_L."""

    config: IsometryConfig
    singular_values: dict


def run_isometry(config: IsometryConfig) -> IsometryResult:
    """Singular values of the input-output Jacobian $\\partial h_L/\\partial h_0 = (W_1\\cdots W_L)^\\top$."""
    found = {}
    for init in config.inits:
        make = getattr(initializers, init)
        rng = np.random.default_rng(config.seed)
        product = np.eye(config.width)
        for L in range(1, max(config.depths) + 1):
            product = product @ make(config.width, config.width, rng=rng)
            if L in config.depths:
                found[init, L] = np.linalg.svd(product, compute_uv=False)
    return IsometryResult(config=config, singular_values=found)


# --------------------------------------------------------------------------- training, learning-rate grid

@dataclass(frozen=True)
class SweepConfig:
    """:func:`~lessonlib.experiments.profiles.run_training` for every (init, learning rate, seed)."""

    inits: tuple = ("xavier_normal", "he_normal")
    lrs: tuple = (1e-3, 1e-2, 1e-1, 1.0)
    seeds: tuple = (0, 1, 2)
    activation: str = "relu"
    depth: int = 30
    width: int = 64
    steps: int = 100
    n: int = 64


@dataclass(frozen=True)
class SweepResult:
    """``losses[i, r, s, t]``: loss before step t (nan after a divergence) for init i, rate r, seed s."""

    config: SweepConfig
    losses: np.ndarray
    first_grad: np.ndarray      # ||dL/dW_1|| before each step, same shape as losses
    diverged: np.ndarray        # (inits, lrs, seeds) booleans

    @property
    def final(self) -> np.ndarray:
        """The last recorded loss of every run (inf for a run that diverged)."""
        return np.where(self.diverged, np.inf, self.losses[..., -1])

    def best_lr_index(self) -> np.ndarray:
        """For each init, the learning rate with the lowest median final loss over the seeds."""
        return np.argmin(np.median(self.final, axis=2), axis=1)


def run_lr_sweep(config: SweepConfig) -> SweepResult:
    """Train every combination with plain full-batch SGD on the teacher task."""
    shape = (len(config.inits), len(config.lrs), len(config.seeds))
    losses = np.full(shape + (config.steps,), np.nan)
    first_grad = np.full(shape + (config.steps,), np.nan)
    diverged = np.zeros(shape, dtype=bool)
    for i, init in enumerate(config.inits):
        for r, lr in enumerate(config.lrs):
            for s, seed in enumerate(config.seeds):
                result = run_training(TrainConfig(
                    activation=config.activation, init=init, depth=config.depth, width=config.width,
                    lr=lr, steps=config.steps, task="teacher", n=config.n, seed=seed))
                losses[i, r, s] = result.losses
                first_grad[i, r, s] = result.first_grad_norms
                diverged[i, r, s] = bool(result.message)
    return SweepResult(config=config, losses=losses, first_grad=first_grad, diverged=diverged)

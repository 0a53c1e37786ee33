r"""Saturating activations and the bound of 1/4 (chapter 2).

The sigmoid's slope is at most 1/4 and tanh's at most 1, so backpropagation
through $L$ layers obeys

.. math::

    \|\partial L/\partial h_0\| \le (\max\phi')^L
        \prod_{l=1}^{L} \|W_l\|_2 \, \|\partial L/\partial h_L\| .

The runners below measure that product, the per-layer factor for a range of
weight scales, where float64 underflows, and training of deep sigmoid nets.
Each is a pure ``run_*(config) -> result`` function of a frozen dataclass.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import data, losses, ops
from ..autodiff import Tensor
from ..diagnostics import Profile, layer_profile
from .profiles import TrainResult, deep_mlp, train_loop

__all__ = ["SLOPES", "SLOPE_MAX", "slope_threshold", "large_gain_factor", "center_biases",
           "SlopeConfig", "SlopeResult", "run_slopes",
           "BoundConfig", "BoundResult", "run_bound", "GainSweepConfig", "GainSweepResult",
           "run_gain_sweep", "UnderflowConfig", "UnderflowResult", "run_underflow",
           "SigmoidTrainConfig", "run_sigmoid_training"]

#: phi'(x) of the saturating activations, accurate in the tails.
SLOPES = {"sigmoid": ops.sigmoid_slope, "tanh": ops.tanh_slope}
#: The largest slope, reached at x = 0 only: sigma'(0) = 1/4, tanh'(0) = 1.
SLOPE_MAX = {"sigmoid": 0.25, "tanh": 1.0}


def _check_activation(name, activation):
    if activation not in SLOPES:
        raise ValueError(f"{name}: activation must be one of {sorted(SLOPES)}, got {activation!r}")


def slope_threshold(activation: str, level: float) -> float:
    r"""The $|x|$ beyond which $\phi'(x) <$ ``level``, in closed form.

    For the sigmoid, $\sigma'(x) = e/(1+e)^2$ with $e = e^{-|x|}$, so
    $\sigma'(x) = c$ is the quadratic $c e^2 + (2c - 1) e + c = 0$. Its two
    roots multiply to 1; the one below 1 is $e = 2c / (1 - 2c + \sqrt{1 - 4c})$
    (written this way to avoid cancellation), and $|x| = -\ln e$.
    For tanh, $\tanh'(x) = 4\sigma'(2x)$, so its threshold for $c$ is half the
    sigmoid's threshold for $c/4$. Returns 0 when ``level`` is at least the largest
    slope (every $x \ne 0$ qualifies).
    """
    _check_activation("slope_threshold", activation)
    c = float(level)
    if not np.isfinite(c) or c <= 0:
        raise ValueError(f"slope_threshold: level must be a finite number > 0, got {level!r}")
    if activation == "tanh":
        return slope_threshold("sigmoid", c / 4.0) / 2.0
    if c >= 0.25:
        return 0.0
    e = 2.0 * c / (1.0 - 2.0 * c + np.sqrt(1.0 - 4.0 * c))
    return float(-np.log(e))


def large_gain_factor(activation: str, gain) -> np.ndarray:
    r"""Per-layer gradient factor predicted for a large weight gain $g$ (Xavier, square layers).

    With $z$ spread over a standard deviation $s \gg 1$, a fraction of order $1/s$
    of the units is unsaturated: $E[\phi'(z)^2] \approx \int \phi'(x)^2\,dx /
    (\sqrt{2\pi}\,s)$, with $\int \sigma'^2 = 1/6$ and $\int \tanh'^2 = 4/3$. The
    saturated outputs are near 0 or 1 (sigmoid: $s = g/\sqrt2$) or near $\pm1$
    (tanh: $s = g$), and the factor is $g \sqrt{E[\phi'(z)^2]}$:
    $\sqrt{g / (6\sqrt\pi)}$ for the sigmoid, $\sqrt{4g / (3\sqrt{2\pi})}$ for tanh.
    """
    _check_activation("large_gain_factor", activation)
    g = np.asarray(gain, dtype=float)
    if activation == "sigmoid":
        return np.sqrt(g / (6.0 * np.sqrt(np.pi)))
    return np.sqrt(4.0 * g / (3.0 * np.sqrt(2.0 * np.pi)))


def center_biases(model):
    r"""Set $b_l = -\tfrac12 \mathbf 1^\top W_l$ for every layer after the first; returns the model.

    A sigmoid output $h$ has mean about 1/2; with these biases layer $l$ computes
    $(h_{l-1} - \tfrac12) W_l$, so its pre-activations are centred at 0 where the
    slope is largest. (With $W_l = 4V_l$ the sigmoid layer is then a tanh layer with
    weights $V_l$ in disguise: $\sigma(x) = (1 + \tanh(x/2))/2$.)
    """
    for layer in model.layers[1:]:
        layer.b.data[...] = -0.5 * layer.W.data.sum(axis=0)
    return model


# --- the activations and their slopes ---------------------------------------------------
@dataclass(frozen=True)
class SlopeConfig:
    """A grid of ``n`` points on [-x_max, x_max] and the slope ``level`` that counts as saturated."""

    x_max: float = 10.0
    n: int = 2001
    level: float = 0.01


@dataclass(frozen=True)
class SlopeResult:
    """``values[name]`` = phi(x); ``slopes[name]`` = phi'(x) as computed by ``backward()``;
    ``thresholds[name]`` = the ``|x|`` beyond which phi'(x) < level (closed form)."""

    config: SlopeConfig
    x: np.ndarray
    values: dict
    slopes: dict
    thresholds: dict


def run_slopes(config: SlopeConfig) -> SlopeResult:
    """The sigmoid and tanh on a grid, their slopes from the engine, and their thresholds."""
    x = np.linspace(-config.x_max, config.x_max, config.n)
    values, slopes = {}, {}
    for name, fun in (("sigmoid", ops.sigmoid), ("tanh", ops.tanh)):
        t = Tensor(x, requires_grad=True)
        out = fun(t)
        out.sum().backward()             # d(sum phi(x_i))/dx_i = phi'(x_i)
        values[name], slopes[name] = out.data, t.grad
    thresholds = {name: slope_threshold(name, config.level) for name in SLOPES}
    return SlopeResult(config=config, x=x, values=values, slopes=slopes, thresholds=thresholds)


# --- the bound, measured -------------------------------------------------------------
@dataclass(frozen=True)
class BoundConfig:
    """One forward and backward pass, as in :class:`~lessonlib.experiments.profiles.ProfileConfig`.

    The model, input and loss are built exactly as by ``run_profile`` with the same
    settings (the same random draws), with ``center=True`` adding :func:`center_biases`.
    """

    activation: str = "sigmoid"
    init: str = "xavier_normal"
    depth: int = 20
    width: int = 64
    gain: float = 1.0
    center: bool = False
    batch: int = 128
    seed: int = 0


@dataclass(frozen=True)
class BoundResult:
    r"""Gradient norms of the hidden layers $l = 0..L$ and the bounds on them.

    ``grad_norm[l]`` is $\|\partial L/\partial h_l\|$ (Frobenius over the batch);
    ``bound[l]`` $= \|\partial L/\partial h_L\| \prod_{k>l} \phi'_{\max} \|W_k\|_2$;
    ``typical[l]`` $= \|\partial L/\partial h_L\| \prod_{k>l} \mathrm{rms}(\phi'(z_k))
    \|W_k\|_F/\sqrt{n}$ is the size expected for a random direction, not a bound.
    """

    config: BoundConfig
    profile: Profile
    grad_norm: np.ndarray        # l = 0..L
    spectral: np.ndarray         # ||W_l||_2, l = 1..L
    frobenius: np.ndarray        # ||W_l||_F, l = 1..L
    max_slope: np.ndarray        # max phi'(z_l) over the batch, l = 1..L
    rms_slope: np.ndarray        # sqrt(mean phi'(z_l)^2), l = 1..L
    bound: np.ndarray
    typical: np.ndarray
    message: str = ""

    @property
    def layers(self) -> np.ndarray:
        return np.arange(self.config.depth + 1)

    def rate(self, name: str = "grad_norm") -> float:
        """Per-layer factor of a column: (value at l=0 / value at l=L) ** (1/L), a geometric mean."""
        values = getattr(self, name)
        return float((values[0] / values[-1]) ** (1.0 / self.config.depth))


def _fresh_net(c, activation=None, gain=None, seed=None):
    """The model, input batch and loss of ``run_profile`` for settings ``c`` (same random draws)."""
    activation = c.activation if activation is None else activation
    _check_activation("saturation experiments", activation)
    rng = np.random.default_rng(c.seed if seed is None else seed)
    model = deep_mlp(c.width, c.width, c.depth, c.width, activation=activation, init=c.init,
                     rng=rng, gain=c.gain if gain is None else gain)
    x = rng.standard_normal((c.batch, c.width))
    G = rng.standard_normal((c.batch, c.width))
    return model, x, lambda out: (out * G).sum() / c.batch


def _suffix_products(factors):
    """[prod(factors[l:]) for l = 0..len(factors)], the last being 1."""
    return np.append(np.cumprod(factors[::-1])[::-1], 1.0)


def run_bound(config: BoundConfig) -> BoundResult:
    """Measure ||dL/dh_l|| through ``depth`` saturating layers and the bounds of chapter 2."""
    if config.center and config.activation != "sigmoid":
        raise ValueError("run_bound: center=True shifts sigmoid outputs by 1/2; use it with 'sigmoid'")
    model, x, loss = _fresh_net(config)
    if config.center:
        center_biases(model)
    profile = layer_profile(model, x, loss)
    zs = []                                        # the same forward pass again, for phi'(z_l)
    slope = SLOPES[config.activation]
    hidden = model.layers[:config.depth]
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):   # overflow -> message
        model(Tensor(x), hook=lambda l, z, h: zs.append(z.data))
        spectral = np.array([np.linalg.norm(layer.W.data, 2) for layer in hidden])
        frobenius = np.array([np.linalg.norm(layer.W.data) for layer in hidden])
        slopes = [slope(z) for z in zs[:config.depth]]
        max_slope = np.array([s.max() for s in slopes])
        rms_slope = np.array([np.sqrt(np.mean(s * s)) for s in slopes])
        grad_norm = profile["grad_h_norm"][:config.depth + 1]
        top = grad_norm[-1]
        bound = top * _suffix_products(SLOPE_MAX[config.activation] * spectral)
        typical = top * _suffix_products(rms_slope * frobenius / np.sqrt(config.width))
    message = "" if profile.finite and np.all(np.isfinite(bound)) else (
        "overflow: the gradients or the bound exceeded the float64 range "
        f"(about 1.8e308) with gain {config.gain} and depth {config.depth}")
    return BoundResult(
        config=config, profile=profile, grad_norm=grad_norm, spectral=spectral,
        frobenius=frobenius, max_slope=max_slope, rms_slope=rms_slope, bound=bound,
        typical=typical, message=message)


# --- the per-layer factor against the weight scale ---------------------------------------
@dataclass(frozen=True)
class GainSweepConfig:
    """Per-layer gradient factors of fresh nets for several gains, activations and seeds."""

    activations: tuple = ("sigmoid", "tanh")
    gains: tuple = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
    init: str = "xavier_normal"
    depth: int = 20
    width: int = 64
    batch: int = 64
    seeds: tuple = (0, 1, 2)


@dataclass(frozen=True)
class GainSweepResult:
    """Arrays of shape (activations, gains, seeds)."""

    config: GainSweepConfig
    factor: np.ndarray       # (||dL/dh_0|| / ||dL/dh_L||) ** (1/L)
    saturated: np.ndarray    # mean over hidden layers of the saturated fraction
    message: str = ""

    def __getitem__(self, activation):
        """``result["tanh"]`` -> (factor, saturated) for that activation, shape (gains, seeds)."""
        i = list(self.config.activations).index(activation)
        return self.factor[i], self.saturated[i]


def run_gain_sweep(config: GainSweepConfig) -> GainSweepResult:
    """Run :func:`run_bound`-style passes for every (activation, gain, seed)."""
    shape = (len(config.activations), len(config.gains), len(config.seeds))
    factor, saturated = np.full(shape, np.nan), np.full(shape, np.nan)
    messages = []
    for i, activation in enumerate(config.activations):
        for j, gain in enumerate(config.gains):
            for k, seed in enumerate(config.seeds):
                profile = layer_profile(*_fresh_net(config, activation, gain, seed))
                g = profile["grad_h_norm"]
                with np.errstate(all="ignore"):
                    factor[i, j, k] = (g[0] / g[config.depth]) ** (1.0 / config.depth)
                saturated[i, j, k] = np.mean(profile["saturated"][1:config.depth + 1])
                if not (np.isfinite(factor[i, j, k]) and factor[i, j, k] > 0):
                    messages.append(f"{activation}, gain {gain}, seed {seed}: gradient not finite/positive")
    return GainSweepResult(config=config, factor=factor, saturated=saturated,
                           message="; ".join(messages))


# --- underflow ----------------------------------------------------------------------
@dataclass(frozen=True)
class UnderflowConfig:
    """A very deep sigmoid (or tanh) net, backpropagated once, to watch float64 run out."""

    activation: str = "sigmoid"
    init: str = "xavier_normal"
    depth: int = 700
    width: int = 64
    gain: float = 1.0
    batch: int = 16
    seed: int = 0


@dataclass(frozen=True)
class UnderflowResult:
    r"""Per hidden layer $l = 0..L$: the largest $|\partial L/\partial h_l|$ entry,
    the fraction of entries that are exactly 0, and ``np.linalg.norm`` of the gradient."""

    config: UnderflowConfig
    max_abs: np.ndarray
    zero_fraction: np.ndarray
    norm: np.ndarray

    @property
    def layers_below_top(self) -> np.ndarray:
        """How many layers each gradient has crossed: L - l."""
        return self.config.depth - np.arange(self.config.depth + 1)

    def first_zero(self, name: str = "max_abs"):
        """The fewest layers below the top at which ``name`` is exactly 0 (None if never)."""
        below = self.layers_below_top[getattr(self, name) == 0]
        return int(below.min()) if below.size else None


def run_underflow(config: UnderflowConfig) -> UnderflowResult:
    """Backpropagate through ``depth`` layers and record where the gradient becomes exactly 0."""
    model, x, loss = _fresh_net(config)
    hs = [Tensor(x, requires_grad=True)]
    with np.errstate(under="ignore"):
        loss(model(hs[0], hook=lambda l, z, h: hs.append(h))).backward()
        grads = [h.grad for h in hs[:config.depth + 1]]
        return UnderflowResult(
            config=config,
            max_abs=np.array([np.abs(g).max() for g in grads]),
            zero_fraction=np.array([np.mean(g == 0) for g in grads]),
            norm=np.array([np.linalg.norm(g) for g in grads]))


# --- training deep sigmoid nets ---------------------------------------------------------
@dataclass(frozen=True)
class SigmoidTrainConfig:
    """Full-batch SGD on teacher regression (16 inputs, targets of variance 1) with a deep sigmoid MLP.

    Hidden layers are ``xavier_normal`` times ``gain``; the one-unit readout is
    ``xavier_normal`` with gain 1 whatever ``gain`` is, so that every net starts
    from outputs of similar size. ``center=True`` applies :func:`center_biases`.
    """

    depth: int = 12
    width: int = 32
    gain: float = 1.0
    center: bool = False
    lr: float = 0.03
    steps: int = 200
    n: int = 64
    seed: int = 0


def run_sigmoid_training(config: SigmoidTrainConfig) -> TrainResult:
    """Train with :func:`~lessonlib.experiments.profiles.train_loop`; a divergence is a message."""
    if not (np.isfinite(config.gain) and config.gain > 0):
        raise ValueError(f"run_sigmoid_training: gain must be a finite number > 0, got {config.gain!r}")
    rng = np.random.default_rng(config.seed)
    X, y = data.teacher_regression(config.n, 16, rng=rng)
    model = deep_mlp(16, config.width, config.depth, 1, activation="sigmoid",
                     init="xavier_normal", rng=rng, gain=config.gain)
    model.layers[-1].W.data /= config.gain          # the readout at gain 1
    if config.center:
        center_biases(model)
    return train_loop(model, X, y, loss_fn=losses.mse, lr=config.lr, steps=config.steps,
                      config=config)

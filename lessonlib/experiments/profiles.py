r"""Experiments on deep MLPs shared by several chapters: gradient profiles and training runs.

Every runner is a pure function ``run_*(config) -> result``: the config is a
frozen dataclass holding every setting including the seed, and the result is
a frozen dataclass holding the numbers (and a ``message`` when something
overflowed), so that a chapter, a widget and a test all call the same code.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import data, losses, nn
from .. import init as initializers
from ..autodiff import Tensor
from ..diagnostics import Profile, layer_profile

__all__ = ["ProfileConfig", "ProfileResult", "run_profile", "TrainConfig", "TrainResult",
           "run_training", "train_loop", "deep_mlp"]


def deep_mlp(n_in, width, depth, n_out, *, activation, init, rng, gain=1.0):
    """An MLP with ``depth`` hidden layers of ``width`` units; weights scaled by ``gain``."""
    if int(depth) < 1 or int(width) < 1:
        raise ValueError(f"deep_mlp: depth and width must be at least 1, got {depth} and {width}")
    if isinstance(init, str) and init not in initializers.__all__:
        raise ValueError(f"deep_mlp: unknown init {init!r}; choose one of {initializers.__all__}")
    make = getattr(initializers, init) if isinstance(init, str) else init
    scaled = lambda fan_in, fan_out, *, rng: make(fan_in, fan_out, rng=rng, gain=gain)
    return nn.MLP([n_in] + [width] * depth + [n_out], activation=activation, init=scaled, rng=rng)


@dataclass(frozen=True)
class ProfileConfig:
    """One forward and backward pass through a freshly initialized deep MLP.

    The input has ``width`` standard-normal features, the output ``width``
    units, and the loss is $L = \\frac1N \\sum_{n,i} h_{L,ni} G_{ni}$ with a
    fixed standard-normal $G$: every entry of $\\partial L/\\partial h_L$ then
    has the same size, $1/N$, so the profile shows what the layers do to it.
    """

    activation: str = "tanh"
    init: str = "xavier_normal"
    depth: int = 10
    width: int = 64
    gain: float = 1.0
    batch: int = 128
    seed: int = 0


@dataclass(frozen=True)
class ProfileResult:
    config: ProfileConfig
    profile: Profile
    message: str = ""          # non-empty when a value overflowed or became nan

    def __getitem__(self, name):
        return self.profile[name]


def run_profile(config: ProfileConfig) -> ProfileResult:
    """Per-layer activation and gradient statistics of one deep MLP at initialization."""
    rng = np.random.default_rng(config.seed)
    model = deep_mlp(config.width, config.width, config.depth, config.width,
                     activation=config.activation, init=config.init, rng=rng, gain=config.gain)
    x = rng.standard_normal((config.batch, config.width))
    G = rng.standard_normal((config.batch, config.width))
    profile = layer_profile(model, x, lambda out: (out * G).sum() / config.batch)
    message = "" if profile.finite else (
        "overflow: some activations or gradients exceeded the float64 range "
        f"(about 1.8e308) with gain {config.gain} and depth {config.depth}")
    return ProfileResult(config=config, profile=profile, message=message)


@dataclass(frozen=True)
class TrainConfig:
    """Full-batch SGD on a small synthetic task.

    ``task`` is ``"teacher"`` (regression on :func:`lessonlib.data.teacher_regression`
    targets of variance 1, MSE loss) or ``"spirals"`` (3-class spirals,
    cross-entropy loss).
    """

    activation: str = "relu"
    init: str = "he_normal"
    depth: int = 10
    width: int = 64
    gain: float = 1.0
    lr: float = 1e-2
    steps: int = 300
    task: str = "teacher"
    n: int = 256
    seed: int = 0


@dataclass(frozen=True)
class TrainResult:
    config: object
    losses: np.ndarray               # loss before each step (nan after divergence)
    first_grad_norms: np.ndarray     # ||dL/dW_1|| before each step
    last_grad_norms: np.ndarray      # ||dL/dW_L|| before each step
    message: str = ""                # non-empty if training diverged

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])


def _task(config, rng):
    if config.task == "teacher":
        X, y = data.teacher_regression(config.n, 16, rng=rng)
        return X, y, 1, losses.mse
    if config.task == "spirals":
        X, y = data.spirals(config.n // 3, 3, rng=rng)
        return X, y, 3, losses.cross_entropy
    raise ValueError(f"TrainConfig: unknown task {config.task!r}; use 'teacher' or 'spirals'")


def run_training(config: TrainConfig) -> TrainResult:
    """Train a deep MLP with plain full-batch SGD and record the loss and gradient sizes."""
    rng = np.random.default_rng(config.seed)
    X, y, n_out, loss_fn = _task(config, rng)
    model = deep_mlp(X.shape[1], config.width, config.depth, n_out,
                     activation=config.activation, init=config.init, rng=rng, gain=config.gain)
    return train_loop(model, X, y, loss_fn=loss_fn, lr=config.lr, steps=config.steps, config=config)


def train_loop(model, X, y, *, loss_fn, lr, steps, config=None) -> TrainResult:
    """Full-batch gradient descent; stops early (and says so) if the loss becomes non-finite.

    ``model.layers[0].W`` and ``model.layers[-1].W`` are the first and last
    weight matrices whose gradient norms are recorded.
    """
    opt = nn.SGD(model.parameters(), lr=lr)
    first, last = model.layers[0].W, model.layers[-1].W
    record = np.full((3, steps), np.nan)
    message = ""
    x = Tensor(X)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for step in range(steps):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            if not np.isfinite(loss.item()):
                message = f"diverged: the loss became {loss.item()} at step {step} (learning rate {lr})"
                break
            loss.backward()
            record[:, step] = (loss.item(), np.linalg.norm(first.grad), np.linalg.norm(last.grad))
            opt.step()
    return TrainResult(config=config, losses=record[0], first_grad_norms=record[1],
                       last_grad_norms=record[2], message=message)

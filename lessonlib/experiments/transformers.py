r"""Experiments on Transformers (chapter 8): gradients at initialization and training with
and without warm-up, and the runner of the chapter's widget.

The task is *reversing* a sequence: ``seq_len`` tokens drawn uniformly from ``vocab``
symbols, one-hot encoded; the target at position $t$ is the token at position
$T - 1 - t$. No position can be solved from its own token, so the network must attend.
Guessing gives a cross-entropy of $\ln K$ (:data:`baseline`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import losses
from ..attention import Transformer
from ..autodiff import Tensor
from ..checks import one_of
from ..optim import Adam
from ..training import train

__all__ = ["reverse_batch", "baseline", "ModelConfig", "InitGradConfig", "InitGradResult", "run_init_grads",
           "TrainConfig", "TrainResult", "run_training", "ExplorerConfig", "ExplorerResult", "run_explorer",
           "explorer_init"]


def reverse_batch(batch, seq_len, vocab, *, rng):
    """One-hot inputs (batch, seq_len, vocab) and labels (batch, seq_len): each sequence reversed."""
    tokens = rng.integers(0, vocab, size=(batch, seq_len))
    return np.eye(vocab)[tokens], tokens[:, ::-1].copy()


def baseline(vocab) -> float:
    r"""The cross-entropy of guessing uniformly: $\ln K$."""
    return float(np.log(vocab))


@dataclass(frozen=True)
class ModelConfig:
    """A fresh :class:`~lessonlib.attention.Transformer` on batches of the reversal task:
    LayerNorm ``arrangement`` ("pre" or "post"), ``n_blocks``, width ``d``, ``seq_len``
    tokens of ``vocab`` symbols, ``batch`` sequences, attention ``logit_scale``, ``seed``."""
    arrangement: str = "post"
    n_blocks: int = 8
    d: int = 16
    seq_len: int = 6
    vocab: int = 6
    batch: int = 32
    logit_scale: float = 1.0
    seed: int = 0


def _model(cfg, rng):
    return Transformer(cfg.vocab, cfg.d, cfg.vocab, cfg.n_blocks, max_len=cfg.seq_len, rng=rng,
                       arrangement=cfg.arrangement, logit_scale=cfg.logit_scale)


def _loss(model, x, labels, hook=None):
    logits = model(Tensor(x), hook=hook)
    return losses.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))


def _grad_norm(params) -> float:
    return float(np.sqrt(sum(float(np.sum(p.grad ** 2)) for p in params)))


@dataclass(frozen=True)
class InitGradConfig(ModelConfig):
    """One backward pass of a fresh network (the fields of :class:`ModelConfig`)."""


@dataclass
class InitGradResult:
    """One backward pass at initialization; shapes in the comments (L = ``n_blocks``)."""

    config: InitGradConfig
    block_grad: np.ndarray      # (L,) gradient norm over each block's parameters
    stream_rms: np.ndarray      # (L + 1,) rms of the residual stream after block l (0: input)
    readout_grad: float         # gradient norm of the readout weight
    loss: float


def run_init_grads(cfg: InitGradConfig) -> InitGradResult:
    """One backward pass of a fresh network on one batch of the reversal task."""
    rng = np.random.default_rng(cfg.seed)
    model = _model(cfg, rng)
    x, labels = reverse_batch(cfg.batch, cfg.seq_len, cfg.vocab, rng=rng)
    rms = []
    loss = _loss(model, x, labels, hook=lambda l, h: rms.append(float(np.sqrt(np.mean(h.data ** 2)))))
    loss.backward()
    grads = [_grad_norm(b.parameters()) for b in model.blocks]
    return InitGradResult(cfg, np.array(grads), np.array(rms),
                          float(np.linalg.norm(model.readout.W.grad)), loss.item())


@dataclass(frozen=True)
class TrainConfig(ModelConfig):
    """:class:`ModelConfig` trained by Adam for ``steps`` steps at learning rate ``lr``,
    with a linear warm-up over ``warmup`` steps (0: none)."""
    arrangement: str = "pre"
    n_blocks: int = 4
    lr: float = 1e-2
    warmup: int = 0
    steps: int = 150


@dataclass
class TrainResult:
    """A run of :func:`run_training`: per-step arrays of shape (steps,), nan after a divergence
    or an early stop, and the per-token accuracy on a fresh batch of 256."""

    config: TrainConfig
    losses: np.ndarray                                    # per step (nan after a divergence)
    first_block_grad: np.ndarray = field(repr=False)      # per step, block 1's gradient norm
    last_block_grad: np.ndarray = field(repr=False)       # per step, block L's gradient norm
    accuracy: float = float("nan")                        # per token, on a fresh batch of 256

    def final_loss(self, last=20) -> float:
        """Mean loss over the last ``last`` steps (inf if the run diverged)."""
        tail = self.losses[-last:]
        return float(np.mean(tail)) if np.isfinite(tail).all() else float("inf")


def run_training(cfg: TrainConfig, *, stop=None) -> TrainResult:
    """Adam on fresh batches of the reversal task; learning rate ``lr * min(1, (t+1)/warmup)``.

    ``stop``: a function of no argument, asked before every step; when it returns True the
    run ends there (the widget stops a run that a newer setting made obsolete).
    """
    rng = np.random.default_rng(cfg.seed)
    model = _model(cfg, rng)
    first, last = model.blocks[0].parameters(), model.blocks[-1].parameters()

    def loss_of(step):                      # a fresh batch every step
        x, labels = reverse_batch(cfg.batch, cfg.seq_len, cfg.vocab, rng=rng)
        return _loss(model, x, labels)

    warm_up = (lambda step: cfg.lr * min(1.0, (step + 1) / cfg.warmup)) if cfg.warmup else None
    run = train(loss_of, Adam(model.parameters(), lr=cfg.lr), cfg.steps, lr_at=warm_up, stop=stop,
                watch={"first": lambda: _grad_norm(first), "last": lambda: _grad_norm(last)})
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        x, labels = reverse_batch(256, cfg.seq_len, cfg.vocab, rng=rng)
        accuracy = float(np.mean(model(Tensor(x)).data.argmax(-1) == labels))
    return TrainResult(cfg, run.losses, run.watched["first"], run.watched["last"], accuracy)


@dataclass(frozen=True)
class ExplorerConfig(TrainConfig):
    """The widget's settings: a :class:`TrainConfig` of 40 steps, batch 16, Post-LN, 8 blocks."""
    arrangement: str = "post"
    n_blocks: int = 8
    batch: int = 16
    steps: int = 40


@dataclass
class ExplorerResult:
    """``init``: arrangement -> :class:`InitGradResult` (both); ``train``: :class:`TrainResult`."""

    config: ExplorerConfig
    init: dict          # arrangement -> InitGradResult (both arrangements, for comparison)
    train: TrainResult


def explorer_init(cfg: ExplorerConfig, arrangement: str) -> InitGradResult:
    """Per-block gradient norms at initialization of ``arrangement`` with ``cfg``'s other
    model settings (one backward pass)."""
    shared = {name: getattr(cfg, name) for name in ModelConfig.__dataclass_fields__}
    return run_init_grads(InitGradConfig(**{**shared, "arrangement": arrangement}))


def run_explorer(cfg: ExplorerConfig) -> ExplorerResult:
    """Per-block gradient norms at initialization (both arrangements) and ``steps`` training
    steps of ``cfg.arrangement``: a pure function of ``cfg``."""
    one_of("run_explorer", "arrangement", cfg.arrangement, ("pre", "post"))
    return ExplorerResult(cfg, {arr: explorer_init(cfg, arr) for arr in ("post", "pre")}, run_training(cfg))

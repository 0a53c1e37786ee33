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
    opt = Adam(model.parameters(), lr=cfg.lr)
    record = np.full((3, cfg.steps), np.nan)
    first, last = model.blocks[0].parameters(), model.blocks[-1].parameters()
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for step in range(cfg.steps):
            if stop is not None and stop():
                break
            opt.lr = cfg.lr * min(1.0, (step + 1) / cfg.warmup) if cfg.warmup else cfg.lr
            x, labels = reverse_batch(cfg.batch, cfg.seq_len, cfg.vocab, rng=rng)
            opt.zero_grad()
            loss = _loss(model, x, labels)
            if not np.isfinite(loss.item()):
                break
            loss.backward()
            record[:, step] = loss.item(), _grad_norm(first), _grad_norm(last)
            opt.step()
        x, labels = reverse_batch(256, cfg.seq_len, cfg.vocab, rng=rng)
        logits = model(Tensor(x)).data
        accuracy = float(np.mean(logits.argmax(-1) == labels))
    return TrainResult(cfg, record[0], record[1], record[2], accuracy)


@dataclass(frozen=True)
class ExplorerConfig(TrainConfig):
    """The widget's settings: a :class:`TrainConfig` of 40 steps, batch 16, Post-LN, 8 blocks."""
    arrangement: str = "post"
    n_blocks: int = 8
    batch: int = 16
    steps: int = 40


@dataclass
class ExplorerResult:
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

r"""Experiments on Transformers (chapter 8): gradients at initialization, training with and
without warm-up, and rank collapse of attention without residuals.

The task is *reversing* a sequence: ``seq_len`` tokens drawn uniformly from ``vocab``
symbols, one-hot encoded; the target at position $t$ is the token at position
$T - 1 - t$. No position can be solved from its own token, so the network must attend.
Guessing gives a cross-entropy of $\ln K$ (:data:`baseline`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import losses
from ..attention import SelfAttention, Transformer
from ..autodiff import Tensor
from ..optim import Adam

__all__ = ["reverse_batch", "baseline", "InitGradConfig", "InitGradResult", "run_init_grads",
           "TrainConfig", "TrainResult", "run_training", "RankConfig", "RankResult",
           "relative_residual", "run_rank_collapse", "ExplorerConfig", "ExplorerResult", "run_explorer",
           "explorer_init", "explorer_train"]


def reverse_batch(batch, seq_len, vocab, *, rng):
    """One-hot inputs (batch, seq_len, vocab) and labels (batch, seq_len): each sequence reversed."""
    tokens = rng.integers(0, vocab, size=(batch, seq_len))
    return np.eye(vocab)[tokens], tokens[:, ::-1].copy()


def baseline(vocab) -> float:
    r"""The cross-entropy of guessing uniformly: $\ln K$."""
    return float(np.log(vocab))


def _model(cfg, rng):
    return Transformer(cfg.vocab, cfg.d, cfg.vocab, cfg.n_blocks, max_len=cfg.seq_len, rng=rng,
                       arrangement=cfg.arrangement, logit_scale=cfg.logit_scale)


def _loss(model, x, labels, hook=None):
    logits = model(Tensor(x), hook=hook)
    return losses.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))


@dataclass(frozen=True)
class InitGradConfig:
    arrangement: str = "post"
    n_blocks: int = 8
    d: int = 16
    seq_len: int = 6
    vocab: int = 6
    batch: int = 32
    logit_scale: float = 1.0
    seed: int = 0


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
    grads = [np.sqrt(sum(float(np.sum(p.grad ** 2)) for p in b.parameters())) for b in model.blocks]
    return InitGradResult(cfg, np.array(grads), np.array(rms),
                          float(np.linalg.norm(model.readout.W.grad)), loss.item())


@dataclass(frozen=True)
class TrainConfig:
    arrangement: str = "pre"
    n_blocks: int = 4
    lr: float = 1e-2
    warmup: int = 0             # linear warm-up over this many steps (0: none)
    steps: int = 150
    d: int = 16
    seq_len: int = 6
    vocab: int = 6
    batch: int = 32
    logit_scale: float = 1.0
    seed: int = 0


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


def run_training(cfg: TrainConfig) -> TrainResult:
    """Adam on fresh batches of the reversal task; learning rate ``lr * min(1, (t+1)/warmup)``."""
    rng = np.random.default_rng(cfg.seed)
    model = _model(cfg, rng)
    opt = Adam(model.parameters(), lr=cfg.lr)
    record = np.full((3, cfg.steps), np.nan)
    first, last = model.blocks[0].parameters(), model.blocks[-1].parameters()
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for step in range(cfg.steps):
            opt.lr = cfg.lr * min(1.0, (step + 1) / cfg.warmup) if cfg.warmup else cfg.lr
            x, labels = reverse_batch(cfg.batch, cfg.seq_len, cfg.vocab, rng=rng)
            opt.zero_grad()
            loss = _loss(model, x, labels)
            if not np.isfinite(loss.item()):
                break
            loss.backward()
            record[:, step] = (loss.item(),
                               np.sqrt(sum(float(np.sum(p.grad ** 2)) for p in first)),
                               np.sqrt(sum(float(np.sum(p.grad ** 2)) for p in last)))
            opt.step()
        x, labels = reverse_batch(256, cfg.seq_len, cfg.vocab, rng=rng)
        logits = model(Tensor(x)).data
        accuracy = float(np.mean(logits.argmax(-1) == labels))
    return TrainResult(cfg, record[0], record[1], record[2], accuracy)


def relative_residual(h) -> np.ndarray:
    r"""$\|X - \mathbf 1 \bar x^\top\|_F / \|X\|_F$ per sequence: 0 when every token is the same vector."""
    h = np.asarray(h)
    centred = h - h.mean(axis=-2, keepdims=True)
    return np.linalg.norm(centred, axis=(-2, -1)) / np.linalg.norm(h, axis=(-2, -1))


@dataclass(frozen=True)
class RankConfig:
    n_layers: int = 12
    residual: bool = False
    d: int = 32
    seq_len: int = 16
    batch: int = 8
    seed: int = 0


@dataclass
class RankResult:
    config: RankConfig
    residual_ratio: np.ndarray     # (n_layers + 1, batch): relative_residual after each layer


def run_rank_collapse(cfg: RankConfig) -> RankResult:
    """Stack ``n_layers`` single-head self-attention layers (no MLP, no LayerNorm), with or
    without the identity path, on Gaussian tokens; record how far the tokens are from equal."""
    rng = np.random.default_rng(cfg.seed)
    layers = [SelfAttention(cfg.d, rng=rng) for _ in range(cfg.n_layers)]
    h = Tensor(rng.standard_normal((cfg.batch, cfg.seq_len, cfg.d)))
    ratios = [relative_residual(h.data)]
    for layer in layers:
        h = h + layer(h) if cfg.residual else layer(h)
        ratios.append(relative_residual(h.data))
    return RankResult(cfg, np.array(ratios))


@dataclass(frozen=True)
class ExplorerConfig:
    """The widget's settings: one network, its gradients at initialization and a short run."""
    arrangement: str = "post"
    n_blocks: int = 8
    logit_scale: float = 1.0
    lr: float = 1e-2
    warmup: int = 0
    steps: int = 40
    seed: int = 0


@dataclass
class ExplorerResult:
    config: ExplorerConfig
    init: dict          # arrangement -> InitGradResult (both arrangements, for comparison)
    train: TrainResult


def explorer_init(cfg: ExplorerConfig) -> dict:
    """Per-block gradient norms at initialization of both arrangements at ``cfg``'s depth and
    logit scale: arrangement -> :class:`InitGradResult` (one backward pass each, batch 16)."""
    return {arr: run_init_grads(InitGradConfig(arrangement=arr, n_blocks=cfg.n_blocks,
                                               logit_scale=cfg.logit_scale, batch=16, seed=cfg.seed))
            for arr in ("post", "pre")}


def explorer_train(cfg: ExplorerConfig) -> TrainResult:
    """``cfg.steps`` Adam steps of ``cfg.arrangement`` (batch 16): the expensive part of the explorer."""
    return run_training(TrainConfig(arrangement=cfg.arrangement, n_blocks=cfg.n_blocks, lr=cfg.lr,
                                    warmup=cfg.warmup, steps=cfg.steps, batch=16,
                                    logit_scale=cfg.logit_scale, seed=cfg.seed))


def run_explorer(cfg: ExplorerConfig) -> ExplorerResult:
    """Per-block gradient norms at initialization (both arrangements) and ``steps`` training
    steps of ``cfg.arrangement``: a pure function of ``cfg``."""
    if cfg.arrangement not in ("pre", "post"):
        raise ValueError(f"run_explorer: arrangement must be 'pre' or 'post', got {cfg.arrangement!r}")
    return ExplorerResult(cfg, explorer_init(cfg), explorer_train(cfg))

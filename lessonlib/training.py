r"""The training loop: forward, ``backward()``, look, step; stop and say so when the loss is not finite.

Every chapter that trains uses this one loop, :func:`train` (chapters 2-4 through
:func:`train_loop`, full-batch gradient descent on an MLP; chapter 4's dying units;
chapter 8's Transformers), or writes the same four lines out on the page:

.. code-block:: python

    optimizer.zero_grad()
    loss = loss_of(step)          # the forward pass on this step's batch
    loss.backward()
    optimizer.step()
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .autodiff import Tensor
from .checks import positive_int
from .optim import SGD

__all__ = ["History", "train", "TrainResult", "train_loop"]


@dataclass(frozen=True)
class History:
    """What :func:`train` saw, one entry per step.

    ``losses`` has shape (steps,): the loss before each step, nan from a step whose
    loss was not finite onwards. ``watched[name]`` has shape (steps, ...): what
    ``watch[name]()`` returned after that step's ``backward()`` (nan where it was
    not reached). ``stopped`` is the step at which training stopped early (or
    ``steps``), and ``message`` says why ("" when it did not).
    """

    losses: np.ndarray
    watched: dict
    stopped: int
    message: str = ""


def train(loss_of, optimizer, steps, *, watch=None, lr_at=None, stop=None) -> History:
    r"""Run ``steps`` steps of ``optimizer`` on the scalar loss ``loss_of(step)``.

    ``watch``: a dict name -> function of no argument, called after each
    ``backward()`` and before the step (read gradients there); ``lr_at(step)``: the
    learning rate of each step (a schedule such as warm-up), if given; ``stop()``, asked
    before every step, ends the run early when it returns True (``message`` stays ""). Overflow
    warnings are silenced while training: a non-finite loss stops the loop and is
    reported in ``History.message``, never hidden.
    """
    steps = positive_int("train", "steps", steps, minimum=0)
    watch = watch or {}
    losses, seen = np.full(steps, np.nan), {name: [] for name in watch}
    message, stopped = "", steps
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        for step in range(steps):
            if stop is not None and stop():
                stopped = step
                break
            if lr_at is not None:
                optimizer.lr = lr_at(step)
            optimizer.zero_grad()
            loss = loss_of(step)
            value = loss.item()
            if not np.isfinite(value):
                message = f"diverged: the loss became {value} at step {step} (learning rate {optimizer.lr:g})"
                stopped = step
                break
            loss.backward()
            losses[step] = value
            for name, read in watch.items():
                seen[name].append(np.asarray(read(), dtype=float))
            optimizer.step()
    watched = {}
    for name, rows in seen.items():
        shape = rows[0].shape if rows else ()
        table = np.full((steps,) + shape, np.nan)
        table[:len(rows)] = rows
        watched[name] = table
    return History(losses=losses, watched=watched, stopped=stopped, message=message)


@dataclass(frozen=True)
class TrainResult:
    """A full-batch run of :func:`train_loop`; every array has shape (steps,), nan after a divergence."""

    losses: np.ndarray               # loss before each step
    first_grad_norms: np.ndarray     # ||dL/dW_1|| before each step
    last_grad_norms: np.ndarray      # ||dL/dW_L|| before each step
    message: str = ""                # non-empty if training diverged

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])


def train_loop(model, X, y, *, loss_fn, lr, steps) -> TrainResult:
    """Full-batch gradient descent (SGD on the whole data set) with :func:`train`.

    Records the norms of the gradients of the first and last weight matrices,
    ``model.layers[0].W`` and ``model.layers[-1].W``.
    """
    x, first, last = Tensor(X), model.layers[0].W, model.layers[-1].W
    run = train(lambda step: loss_fn(model(x), y), SGD(model.parameters(), lr=lr), steps,
                watch={"first": lambda: np.linalg.norm(first.grad), "last": lambda: np.linalg.norm(last.grad)})
    return TrainResult(losses=run.losses, first_grad_norms=run.watched["first"],
                       last_grad_norms=run.watched["last"], message=run.message)

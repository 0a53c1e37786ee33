r"""``diagnose()``: name the reason a network will not train (chapter 9).

``diagnose(model, X, y)`` deep-copies the model, runs one forward and backward
pass, and reads the **graph** that pass built (``autodiff.topological_order``):
the outputs of every activation op (tanh, sigmoid, ReLU, ...), the parameters
and their gradients. It needs no hook and no ``MLP``: any ``Module`` whose
``model(X)`` returns outputs works. With ``steps > 0`` and ``lr`` it also trains
the copy by full-batch SGD and records the loss, the per-layer update-to-weight
ratio and the saturated/dead fractions at every step. The model passed in is
never changed (not even its ``.grad``).

Codes and thresholds (``THRESHOLDS``; how each was chosen):

``vanishing_gradients``
    rms(dL/dh) at the first activation over the last one
    < 1e-2 (two orders of magnitude). Healthy 1-10-layer
    tanh/sigmoid/ReLU networks measure 0.2-3
    (tests/test_diagnose.py); Xavier sigmoid layers shrink it
    3.5-5x each (chapter 9), so 5 of them already give ~3e-3.
``exploding_gradients``
    the same ratio > 1e2, or one SGD step at lr = 1e-2 would
    move a weight matrix by more than its own norm:
    1e-2 ||dL/dW|| > ||W||.
``saturated_units``
    in some tanh/sigmoid layer, >= 50% of the entries
    (unit x example) have phi'(z) < 1% of phi's largest
    slope (abs(z) > 3.0 for tanh, > 6.0 for the sigmoid).
    Healthy Xavier tanh layers: < 1%; tanh layers at gain
    2.5 measure 5-20%, which is not yet "large".
``dead_units``
    in some ReLU layer, >= 50% of the units have z <= 0 on
    every example of the batch. Healthy He-ReLU layers on the
    2-D spirals measure 0-31% over 8 seeds (z is affine in a 2-D input, so a
    unit can be negative on the whole batch); a bias of -4 on
    the first layer kills 78-94% (tests/test_diagnose.py).
``symmetric_units``
    in some activation layer of >= 2 units, every unit has
    the same input z on every example (constant or zero
    initialization), so every unit also gets the same
    gradient and they can never differ. (A dead ReLU layer
    has identical outputs, 0, but different z: not symmetric.)
``initial_loss_off``
    cross-entropy: loss > 2 H, with H the entropy of the
    label frequencies (log C for C balanced classes); i.i.d.
    N(0, s^2) logits reach 2 log C at s ~ 2.2 (C = 2), 2.3
    (C = 3), 2.7 (C = 10), by sampling. Healthy networks here:
    0.8-1.7 log C; He-ReLU nets of 6-8 layers with a LeCun
    output layer exceed 2 log C in ~1 seed of 30 (flagged:
    halve the output layer). mse: loss > 10 (mean(y^2) + 1), a 10x
    excess over outputs of size <= 1.
``loss_diverging``
    (only with steps) a loss becomes non-finite, or the
    smallest loss of the last quarter of the steps exceeds
    the initial loss.

A layer that is symmetric is not also reported as dead or saturated, and the
gradient ratio is not read when the last activation's gradient is exactly 0.

This module holds the decision rules and ``diagnose()`` itself; what a pass measures is in
:mod:`lessonlib.diagnosis_stats`, and what ``diagnose()`` returns (the codes, the advice,
:class:`Finding`, :class:`Diagnosis`) in :mod:`lessonlib.diagnosis_report`.
"""
from __future__ import annotations

import copy

import numpy as np

from .autodiff import Tensor
from .checks import InputError, finite_number, one_of, positive_int
from .diagnosis_report import ADVICE, CODES, Diagnosis, Finding
from .diagnosis_stats import _ends, _expected_loss, _layer_stats, _n_out, _pass, _train, _weight_ratios
from .module import Module

__all__ = ["CODES", "THRESHOLDS", "Finding", "Diagnosis", "diagnose"]

THRESHOLDS = {"vanishing_ratio": 1e-2, "exploding_ratio": 1e2, "probe_lr": 1e-2,
              "saturated_fraction": 0.5, "slope_level": 0.01, "dead_fraction": 0.5,
              "ce_loss_factor": 2.0, "mse_loss_factor": 10.0}


# --- the arguments ------------------------------------------------------------------------
def _numeric(a) -> bool:
    return np.issubdtype(a.dtype, np.number) and not np.iscomplexobj(a)


def _check(model, X, y, loss, lr, steps):
    """The arguments as diagnose() uses them, or an InputError that names the bad one."""
    if not isinstance(model, Module):
        raise InputError(f"diagnose: model must be a lessonlib Module (it needs parameters()), "
                         f"got {type(model).__name__}")
    one_of("diagnose", "loss", loss, ("cross_entropy", "mse"))
    X = np.asarray(X.data if isinstance(X, Tensor) else X)
    if X.ndim < 2 or len(X) < 2 or not _numeric(X):
        raise InputError(f"diagnose: X must be a real numeric batch of shape (N, features) with N >= 2, "
                         f"got dtype {X.dtype} shape {X.shape}" + (" (one feature: X.reshape(-1, 1))" * (X.ndim == 1)))
    if not np.all(np.isfinite(X)):
        raise InputError(f"diagnose: X holds {np.sum(~np.isfinite(X))} non-finite values (nan or inf)")
    y0, y = y, np.asarray(y.data if isinstance(y, Tensor) else y)
    if y.ndim == 0 or len(y) != len(X):
        raise InputError(f"diagnose: y must hold one target per example: X has {len(X)} examples "
                         f"but y has {len(y) if y.ndim else f'none (y = {y0!r})'}")
    if loss == "cross_entropy" and (y.ndim != 1 or not np.issubdtype(y.dtype, np.integer)):
        raise InputError(f"diagnose: loss='cross_entropy' needs integer class labels of shape ({len(X)},), "
                         f"got dtype {y.dtype} shape {y.shape}; use loss='mse' for real targets")
    if loss == "cross_entropy" and y.min() < 0:
        raise InputError(f"diagnose: y holds class labels from 0 up; got y.min() = {y.min()}")
    if loss == "mse" and not (_numeric(y) and np.all(np.isfinite(y))):
        bad = f" with {np.sum(~np.isfinite(y))} non-finite values" if np.issubdtype(y.dtype, np.number) else ""
        raise InputError(f"diagnose: loss='mse' needs finite real targets y, got dtype {y.dtype}{bad}")
    steps = positive_int("diagnose", "steps", steps, minimum=0)
    if steps or lr is not None:
        lr = finite_number("diagnose", f"lr (the learning rate of the {steps} steps)" if steps else "lr",
                           lr, low=0, low_open=True)
    if not model.parameters():
        raise InputError(f"diagnose: the model {type(model).__name__} has no parameters to diagnose")
    for k, p in enumerate(model.parameters()):
        if not np.all(np.isfinite(p.data)):
            raise InputError(f"diagnose: parameter {k} of the model (shape {p.shape}) holds "
                             f"{np.sum(~np.isfinite(p.data))} non-finite values: nothing to diagnose "
                             f"(did an earlier run diverge? see loss_diverging)")
    return X.astype(np.float64), y, lr, steps


# --- the decision rules -------------------------------------------------------------------
def _findings(loss0, expected, loss, names, rows, weights, wnames):
    """The codes one pass shows: a Finding per code, at the layer where it is worst."""
    T, found = THRESHOLDS, []

    def add(code, layer, evidence):
        found.append(Finding(code, layer, evidence, ADVICE[code]))

    bad_loss = (not np.isfinite(loss0) or loss0 > T["ce_loss_factor"] * expected
                if loss == "cross_entropy" else not np.isfinite(loss0) or loss0 > T["mse_loss_factor"] * expected)
    if bad_loss:
        limit = f"{T['ce_loss_factor']:g} x that" if loss == "cross_entropy" else f"{T['mse_loss_factor']:g} x that"
        add("initial_loss_off", "the output",
            f"initial loss {loss0:.4g}, expected about {expected:.4g} (flagged above {limit})")
    sym = [k for k, r in enumerate(rows) if r[3]]
    for k in sym[:1]:
        add("symmetric_units", names[k], f"all {rows[k][5]} units give the same output on every example "
            f"({len(sym)} such layer{'s' if len(sym) > 1 else ''})")
    sat = [(r[1], k) for k, r in enumerate(rows) if k not in sym and r[1] >= T["saturated_fraction"]]
    if sat:
        f, k = max(sat)
        add("saturated_units", names[k], f"{f:.0%} of its outputs sit where phi' < "
            f"{T['slope_level']:.0%} of its maximum ({len(sat)} layer(s) >= {T['saturated_fraction']:.0%})")
    dead = [(r[2], k) for k, r in enumerate(rows) if k not in sym and r[2] >= T["dead_fraction"]]
    if dead:
        f, k = max(dead)
        add("dead_units", names[k], f"{f:.0%} of its ReLU units are <= 0 on every example "
            f"({len(dead)} layer(s) >= {T['dead_fraction']:.0%})")
    g = np.array([r[4] for r in rows])
    if len(g) >= 2 and np.isfinite(g).all() and g[-1] > 0:
        ratio = g[0] / g[-1]
        ev = f"rms(dL/dh) is {g[0]:.3g} at {names[0]} and {g[-1]:.3g} at {names[-1]} (ratio {ratio:.3g})"
        if ratio < T["vanishing_ratio"]:
            add("vanishing_gradients", names[0], ev + f" < {T['vanishing_ratio']:g}")
        elif ratio > T["exploding_ratio"]:
            add("exploding_gradients", names[0], ev + f" > {T['exploding_ratio']:g}")
    if "exploding_gradients" not in {f.code for f in found}:
        wr = _weight_ratios(weights, missing=0.0)
        if wr.size and (not np.isfinite(wr).all() or T["probe_lr"] * wr.max() > 1):
            j = int(np.nanargmax(np.where(np.isfinite(wr), wr, np.inf)))
            add("exploding_gradients", wnames[j], f"||dL/dW|| / ||W|| = {wr[j]:.3g}: one SGD step at "
                f"lr = {T['probe_lr']:g} would change W by {T['probe_lr'] * wr[j]:.3g} x its own size")
    return found


def _diverging(losses, update_ratio, steps, lr):
    """A loss_diverging Finding when the loss became non-finite, or when the smallest loss
    of the last quarter of the steps exceeds the initial loss; else None."""
    tail = losses[len(losses) - max(1, steps // 4):]
    if np.all(np.isfinite(losses)) and np.min(tail) <= losses[0]:
        return None
    bad = np.flatnonzero(~np.isfinite(losses))
    ev = (f"the loss became non-finite at step {bad[0]}" if bad.size else
          f"the loss went from {losses[0]:.4g} to {losses[-1]:.4g} (lowest of the last "
          f"{len(tail)} steps {np.min(tail):.4g})")
    if update_ratio.size:
        with np.errstate(invalid="ignore"):
            finite = np.isfinite(update_ratio)
            top = np.nanmax(np.where(finite, update_ratio, np.nan)) if finite.any() else np.inf
        ev += f"; the largest update-to-weight ratio was {top:.3g} (rule of thumb 1e-3)"
    return Finding("loss_diverging", f"{steps} SGD steps at lr = {lr:g}", ev, ADVICE["loss_diverging"])


# --- diagnose -------------------------------------------------------------------------------
def diagnose(model, X, y, *, loss="cross_entropy", lr=None, steps=0) -> Diagnosis:
    """Run one forward and backward pass on a copy of ``model`` and name what is wrong.

    ``loss`` is ``"cross_entropy"`` (integer labels ``y``) or ``"mse"`` (real
    targets). With ``steps > 0`` and ``lr``, the copy is also trained by full-batch
    SGD for ``steps`` steps (``loss_diverging``). Returns a :class:`Diagnosis`;
    ``print(diagnose(...))`` gives the report. See the module docstring for the codes
    and their thresholds. Raises :class:`~lessonlib.checks.InputError` (a ``ValueError``
    and a ``TypeError``) naming the argument and its value for input it cannot diagnose:
    a non-Module model, X not of shape (N, features) or not finite, y not one target per
    example (or labels outside [0, classes)), a bad ``loss``, ``steps`` or ``lr``,
    non-finite parameters, a model(X) that is not a Tensor or has the wrong shape, and a
    graph without any activation op; a model(X) that fails re-raises its error with X's shape.
    """
    X, y, lr, steps = _check(model, X, y, loss, lr, steps)
    net = copy.deepcopy(model)
    loss0, acts, weights = _pass(net, X, y, loss)
    rows = _layer_stats(acts, THRESHOLDS["slope_level"])
    names = tuple(f"activation layer {k + 1} ({r[0]}, {r[5]} units)" for k, r in enumerate(rows))
    wnames = tuple(f"weight {j + 1} {w.shape}" for j, w in enumerate(weights))
    expected = _expected_loss(y, loss, _n_out(net, X))
    found = _findings(loss0, expected, loss, names, rows, weights, wnames)
    weight_ratio = _weight_ratios(weights, missing=np.nan)      # before training changes the weights
    activations, gradients = _ends(acts)
    extra = {}
    if steps:
        extra = _train(net, X, y, loss, lr, steps, THRESHOLDS["slope_level"], loss0, acts, weights, rows)
        diverging = _diverging(extra["losses"], extra["update_ratio"], steps, lr)
        if diverging is not None:
            found.append(diverging)
    return Diagnosis(
        codes=frozenset(f.code for f in found), findings=tuple(found), loss0=loss0,
        expected_loss=expected, layer_names=names, kinds=tuple(r[0] for r in rows),
        grad_rms=np.array([r[4] for r in rows]), saturated=np.array([r[1] for r in rows]),
        dead=np.array([r[2] for r in rows]),
        activations=activations, gradients=gradients, weight_names=wnames,
        weight_ratio=weight_ratio, steps=steps, lr=lr, **extra)

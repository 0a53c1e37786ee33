"""Plots for batch normalization (chapter 5): training curves, growth factors, modes."""
from __future__ import annotations

import numpy as np

from .common import axes_or_new, on_log_axis, show_message
from .profiles import plot_profile

__all__ = ["plot_bn_losses", "plot_growth_sweep", "plot_mode_comparison", "plot_histograms",
           "plot_bn_profile"]

_COLORS = {"relu": "tab:blue", "tanh": "tab:orange", "identity": "tab:green",
           "sigmoid": "tab:purple", "leaky_relu": "tab:brown"}


def _batch_axis(ax, batches):
    """A log2 axis labelled with the batch sizes themselves."""
    ax.set_xscale("log", base=2)
    ax.set_xticks(batches, [str(int(b)) for b in batches])
    ax.minorticks_off()


def plot_bn_losses(losses: dict, chance: float, ax=None):
    """Training loss against the step for several runs, with and without BN, and the chance level.

    ``losses`` maps ``(bn, lr, seed)`` to the array of losses of one run; runs with
    batch normalization are blue, runs without red, one line style per learning rate.
    ``chance`` (the label entropy, in nats) is drawn as a dashed line.
    """
    ax = axes_or_new(ax, figsize=(6.5, 4))
    styles = ["-", "--", ":", "-."]
    lrs = sorted({lr for _, lr, _ in losses})
    seen = set()
    for (bn, lr, _), values in losses.items():
        label = None if (bn, lr) in seen else f"{'with' if bn else 'without'} BN, lr = {lr:g}"
        seen.add((bn, lr))
        ax.plot(np.arange(len(values)), on_log_axis(values), styles[lrs.index(lr) % 4],
                color="tab:blue" if bn else "tab:red", lw=1.2, alpha=0.8, label=label)
    ax.axhline(chance, color="black", lw=0.8, ls=(0, (4, 4)))
    ax.text(0.99, chance, " chance: label entropy", transform=ax.get_yaxis_transform(),
            ha="right", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_xlabel("gradient-descent step")
    ax.set_ylabel("training loss (cross-entropy, nats)")
    ax.legend(fontsize=8, loc="lower left")
    if not all(np.all(np.isfinite(v)) for v in losses.values()):
        show_message(ax, "some runs diverged (non-finite loss)")
    return ax


def plot_growth_sweep(growth: dict, batches, ax=None, predictions=None):
    """Per-layer gradient growth factor against the batch size, one line per activation.

    ``growth`` maps an activation to an array of shape (len(batches), seeds). Markers
    are the mean over seeds, bars the range. ``predictions`` maps an activation to its
    large-batch estimate, drawn as a dashed line in its colour.
    """
    ax = axes_or_new(ax, figsize=(6.5, 4))
    batches = np.asarray(batches)
    for act, g in growth.items():
        color = _COLORS.get(act)
        mean = np.nanmean(g, axis=1)
        ax.errorbar(batches, mean, yerr=[mean - np.nanmin(g, axis=1), np.nanmax(g, axis=1) - mean],
                    marker="o", ms=4, capsize=3, color=color, label=f"{act} (mean and range over seeds)")
        if predictions and act in predictions:
            ax.axhline(predictions[act], color=color, ls="--", lw=1,
                       label=f"{act}: large-batch estimate {predictions[act]:.3f}")
    ax.axhline(1.0, color="gray", lw=0.8)
    _batch_axis(ax, batches)
    ax.set_xlabel("batch size $N$")
    ax.set_ylabel("growth of the gradient norm per layer\n(towards the input, dimensionless)")
    ax.legend(fontsize=7)
    return ax


def plot_mode_comparison(accuracy: dict, batch_sizes, ax=None):
    """Test accuracy of a trained BN network in training mode against the batch size.

    ``accuracy`` holds one entry per batch size in ``batch_sizes`` (training mode,
    shuffled batches) and the entries ``"eval"`` (evaluation mode), ``"sorted"``
    (training mode, one class per batch) and ``"after"`` (evaluation mode after a
    training-mode pass over sorted batches), each drawn as a horizontal line.
    """
    ax = axes_or_new(ax)
    batches = np.asarray(batch_sizes)
    ax.plot(batches, [accuracy[b] for b in batch_sizes], "o-", color="tab:red",
            label="training mode (batch statistics), shuffled batches")
    ax.axhline(accuracy["eval"], color="tab:blue", label="evaluation mode (running statistics)")
    ax.axhline(accuracy["sorted"], color="tab:red", ls="--", label="training mode, one class per batch")
    ax.axhline(accuracy["after"], color="tab:blue", ls="--",
               label="evaluation mode after a training-mode pass")
    ax.axhline(1 / 3, color="gray", lw=0.8, ls=":", label="chance (3 balanced classes)")
    _batch_axis(ax, batches)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("batch size $N$ at test time")
    ax.set_ylabel("test accuracy (fraction correct)")
    ax.legend(fontsize=7, loc="lower right")
    return ax


def plot_histograms(samples: dict, ax=None, bins=60):
    """Overlaid histograms (densities) of the arrays in ``samples``, labelled by their keys."""
    ax = axes_or_new(ax)
    values = [np.ravel(v) for v in samples.values()]
    finite = np.concatenate([v[np.isfinite(v)] for v in values])
    edges = np.linspace(finite.min(), finite.max(), bins + 1)
    for (label, _), v in zip(samples.items(), values):
        ax.hist(v, bins=edges, density=True, histtype="step", lw=1.5, label=label)
    ax.set_xlabel("value")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    return ax


def plot_bn_profile(result, axes):
    """Two panels for a :class:`~lessonlib.experiments.batchnorm.BNProfileResult`.

    Left: the gradient RMS per layer, with the fitted growth factor in the title;
    right: the spread (standard deviation) of the activations per layer.
    """
    plot_profile(result, "grad_h_rms", ax=axes[0], color="tab:red")
    growth = "n/a" if np.isnan(result.growth) else f"{result.growth:.3f}"
    axes[0].set_title(f"backward: gradient grows x{growth} per layer", fontsize=10)
    plot_profile(result, "h_std", ax=axes[1])
    axes[1].set_title("forward: spread of the activations", fontsize=10)
    return axes

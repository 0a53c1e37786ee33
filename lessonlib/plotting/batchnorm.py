"""Plots for batch normalization (chapter 5): training curves, growth factors, modes."""
from __future__ import annotations

import numpy as np

from .common import axes_or_new, positive_or_nan, show_message
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


def plot_bn_losses(results, ax=None):
    """Training loss against the step for several runs, with and without BN, and the chance level.

    ``results`` are :class:`~lessonlib.experiments.batchnorm.BNTrainResult`; runs with
    batch normalization are blue, runs without red, one line style per learning rate.
    """
    ax = axes_or_new(ax, figsize=(6.5, 4))
    styles = ["-", "--", ":", "-."]
    lrs = sorted({r.config.lr for r in results})
    seen = set()
    for r in results:
        key = (r.config.bn, r.config.lr)
        label = None if key in seen else f"{'with' if r.config.bn else 'without'} BN, lr = {r.config.lr:g}"
        seen.add(key)
        ax.plot(np.arange(len(r.losses)), positive_or_nan(r.losses), styles[lrs.index(r.config.lr) % 4],
                color="tab:blue" if r.config.bn else "tab:red", lw=1.2, alpha=0.8, label=label)
    chances = sorted({round(r.chance, 12) for r in results})
    for c in chances:
        ax.axhline(c, color="black", lw=0.8, ls=(0, (4, 4)))
    if chances:
        ax.text(0.99, chances[-1], " chance: label entropy", transform=ax.get_yaxis_transform(),
                ha="right", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_xlabel("gradient-descent step")
    ax.set_ylabel("training loss (cross-entropy, nats)")
    ax.legend(fontsize=8, loc="lower left")
    messages = [r.message for r in results if r.message]
    if messages:
        show_message(ax, messages[0])
    return ax


def plot_growth_sweep(result, ax=None, predictions=None):
    """Per-layer gradient growth factor against the batch size, one line per activation.

    Markers are the mean over seeds, bars the range. ``predictions`` maps an
    activation to its large-batch estimate, drawn as a dashed line in its colour.
    """
    ax = axes_or_new(ax, figsize=(6.5, 4))
    batches = np.asarray(result.config.batches)
    for act in result.config.activations:
        g = result[act]
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


def plot_mode_comparison(result, ax=None):
    """Test accuracy of a trained BN network in training mode against the batch size.

    Evaluation mode (independent of the batch) is a horizontal line, and the
    accuracy of class-sorted batches in training mode a second one.
    """
    ax = axes_or_new(ax)
    batches = np.asarray(result.config.batch_sizes)
    ax.plot(batches, result.train_accuracy, "o-", color="tab:red",
            label="training mode (batch statistics), shuffled batches")
    ax.axhline(result.eval_accuracy, color="tab:blue", label="evaluation mode (running statistics)")
    ax.axhline(result.sorted_accuracy, color="tab:red", ls="--",
               label="training mode, one class per batch")
    ax.axhline(result.eval_after_sorted_pass, color="tab:blue", ls="--",
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

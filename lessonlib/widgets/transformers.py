"""Widget over :func:`lessonlib.experiments.transformers.run_explorer` (chapter 8).

Left: the gradient norm of each block's parameters at initialization, for Post-LN and
Pre-LN (the chosen arrangement solid), computed at every redraw (two backward passes).
Right: the training loss of the chosen arrangement on the reversal task. Training is
what costs (on a quiet 2-core machine about 0.4 s at the defaults, 0.6 s at 16 blocks):
a widget trains each setting once, the first time it is shown, and keeps the curve, so a
setting seen before redraws in 60-75 ms, like the other widgets.
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..experiments.transformers import ExplorerConfig, ExplorerResult, baseline, explorer_init, explorer_train
from .common import interactive_figure

__all__ = ["transformer_widget", "plot_transformer", "TRANSFORMER_CONTROLS"]

#: The settings the widget can expose.
TRANSFORMER_CONTROLS = ("arrangement", "n_blocks", "logit_scale", "lr", "warmup")


def plot_transformer(axes, *, cache=None, **settings):
    """Draw the explorer at ``settings`` (defaults: :class:`~lessonlib.experiments.transformers.ExplorerConfig`) on two axes.

    ``cache``: a dict in which training runs are kept by setting (the widget passes one),
    so that only a setting not seen before trains a network. Returns the
    :class:`~lessonlib.experiments.transformers.ExplorerResult`.
    """
    cfg = ExplorerConfig(**settings)
    if cfg.arrangement not in ("pre", "post"):
        raise ValueError(f"plot_transformer: arrangement must be 'pre' or 'post', got {cfg.arrangement!r}")
    if cache is None:
        train = explorer_train(cfg)
    else:
        if cfg not in cache:
            cache[cfg] = explorer_train(cfg)
        train = cache[cfg]
    result = ExplorerResult(cfg, explorer_init(cfg), train)
    cfg = result.config
    for arr, init in result.init.items():
        chosen = arr == cfg.arrangement
        axes[0].plot(np.arange(1, cfg.n_blocks + 1), init.block_grad, "o-" if chosen else "o--", ms=3,
                     lw=2 if chosen else 1, label=f"{arr}-LN")
    axes[0].set(xlabel="block", ylabel="gradient norm at init", yscale="log",
                title=f"{cfg.n_blocks} blocks, logit scale {cfg.logit_scale:g}")
    axes[0].legend(fontsize=8)
    axes[1].plot(result.train.losses, color="C0" if cfg.arrangement == "post" else "C1")
    axes[1].axhline(baseline(6), color="gray", ls="--", lw=0.8)
    axes[1].set(xlabel="Adam step", ylabel="cross-entropy", yscale="log",
                title=f"{cfg.arrangement}-LN, lr {cfg.lr:.0e}, warm-up {cfg.warmup}: "
                      f"accuracy {result.train.accuracy:.2f}")
    return result


def _controls(defaults: ExplorerConfig) -> dict:
    return {
        "arrangement": W.Dropdown(options=["post", "pre"], value=defaults.arrangement, description="LayerNorm"),
        "n_blocks": W.IntSlider(value=defaults.n_blocks, min=1, max=16, description="blocks L"),
        "logit_scale": W.FloatLogSlider(value=defaults.logit_scale, base=2, min=-2, max=4, step=0.5,
                                        description="logit scale"),
        "lr": W.FloatLogSlider(value=defaults.lr, base=10, min=-3, max=-1, step=0.25, description="lr"),
        "warmup": W.IntSlider(value=defaults.warmup, min=0, max=40, step=5, description="warm-up"),
    }


def transformer_widget(show=TRANSFORMER_CONTROLS, **defaults):
    """Per-block gradient norms at initialization and a short training run, live.

    ``logit_scale`` multiplies the attention logits on top of $1/\\sqrt d$ (4 = no
    scaling at d = 16). ``defaults`` overrides :class:`~lessonlib.experiments.transformers.ExplorerConfig` fields. The first
    draw at a setting trains a network (up to about a second at 16 blocks); the widget keeps that run, so
    returning to a setting redraws in well under 100 ms. The returned box also has
    ``trained``, the dict of the runs kept so far.
    """
    base = ExplorerConfig(**defaults)
    unknown = set(show) - set(TRANSFORMER_CONTROLS)
    if unknown:
        raise ValueError(f"transformer_widget: no control for {sorted(unknown)}; "
                         f"choose from {TRANSFORMER_CONTROLS}")
    controls = {name: c for name, c in _controls(base).items() if name in show}

    trained = {}                    # ExplorerConfig -> TrainResult, this widget's runs

    def draw(axes, **values):
        plot_transformer(axes, cache=trained, **{**base.__dict__, **values})

    box = interactive_figure(controls, draw)
    box.trained = trained
    return box

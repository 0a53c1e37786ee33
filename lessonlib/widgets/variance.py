"""Widget for chapter 3: initialization scheme x activation x depth x width -> per-layer RMS."""
from __future__ import annotations

import ipywidgets as W

from ..experiments.variance import VarianceConfig, run_variance
from ..plotting.variance import plot_variance
from .common import interactive_figure

__all__ = ["variance_widget", "draw_variance", "VARIANCE_DEFAULTS"]

#: The settings of the chapter's static figure and of the widget's first draw.
VARIANCE_DEFAULTS = VarianceConfig(activation="relu", init="xavier_normal", depth=50, width=128,
                                   gain=1.0, batch=16, seeds=(0,))


def _controls(d: VarianceConfig) -> dict:
    return {
        "init": W.Dropdown(options=["normal", "lecun_normal", "xavier_normal", "he_normal", "orthogonal"],
                           value=d.init, description="init"),
        "activation": W.Dropdown(options=["relu", "tanh", "sigmoid", "identity"],
                                 value=d.activation, description="activation"),
        "depth": W.IntSlider(value=d.depth, min=1, max=100, description="depth L"),
        "width": W.IntSlider(value=d.width, min=4, max=256, step=4, description="width n"),
        "gain": W.FloatLogSlider(value=d.gain, base=10, min=-1, max=1, step=0.05, description="gain"),
        "seed": W.IntSlider(value=d.seeds[0], min=0, max=20, description="seed"),
    }


def draw_variance(axes, *, init, activation, depth, width, gain, seed, batch=VARIANCE_DEFAULTS.batch):
    """Fill two Axes: activations forward, gradients backward, measured and predicted."""
    result = run_variance(VarianceConfig(activation=activation, init=init, depth=depth, width=width,
                                         gain=gain, batch=batch, seeds=(seed,)))
    plot_variance(result, "forward", ax=axes[0], label="measured (one network)")
    axes[0].set_title(f"forward: {activation} + {init}")
    plot_variance(result, "backward", ax=axes[1], label="measured (one network)")
    axes[1].set_title("backward: gradients")
    axes[0].legend(fontsize=8, loc="best")
    return result


def variance_widget(**defaults):
    """Live per-layer RMS of activations and gradients, with the mean-field prediction dashed.

    ``defaults`` overrides fields of :data:`VARIANCE_DEFAULTS` (``seed`` sets the first seed).
    """
    seed = defaults.pop("seed", VARIANCE_DEFAULTS.seeds[0])
    base = VarianceConfig(**{**VARIANCE_DEFAULTS.__dict__, **defaults, "seeds": (seed,)})
    controls = _controls(base)
    return interactive_figure(controls, lambda axes, **v: draw_variance(axes, batch=base.batch, **v))

"""Widget over :func:`lessonlib.experiments.residual.run_stream` (chapter 6)."""
from __future__ import annotations

import ipywidgets as W

from ..experiments.residual import StreamConfig, run_stream
from ..residual import ARCHS
from ..plotting.residual import plot_stream
from .common import interactive_figure

__all__ = ["residual_widget", "RESIDUAL_CONTROLS"]

#: The settings a residual widget can expose.
RESIDUAL_CONTROLS = ("arch", "n_blocks", "gain", "activation", "init")


def _controls(defaults: StreamConfig) -> dict:
    return {
        "arch": W.Dropdown(options=list(ARCHS), value=defaults.arch, description="network"),
        "n_blocks": W.IntSlider(value=defaults.n_blocks, min=1, max=128, description="blocks B"),
        "gain": W.FloatLogSlider(value=defaults.gain, base=10, min=-2, max=1.5, step=0.05,
                                 description="branch gain"),
        "activation": W.Dropdown(options=["relu", "tanh", "sigmoid"], value=defaults.activation,
                                 description="activation"),
        "init": W.Dropdown(options=["he_normal", "xavier_normal", "lecun_normal"],
                           value=defaults.init, description="init"),
    }


def residual_widget(show=RESIDUAL_CONTROLS, **defaults):
    """Signal and gradient along the main path of a fresh plain or residual network, live.

    ``arch`` picks plain (``2B + 1`` hidden layers), residual with $s = 1$,
    $s = 1/\\sqrt{B}$, or a zero last branch layer; ``gain`` multiplies $s$.
    The dashed lines are the chapter's prediction (ReLU with He initialization only).
    ``defaults`` overrides :class:`~lessonlib.experiments.residual.StreamConfig` fields.
    """
    base = StreamConfig(**defaults)
    unknown = set(show) - set(RESIDUAL_CONTROLS)
    if unknown:
        raise ValueError(f"residual_widget: no control for {sorted(unknown)}; "
                         f"choose from {RESIDUAL_CONTROLS}")
    controls = {name: c for name, c in _controls(base).items() if name in show}

    def draw(axes, **values):
        result = run_stream(StreamConfig(**{**base.__dict__, **values}))
        n_blocks = result.config.n_blocks
        plot_stream(result, "h", ax=axes[0])
        axes[0].set_title(f"forward, {n_blocks} blocks: mean square of $h$")
        plot_stream(result, "grad", ax=axes[1])
        axes[1].set_title(f"backward, {n_blocks} blocks: squared gradient norm")
        axes[1].legend(fontsize=8, loc="best")

    return interactive_figure(controls, draw)

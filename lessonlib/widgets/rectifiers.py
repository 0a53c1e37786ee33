"""A widget over :func:`lessonlib.experiments.rectifiers.run_dead_units` (chapter 4)."""
from __future__ import annotations

import ipywidgets as W

from .. import ops
from ..activations import elu, gelu
from ..experiments.rectifiers import DeadConfig, run_dead_units
from ..plotting.rectifiers import plot_dead_units
from .common import interactive_figure

__all__ = ["dead_unit_widget", "DEAD_UNIT_CONTROLS"]

#: The settings the widget exposes.
DEAD_UNIT_CONTROLS = ("activation", "slope", "bias_shift", "gain", "depth")


def _activation(name, slope):
    if name == "leaky_relu":
        return lambda h: ops.leaky_relu(h, slope)
    return {"relu": ops.relu, "elu": elu, "gelu": gelu}[name]


def dead_unit_widget(**defaults):
    r"""Units that never fire, and the gradient that gets through, in a fresh deep MLP.

    Controls: the activation, leaky ReLU's slope $\alpha$, a shift added to every
    hidden bias, the weight gain relative to He's $\sqrt{2/n_{in}}$, and the depth.
    ``defaults`` override the starting values (``activation``, ``slope``,
    ``bias_shift``, ``gain``, ``depth``).
    """
    start = dict(activation="relu", slope=0.2, bias_shift=0.0, gain=1.0, depth=10)
    unknown = set(defaults) - set(start)
    if unknown:
        raise ValueError(f"dead_unit_widget: no setting {sorted(unknown)}; choose from {DEAD_UNIT_CONTROLS}")
    start.update(defaults)
    controls = {
        "activation": W.Dropdown(options=["relu", "leaky_relu", "elu", "gelu"], value=start["activation"],
                                 description="activation"),
        "slope": W.FloatSlider(value=start["slope"], min=0.0, max=1.0, step=0.01,
                               description="leaky slope α"),
        "bias_shift": W.FloatSlider(value=start["bias_shift"], min=-3.0, max=1.0, step=0.1,
                                    description="bias shift b"),
        "gain": W.FloatLogSlider(value=start["gain"], base=10, min=-1, max=1, step=0.05,
                                 description="gain (× He)"),
        "depth": W.IntSlider(value=start["depth"], min=1, max=50, description="depth L"),
    }

    def draw(axes, activation, slope, bias_shift, gain, depth):
        result = run_dead_units(DeadConfig(activation=_activation(activation, slope), bias_shift=bias_shift,
                                           gain=gain, depth=depth))
        plot_dead_units(result, axes)

    return interactive_figure(controls, draw)

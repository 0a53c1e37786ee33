"""Widgets over :func:`lessonlib.experiments.batchnorm.run_bn_profile` (chapter 5)."""
from __future__ import annotations

import ipywidgets as W

from ..experiments.batchnorm import BNProfileConfig, run_bn_profile
from ..plotting.batchnorm import plot_bn_profile
from .common import interactive_figure

__all__ = ["bn_gradient_widget", "BN_CONTROLS"]

#: The settings the widget exposes.
BN_CONTROLS = ("activation", "init", "depth", "batch", "bn")


def _controls(defaults: BNProfileConfig) -> dict:
    return {
        "activation": W.Dropdown(options=["relu", "tanh", "sigmoid", "identity"],
                                 value=defaults.activation, description="activation"),
        "init": W.Dropdown(options=["he_normal", "xavier_normal", "lecun_normal", "orthogonal", "normal"],
                           value=defaults.init, description="init"),
        "depth": W.IntSlider(value=defaults.depth, min=1, max=100, description="depth L"),
        "batch": W.IntSlider(value=defaults.batch, min=2, max=512, description="batch N"),
        "bn": W.Checkbox(value=defaults.bn, description="batch norm"),
    }


def bn_gradient_widget(**defaults):
    """Gradient RMS and activation spread per layer of a fresh MLP, with or without BN, live.

    ``defaults`` overrides :class:`~lessonlib.experiments.batchnorm.BNProfileConfig` fields (``width`` and
    ``seed`` have no control). The left panel's title gives the fitted growth
    factor of the gradient per layer towards the input.
    """
    base = BNProfileConfig(**defaults)

    def draw(axes, **values):
        plot_bn_profile(run_bn_profile(BNProfileConfig(**{**base.__dict__, **values})), axes)

    return interactive_figure(_controls(base), draw)

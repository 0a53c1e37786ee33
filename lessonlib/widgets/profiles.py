"""Widgets over :func:`lessonlib.experiments.profiles.run_profile` (chapters 2-4)."""
from __future__ import annotations

import ipywidgets as W

from ..experiments.profiles import ProfileConfig, run_profile
from ..plotting.profiles import plot_profile
from .common import interactive_figure

__all__ = ["profile_widget", "PROFILE_CONTROLS"]


_ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
_INITS = ["normal", "lecun_normal", "xavier_normal", "he_normal", "orthogonal"]


def _choice(label, value, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"profile_widget: the {label} control offers {options}; got {value!r}")
    return value


def _controls(defaults: ProfileConfig) -> dict:
    return {
        "activation": W.Dropdown(options=_ACTIVATIONS, description="activation",
                                 value=_choice("activation", defaults.activation, _ACTIVATIONS)),
        "init": W.Dropdown(options=_INITS, value=_choice("init", defaults.init, _INITS),
                           description="init"),
        "depth": W.IntSlider(value=defaults.depth, min=1, max=100, description="depth L"),
        "width": W.IntSlider(value=defaults.width, min=2, max=256, description="width n"),
        "gain": W.FloatLogSlider(value=defaults.gain, base=10, min=-2, max=2, step=0.05,
                                 description="weight gain"),
    }


#: The settings a profile widget can expose.
PROFILE_CONTROLS = ("activation", "init", "depth", "width", "gain")


def profile_widget(show=PROFILE_CONTROLS, **defaults):
    """Activation RMS and gradient RMS per layer of a fresh deep MLP, live.

    ``show`` picks which settings get a control; ``defaults`` overrides
    :class:`~lessonlib.experiments.profiles.ProfileConfig` fields (also for settings without a control).
    """
    base = ProfileConfig(**defaults)
    unknown = set(show) - set(PROFILE_CONTROLS)
    if unknown:
        raise ValueError(f"profile_widget: no control for {sorted(unknown)}; choose from {PROFILE_CONTROLS}")
    controls = {name: c for name, c in _controls(base).items() if name in show}

    def draw(axes, **values):
        result = run_profile(ProfileConfig(**{**base.__dict__, **values}))
        plot_profile(result, "h_rms", ax=axes[0])
        axes[0].set_title("forward: activations")
        plot_profile(result, "grad_h_rms", ax=axes[1], color="tab:red")
        axes[1].set_title("backward: gradients")

    return interactive_figure(controls, draw)

"""Widgets for recurrent networks through time (chapter 7)."""
from __future__ import annotations

import ipywidgets as W

from ..experiments.bptt import JacobianConfig, run_jacobian
from ..plotting.bptt import plot_jacobian_norms, plot_slopes
from .common import interactive_figure

__all__ = ["jacobian_widget"]


def jacobian_widget(radius=1.5, input_scale=1.0, T=100, n_hidden=32, n_seq=4, n_lags=60, seed=0):
    r"""$\|\partial h_T/\partial h_k\|$ against $T-k$ for a tanh RNN with $W_{hh} = \rho Q$, live.

    Controls: the radius $\rho$ (every singular value of $W_{hh}$), the input
    scale (standard deviation of each unit's input term) and the length $T$.
    Left: the measured norms and the bound $\rho^{T-k}$; right: the mean slope
    $\tanh'(a_t)$, which the bound replaces by its maximum, 1.
    """
    controls = {
        "radius": W.FloatSlider(value=radius, min=0.1, max=3.0, step=0.05, description="radius ρ"),
        "input_scale": W.FloatLogSlider(value=input_scale, base=10, min=-3, max=1, step=0.1,
                                        description="input scale"),
        "T": W.IntSlider(value=T, min=5, max=300, step=5, description="length T"),
    }

    def draw(axes, radius, input_scale, T):
        result = run_jacobian(JacobianConfig(radii=(radius,), input_scale=input_scale, T=T,
                                             n_hidden=n_hidden, n_seq=n_seq, n_lags=n_lags, seed=seed))
        plot_jacobian_norms(result, ax=axes[0])
        plot_slopes(result, ax=axes[1])

    return interactive_figure(controls, draw, figsize=(10, 3.6))

"""Plotting helpers: ``plot_*(result, ax=None) -> Axes``, one module per topic.

They read result objects and never change matplotlib's global settings.
"""

"""Experiment runners: pure ``run_*(config) -> result`` functions for chapters and widgets.

One module per topic; import the one you need, e.g.
``from lessonlib.experiments.profiles import ProfileConfig, run_profile``.
"""

"""Interactive widgets: controls -> an experiment runner -> a plot. One module per topic.

Each ``*_widget(...)`` function returns an ipywidgets box whose ``controls``
attribute maps a setting's name to its control; setting ``.value`` on a
control redraws the plot (rendered to PNG into an ``ipywidgets.Image``), which is
how the tests drive them; ``redraw()`` draws again and ``last_seconds`` says how long
that took. See :mod:`lessonlib.widgets.common`.
"""

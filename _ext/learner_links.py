"""Point the Binder and Colab launch buttons of a chapter at its learner copy.

``scripts/learner_notebooks.py`` writes ``learner/<stem>.ipynb`` for every chapter: the
notebook without its exercise solutions (Colab ignores the ``jupyter.source_hidden``
metadata that hides them in JupyterLab, and every Jupyter front end shows the
``{solution-start}`` directive as raw MyST). sphinx-book-theme builds the launch links
from the page's own path (``chapters/<stem>.ipynb``) in its ``html-page-context``
handler (priority 501); this one runs after it and swaps in ``learner/<stem>.ipynb``
where that file exists. The website itself keeps the full chapter, with folded solutions.
"""
from __future__ import annotations

from pathlib import Path

LAUNCHERS = ("Binder", "Colab", "JupyterHub")


def _walk(buttons):
    for b in buttons or []:
        yield b
        yield from _walk(b.get("buttons"))


def use_learner_copies(app, pagename, templatename, context, doctree):
    if not pagename.startswith("chapters/"):
        return
    stem = pagename.split("/", 1)[1]
    root = Path(app.srcdir)
    if not (root / "learner" / f"{stem}.ipynb").is_file():
        return
    full, learner = f"chapters/{stem}.ipynb", f"learner/{stem}.ipynb"
    for button in _walk(context.get("header_buttons")):
        if button.get("text") in LAUNCHERS and full in button.get("url", ""):
            button["url"] = button["url"].replace(full, learner)


def setup(app):
    app.connect("html-page-context", use_learner_copies, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}

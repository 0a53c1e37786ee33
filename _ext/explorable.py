"""Explorable figures: the widgets of the chapters respond on the static website.

The website has no kernel, so an ipywidget's controls could move but never redraw
its figure. This extension

1. sets ``LESSONLIB_FRAMES_DIR`` (``_build/.explorable-frames``) before the notebooks
   are executed: every widget made by ``lessonlib.widgets.common.interactive_figure``
   in a notebook kernel then renders its figure for every website position of every
   control plus a grid over two controls, with its own ``draw`` (see
   ``lessonlib/widgets/frames.py``), into ``<dir>/<model_id>/``;
2. replaces each widget view of a page (myst-nb's ``<script type=
   "application/vnd.jupyter.widget-view+json">``) whose model has frames by plain
   HTML controls (select, range, checkbox: keyboard and touch work natively), an
   <img> of the starting frame and a note; the manifest goes inline as JSON;
3. copies the frames of those widgets to ``_static/explorable/<model_id>/``; and
4. drops the ipywidgets scripts (state, require.js, the HTML manager) from pages that
   have no widget view left;
5. adds the course's own assets/css/course.css and assets/js/course.js (layout fixes)
   to every page.

assets/js/explorable.js shows the right frame as the reader moves a control, or the
nearest rendered one, and says so beside the figure. A widget view without frames
is a build warning (an error in the strict build).
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

logger = logging.getLogger(__name__)

ENV = "LESSONLIB_FRAMES_DIR"   # = lessonlib.widgets.common.FRAMES_ENV
VIEW = re.compile(r'<script type="application/vnd\.jupyter\.widget-view\+json">(.*?)</script>', re.DOTALL)
WIDGET_SCRIPTS = ("requirejs/require.js", "html-manager/dist/embed-amd.js", "js/widgets-offline.js")


def frames_dir(app) -> Path:
    return Path(app.outdir).parent / ".explorable-frames"


def set_frames_dir(app):
    folder = frames_dir(app)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ[ENV] = str(folder)     # inherited by the notebook kernels myst-nb starts
    app.env.explorable_used = set()


def _control_html(uid: str, i: int, spec: dict) -> str:
    cid = f"{uid}-c{i}"
    label = html.escape(spec["label"])
    start = spec["start"]
    if spec["kind"] == "select":
        options = "".join(f'<option value="{j}"{" selected" if j == start else ""}>{html.escape(t)}</option>'
                          for j, t in enumerate(spec["labels"]))
        field = f'<select id="{cid}" data-control="{i}">{options}</select>'
        readout = ""
    elif spec["kind"] == "checkbox":
        field = f'<input type="checkbox" id="{cid}" data-control="{i}"{" checked" if start else ""}>'
        readout = ""
    elif spec["kind"] == "range":
        n = len(spec["labels"]) - 1
        text = html.escape(spec["labels"][start])
        field = (f'<input type="range" id="{cid}" data-control="{i}" min="0" max="{n}" step="1" '
                 f'value="{start}" aria-valuetext="{text}">')
        readout = f'<output for="{cid}" class="explorable-readout">{text}</output>'
    else:
        field = f'<input type="text" id="{cid}" value="{html.escape(spec["labels"][0])}" disabled>'
        readout = ""
    return (f'<div class="explorable-control explorable-{spec["kind"]}">'
            f'<label for="{cid}">{label}</label>{field}{readout}</div>')


def explorable_html(manifest: dict, base: str) -> str:
    """The HTML of one explorable figure; ``base`` is the URL of its frames folder."""
    uid = "explorable-" + manifest["model_id"][:12]
    start = manifest["frames"][manifest["start"]]
    controls = "".join(_control_html(uid, i, c) for i, c in enumerate(manifest["controls"]))
    setting = ", ".join(f'{c["label"]} = {c["labels"][c["start"]]}' for c in manifest["controls"])
    data = json.dumps({k: manifest[k] for k in ("model_id", "controls", "start", "frames")})
    data = data.replace("</", "<\\/")
    return (
        f'<div class="explorable" id="{uid}" data-base="{html.escape(base)}">'
        f'<div class="explorable-controls" role="group" aria-label="Settings of the figure">{controls}</div>'
        f'<img class="explorable-frame" src="{html.escape(base + start)}" '
        f'alt="{html.escape("Figure at " + setting)}" width="720">'
        f'<p class="explorable-note" aria-live="polite">Precomputed: {len(set(manifest["frames"].values()))} '
        f'figures drawn when this page was built; move a control to see another. Other settings: '
        f'run the notebook (Binder, Colab or locally), where the widget redraws for any value.</p>'
        f'<script type="application/json" class="explorable-data">{data}</script></div>'
    )


def replace_widget_views(app, doctree, docname):
    if app.builder.format != "html":
        return
    folder = frames_dir(app)
    page = app.builder.get_target_uri(docname)
    for node in list(doctree.findall(nodes.raw)):
        if "widget-view+json" not in node.astext():
            continue
        text = node.astext()
        pieces, last = [], 0
        for match in VIEW.finditer(text):
            model_id = json.loads(html.unescape(match.group(1))).get("model_id", "")
            manifest_path = folder / model_id / "manifest.json"
            if not manifest_path.is_file():
                logger.warning(f"explorable: no frames for widget {model_id} on {docname} "
                               f"(was the notebook executed by this build?)", location=node)
                continue
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            base = relative_uri(page, f"_static/explorable/{model_id}/")
            pieces += [text[last:match.start()], explorable_html(manifest, base)]
            last = match.end()
            app.env.explorable_used.add(model_id)
        if pieces:
            node.replace_self(nodes.raw("", "".join(pieces) + text[last:], format="html"))


def drop_widget_scripts(app, pagename, templatename, context, doctree):
    """No widget view left on the page: its ipywidgets state and scripts are not needed."""
    scripts = context.get("script_files")
    body = context.get("body", "")
    if not isinstance(scripts, list) or "widget-view+json" in body:
        return

    def is_widget_script(js):
        name = str(getattr(js, "filename", js) or "")
        attributes = getattr(js, "attributes", {}) or {}
        return name.endswith(WIDGET_SCRIPTS) or attributes.get("type") == "application/vnd.jupyter.widget-state+json"

    scripts[:] = [js for js in scripts if not is_widget_script(js)]


def copy_frames(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "explorable"
    for model_id in sorted(getattr(app.env, "explorable_used", ())):
        source = frames_dir(app) / model_id
        if source.is_dir():
            shutil.copytree(source, target / model_id, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("manifest.json"))


def setup(app):
    app.connect("builder-inited", set_frames_dir)
    app.connect("doctree-resolved", replace_widget_views)
    app.connect("html-page-context", drop_widget_scripts)
    app.connect("build-finished", copy_frames)
    app.add_js_file("js/explorable.js", defer="defer")
    app.add_js_file("js/course.js", defer="defer")
    app.add_css_file("css/course.css")
    return {"parallel_read_safe": True, "parallel_write_safe": False, "version": "1.0"}

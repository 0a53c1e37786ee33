"""Small fixes to the HTML that Jupyter Book 1.x's stock extensions produce.

Each one removes a console error that the browser tests (browser_tests/) would
otherwise have to allowlist.

- sphinx-thebe adds its inline configuration script (``const THEBE_JS_URL = ...``)
  through ``app.add_js_file(None, body=...)``. Sphinx's builder stores that entry once
  with the file name ``None`` and once more, read back from the registry, with the
  file name ``''``, so every page declared the constant twice and the browser threw
  "Identifier 'THEBE_JS_URL' has already been declared". Identical scripts are
  removed here, page by page, keeping the first.
"""

from __future__ import annotations


def _script_key(js):
    filename = getattr(js, "filename", js) or ""
    attributes = tuple(sorted(getattr(js, "attributes", {}).items()))
    return (str(filename), getattr(js, "priority", 500), attributes)


def dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen, unique = set(), []
    for js in scripts:
        key = _script_key(js)
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def setup(app):
    app.connect("html-page-context", dedupe_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}

"""Sphinx extension for the lessonlib API page (chapters/appendix_api.md).

Two things:

1. ``.. lessonlib-api::`` documents every public module of lessonlib with autodoc,
   one section per module. Its content lists module names, one per line, in the
   order the page should show them; modules that exist but are not listed are
   appended in alphabetical order, so a new module is never missing from the page,
   and a listed module that does not exist is a build warning (an error under -W).

2. lessonlib's docstrings write math as ``$...$`` (they are read in notebooks and
   with ``help()`` too). Docstrings are reStructuredText, where ``$`` means nothing,
   so an ``autodoc-process-docstring`` handler rewrites ``$...$`` to the
   :math: role. Double-backtick literals are left alone.
"""

from __future__ import annotations

import pkgutil
import re

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)

PACKAGE = "lessonlib"

# $...$ on one line: not $$, not escaped, no space just inside the dollars.
_INLINE_MATH = re.compile(r"(?<![\\$\w])\$(?![\s$])((?:\\\$|[^$\n])+?)(?<![\s\\])\$(?![\w$])")
_LITERAL = re.compile(r"(``.+?``)")


def dollars_to_math_role(line: str) -> str:
    """Rewrite ``$x$`` as ``:math:`x``` outside ``double-backtick`` literals."""
    parts = _LITERAL.split(line)
    for i in range(0, len(parts), 2):  # even indices are outside literals
        parts[i] = _INLINE_MATH.sub(lambda m: ":math:`" + m.group(1) + "`", parts[i])
    return "".join(parts)


_TABLE_BORDER = re.compile(r"^(\s*)=+( +=+)+\s*$")


def _parses_cleanly(rst_lines: list[str]) -> bool:
    from docutils.core import publish_doctree

    try:
        doctree = publish_doctree(
            "\n".join(rst_lines),
            settings_overrides={"report_level": 5, "halt_level": 5, "warning_stream": False},
        )
    except Exception:  # e.g. a Sphinx role, which plain docutils cannot resolve: show verbatim
        return False
    return not any(msg["level"] >= 2 for msg in doctree.findall(nodes.system_message))


def verbatim_broken_tables(lines: list[str], name: str) -> list[str]:
    """Show a simple table that is not valid reST as a literal block.

    Docstrings are written for ``help()`` first; a table whose text crosses a
    column border reads fine there but is an error for docutils. Such a table is
    shown verbatim on the API page (and named in the build log) instead of
    breaking the build.
    """
    out, i = [], 0
    while i < len(lines):
        m = _TABLE_BORDER.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        # a simple table: top border, header, separator, rows, bottom border
        borders = [j for j in range(i, len(lines)) if _TABLE_BORDER.match(lines[j])][:3]
        end = borders[-1] + 1 if len(borders) == 3 else len(lines)
        table = lines[i:end]
        if _parses_cleanly(table):
            out += table
        else:
            logger.info("lessonlib-api: the table in the docstring of %s is not valid "
                        "reStructuredText (text crosses a column border); shown verbatim", name)
            indent = m.group(1)
            out += [indent + "::", ""] + ["    " + line for line in table] + [""]
        i = end
    return out


def _process_docstring(app, what, name, obj, options, lines):
    if name == PACKAGE or name.startswith(PACKAGE + "."):
        lines[:] = verbatim_broken_tables([dollars_to_math_role(ln) for ln in lines], name)


def public_modules() -> list[str]:
    import lessonlib

    return sorted(  # modules of the sub-packages too (experiments, plotting, widgets)
        m.name
        for m in pkgutil.walk_packages(lessonlib.__path__, prefix=f"{PACKAGE}.")
        if not any(part.startswith("_") for part in m.name.split("."))
    )


class LessonlibApi(SphinxDirective):
    has_content = True

    def run(self):
        available = public_modules()
        listed = [line.strip() for line in self.content if line.strip()]
        for name in listed:
            if name not in available:
                logger.warning(
                    "lessonlib-api: %s is listed but lessonlib has no such module "
                    "(modules found: %s)", name, ", ".join(available),
                    location=(self.env.docname, self.lineno),
                )
        order = [n for n in listed if n in available]
        order += [n for n in available if n not in order]
        rst = [self._exports_paragraph(), ""]
        for name in order:
            rst += [name, "-" * len(name), "", f".. automodule:: {name}", "   :members:", ""]
        container = nodes.container()
        nested_parse_with_titles(self.state, StringList(rst, source=self.env.docname), container)
        return container.children


    @staticmethod
    def _exports_paragraph() -> str:
        """One sentence linking every name of ``lessonlib.__all__`` to its entry below."""
        import lessonlib

        links = []
        for name in lessonlib.__all__:
            module = getattr(getattr(lessonlib, name), "__module__", PACKAGE)
            links.append(f":py:obj:`~{module}.{name}`")
        return (f"The package ``{PACKAGE}`` itself exports " + ", ".join(links)
                + "; each is documented in the module that defines it, below.")


def setup(app):
    app.connect("autodoc-process-docstring", _process_docstring)
    app.add_directive("lessonlib-api", LessonlibApi)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}

#!/usr/bin/env python3
"""Make reveal.js slides from chapter notebooks, to present offline.

    python scripts/make_slides.py                         # every chapter notebook
    python scripts/make_slides.py chapters/01_chain_rule.ipynb
    python scripts/make_slides.py --out /media/usb/slides --theme black ...

Writes ``_build/slides/<chapter>.slides.html`` and, next to them, ``vendor/`` (reveal.js,
MathJax 3, require.js and the ipywidgets HTML manager, copied from ``assets/vendor/``)
and ``js/``. The folder is self-contained: copy it anywhere and serve it,

    python -m http.server -d _build/slides        # then open http://localhost:8000

or open a ``.slides.html`` file directly in the browser (checked in Chromium: the
math and its fonts load from ``file://`` too). No network is needed, to make the
slides or to show them.

Outputs. Notebooks are stored without outputs. If the website was built
(``jupyter-book build .``), the executed copy it keeps in
``_build/jupyter_execute/`` is used when it is newer than the notebook; otherwise
the notebook is executed here (about as long as ``pytest`` takes for it).

What is on the slides (scripts/slide_deck.py). One idea per slide: the title, the
learning objectives, each section's heading with its first sentence, each key
equation, each figure with a one-sentence takeaway (the first sentence of the text
after it), each myth of the myth-vs-measurement box with its measurement, each
exercise's prompt, and the summary. No paragraph on a slide has more than 40 words;
the prose, the full myth boxes and the solutions go into the speaker notes (press
``S`` for the speaker view). Citations read (Author, year), from references.bib.
Slides are 1280x720 and do not scroll; the browser tests check that none overflows.

A notebook whose author set slide types (JupyterLab's *Slide Type*, stored as
``cell.metadata.slideshow.slide_type``) is shown as the author arranged it instead,
with its MyST simplified.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))   # slide_deck
TEMPLATES = Path(__file__).resolve().parent / "slides_template"
EXECUTED = ROOT / "_build" / "jupyter_execute" / "chapters"


# --- which cells are slides ----------------------------------------------------------

def _slide_type(cell) -> str | None:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


# --- MyST -> plain Jupyter markdown ---------------------------------------------------

_FENCE = re.compile(r"^```\{(\w[\w-]*)\}[ \t]*(.*)$")


def simplify_myst(text: str) -> str:
    text = re.sub(r"\{eq\}`([^`]+)`", r"(\1)", text)
    text = re.sub(r"\{cite(?::\w+)?\}`([^`]+)`", lambda m: m.group(1).replace(",", ", "), text)
    text = re.sub(r"\{(?:term|doc|ref|numref|math)\}`([^`<]+?)(?:\s*<[^>]+>)?`", r"\1", text)
    text = re.sub(r"^(\$\$)[ \t]*\([\w:-]+\)[ \t]*$", r"\1", text, flags=re.MULTILINE)
    out, in_directive = [], False
    for line in text.splitlines():
        m = _FENCE.match(line)
        if m:
            name, arg = m.groups()
            if name in ("solution-start", "solution-end"):
                out.append("**Solution**" if name == "solution-start" else "")
            elif name in ("exercise",):
                out.append("**Exercise**")
            else:
                out.append(f"**{arg or name.capitalize()}**")
            in_directive = True
            continue
        if in_directive and re.match(r"^:[\w-]+:", line):
            continue  # directive options such as :class: or :label:
        if in_directive and line.strip() == "```":
            in_directive = False
            continue
        if not line.startswith(":") or not in_directive:
            out.append(line)
    return "\n".join(out)


# --- outputs -------------------------------------------------------------------------

def executed_notebook(path: Path):
    import nbformat

    built = EXECUTED / path.name
    if built.exists() and built.stat().st_mtime >= path.stat().st_mtime:
        print(f"  outputs from the website build: {built.relative_to(ROOT)}")
        return nbformat.read(built, as_version=4)
    from nbclient import NotebookClient

    print("  executing (no newer executed copy in _build/jupyter_execute/) ...")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


# --- export --------------------------------------------------------------------------

def make_slides(path: Path, out: Path, theme: str) -> Path:
    from nbconvert import SlidesExporter

    import slide_deck

    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:")
    nb = copy.deepcopy(executed_notebook(path))
    if any(_slide_type(c) for c in nb.cells):       # the author's own arrangement
        bib = slide_deck.citation_labels(ROOT / "references.bib")
        eqs = slide_deck.equation_numbers(nb)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = simplify_myst(slide_deck.plain(cell.source, bib, eqs))
    else:
        nb = slide_deck.deck(nb, slide_deck.citation_labels(ROOT / "references.bib"))
    exporter = SlidesExporter(
        extra_template_basedirs=[str(TEMPLATES)],
        template_name="offline",
        reveal_url_prefix="vendor/reveal.js",
        reveal_theme=theme,
        reveal_scroll=False,
        reveal_width="1280",
        reveal_height="720",
        require_js_url="vendor/requirejs/require.js",
        widget_renderer_url="vendor/html-manager/dist/embed-amd.js",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
    target = out / f"{path.stem}.slides.html"
    target.write_text(body, encoding="utf-8")
    print(f"  wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return target


def copy_assets(out: Path) -> None:
    for folder in ("vendor", "js"):
        shutil.rmtree(out / folder, ignore_errors=True)
        shutil.copytree(ROOT / "assets" / folder, out / folder,
                        ignore=shutil.ignore_patterns("README.md", "SHA256SUMS"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="chapter notebooks (default: chapters/[0-9]*.ipynb)")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "slides",
                        help="output folder (default: _build/slides)")
    parser.add_argument("--theme", default="white", choices=["white", "black"],
                        help="reveal.js theme (the two whose fonts are vendored)")
    args = parser.parse_args()
    notebooks = [p.resolve() for p in args.notebooks] or sorted((ROOT / "chapters").glob("[0-9]*.ipynb"))
    if not notebooks:
        print("no notebooks found", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    copy_assets(args.out.resolve())
    for nb in notebooks:
        make_slides(nb, args.out.resolve(), args.theme)
    print(f"serve them with: python -m http.server -d {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Keep exercise solutions out of a learner's sight in every place a chapter is opened.

    python scripts/learner_notebooks.py --check     # exit 1 if anything is out of date
    python scripts/learner_notebooks.py --write     # fix it (run after editing a chapter)

What each environment honours, and what this script does for it:

- **Website** (Jupyter Book + sphinx-exercise): the ``{solution-start}`` ...
  ``{solution-end}`` cells become a folded dropdown. Nothing to do here.
- **JupyterLab 4, Notebook 7, and Binder** (which opens JupyterLab) honour the nbformat
  cell metadata ``jupyter.source_hidden`` (and ``jupyter.outputs_hidden``): such a cell
  opens collapsed, and a click on its bar unfolds it. ``--write`` sets both on every
  solution cell of ``chapters/*.ipynb``.
- **Colab** ignores ``jupyter.source_hidden`` (it hides only its own form cells), and
  every Jupyter front end shows a ``{solution-start}`` directive as raw MyST once the
  cell is unfolded. So ``--write`` also generates a **learner copy** of each chapter,
  ``learner/<stem>.ipynb``: the same notebook with every solution cell removed, each
  ``{exercise}`` and admonition directive turned into plain Markdown (and the MyST
  roles ``{term}``, ``{eq}``, ``{cite}``, ``{ref}`` and equation labels into plain
  text), and one short note where each
  solution was, pointing to the folded solution on the website and in the full
  notebook. The Binder and Colab launch buttons open the learner copy
  (``_ext/learner_links.py``).

A solution cell is a cell tagged ``solution``, or any cell from a ``{solution-start}``
cell to its ``{solution-end}`` cell (so an untagged one cannot leak into the learner
copy). Text that shares the ``{solution-end}`` cell after the directive is kept.
``tests/test_learner_notebooks.py`` runs every learner copy top to bottom and checks
that it is up to date.
"""
from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
LEARNER = ROOT / "learner"

__all__ = ["solution_cells", "hide_solutions", "learner_notebook", "chapter_notebooks", "check", "write"]

# ```{exercise} Title  (or :::{exercise}), its options, then the body, up to the closing fence
_EXERCISE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{exercise\}[ \t]*(?P<title>[^\n]*)\n"
    r"(?P<options>(?:[ \t]*:[\w-]+:[^\n]*\n)*)"
    r"(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL)
_LABEL = re.compile(r":label:[ \t]*(\S+)")
_SOL_START = re.compile(r"^(`{3,}|:{3,})\{solution-start\}[ \t]*(\S*)", re.MULTILINE)
_SOL_END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}[ \t]*\n(?:[ \t]*:[\w-]+:[^\n]*\n)*\1[ \t]*$\n?",
                      re.MULTILINE)


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _tags(cell) -> list:
    return cell.get("metadata", {}).get("tags", [])


def solution_cells(nb) -> dict[int, str | None]:
    """Index -> label for every solution cell (label None for a tagged cell outside a block).

    A solution block runs from a markdown cell holding ``{solution-start} label`` to the
    next cell holding ``{solution-end}``; cells tagged ``solution`` count wherever they are.
    """
    found, label = {}, None
    for i, cell in enumerate(nb["cells"]):
        text = _source(cell) if cell["cell_type"] == "markdown" else ""
        start = _SOL_START.search(text)
        if start:
            label = start.group(2) or "?"
        if label is not None or "solution" in _tags(cell):
            found[i] = label
        if label is not None and _SOL_END.search(text):
            label = None
    return found


def hide_solutions(nb) -> int:
    """Set ``jupyter.source_hidden`` (and ``outputs_hidden`` for code) on every solution
    cell, in place. Returns the number of cells changed."""
    changed = 0
    for i in solution_cells(nb):
        cell = nb["cells"][i]
        want = {"source_hidden": True}
        if cell["cell_type"] == "code":
            want["outputs_hidden"] = True
        jup = cell.setdefault("metadata", {}).setdefault("jupyter", {})
        if any(jup.get(k) is not v for k, v in want.items()):
            jup.update(want)
            changed += 1
    return changed


# Admonitions (learning objectives, myths) become a bold title and their body.
_ADMONITION = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?P<kind>admonition|note|tip|hint|important|warning|caution|attention|seealso)\}"
    r"[ \t]*(?P<title>[^\n]*)\n(?P<options>(?:[ \t]*:[\w-]+:[^\n]*\n)*)(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL)
# A labelled display equation, $$ ... $$ (label): the label stays readable under it.
_EQ_LABEL = re.compile(r"^\$\$[ \t]*\(([\w-]+)\)[ \t]*$", re.MULTILINE)


def _plain_admonition(m) -> str:
    title = m.group("title").strip() or m.group("kind").capitalize()
    return f"**{title}**\n\n" + m.group("body").strip("\n")


# MyST roles that Jupyter shows raw, and what the learner copy shows instead.
_ROLE = re.compile(r"\{(term|eq|cite(?::[pt])?|ref|numref|doc)\}`([^`]*)`")


def _plain_role(match) -> str:
    role, text = match.group(1), match.group(2)
    shown = re.sub(r"\s*<[^>]*>$", "", text).strip() or text   # "text <target>" -> "text"
    if role == "eq":
        return f"equation ({text})"
    if role.startswith("cite"):
        keys = ", ".join(k.strip() for k in text.split(","))
        return keys if role == "cite:t" else f"({keys})"
    return shown


def _plain_exercise(match, counter) -> str:
    counter[0] += 1
    title = match.group("title").strip()
    head = f"**Exercise {counter[0]}" + (f": {title}**" if title else "**")
    return head + "\n\n" + match.group("body").strip("\n")


def _cell_id(label: str, taken: set) -> str:
    base = re.sub(r"[^A-Za-z0-9_-]", "-", f"solution-note-{label}")[:60]
    cid, k = base, 1
    while cid in taken:
        k += 1
        cid = f"{base[:56]}-{k}"
    taken.add(cid)
    return cid


def _note(stem: str, label: str, site: str | None) -> str:
    where = (f"[on the course website]({site.rstrip('/')}/chapters/{stem}.html#{label})" if site
             else "on the course website (folded under the exercise)")
    return (f"**Solution:** not in this learner copy. After you have tried, open it {where}, "
            f"or in the full notebook `chapters/{stem}.ipynb` of the course repository.")


def learner_notebook(nb, stem: str, site: str | None = None):
    """The learner copy of chapter notebook ``nb``: a new notebook (``nb`` is unchanged)."""
    out = copy.deepcopy(nb)
    sol = solution_cells(nb)
    taken = {c.get("id") for c in nb["cells"]}
    cells, counter, noted = [], [0], set()
    for i, cell in enumerate(out["cells"]):
        if i in sol:
            label = sol[i]
            text = _source(cell)
            end = _SOL_END.search(text) if cell["cell_type"] == "markdown" else None
            if label is not None and label not in noted:
                noted.add(label)
                cells.append({"cell_type": "markdown", "id": _cell_id(label, taken),
                              "metadata": {}, "source": _note(stem, label, site)})
            rest = text[end.end():].strip("\n") if end else ""
            if not rest:
                continue
            cell["source"] = rest                     # text after {solution-end}: keep it
            cell["metadata"].pop("jupyter", None)
            cell["metadata"]["tags"] = [t for t in _tags(cell) if t != "solution"]
        if cell["cell_type"] == "markdown":
            text = _source(cell)
            new = _EXERCISE.sub(lambda m: _plain_exercise(m, counter), text)
            new = _ADMONITION.sub(_plain_admonition, new)
            new = _EQ_LABEL.sub(lambda m: f"$$\n\n*(equation {m.group(1)})*", new)
            new = _ROLE.sub(_plain_role, new)
            if new != text:
                cell["source"] = new
        cells.append(cell)
    out["cells"] = cells
    return out


def _site_url() -> str | None:
    """``html.baseurl`` from _config.yml, if the site's address is configured."""
    import yaml
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8")) or {}
    return ((config.get("html") or {}).get("baseurl") or "").strip() or None


def chapter_notebooks() -> list[Path]:
    return sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb"))


def _load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _dump(nb) -> str:
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _plan():
    """(path, current text, wanted text) for every file this script maintains."""
    site = _site_url()
    for path in chapter_notebooks():
        nb = _load(path)
        text = path.read_text(encoding="utf-8")
        if hide_solutions(nb):
            yield path, text, _dump(nb)
        target = LEARNER / path.name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        yield target, current, _dump(learner_notebook(nb, path.stem, site))
    stale = {p.name for p in LEARNER.glob("*.ipynb")} - {p.name for p in chapter_notebooks()}
    for name in sorted(stale):
        yield LEARNER / name, (LEARNER / name).read_text(encoding="utf-8"), None


def check() -> list[str]:
    """What is out of date (empty: nothing)."""
    problems = []
    for path, current, wanted in _plan():
        rel = path.relative_to(ROOT)
        if wanted is None:
            problems.append(f"{rel}: no chapter of that name any more")
        elif current is None:
            problems.append(f"{rel}: missing")
        elif path.parent == CHAPTERS:
            problems.append(f"{rel}: solution cells without jupyter.source_hidden")
        elif current != wanted:
            problems.append(f"{rel}: out of date with chapters/{path.name}")
    return problems


def write() -> list[str]:
    done = []
    LEARNER.mkdir(exist_ok=True)
    for path, current, wanted in _plan():
        if wanted is None:
            path.unlink()
            done.append(f"removed {path.relative_to(ROOT)}")
        elif current != wanted:
            path.write_text(wanted, encoding="utf-8")
            done.append(f"wrote {path.relative_to(ROOT)}")
    return done


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="report what is out of date; exit 1 if anything is")
    mode.add_argument("--write", action="store_true", help="hide solution cells and regenerate learner/")
    args = ap.parse_args(argv)
    if args.write:
        print("\n".join(write()) or "everything was up to date")
        return 0
    problems = check()
    print("\n".join(problems) or "up to date")
    if problems:
        print("fix with: python scripts/learner_notebooks.py --write", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

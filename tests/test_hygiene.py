"""Repository hygiene: the rules that keep notebooks, the table of contents,
the library and the pinned requirements consistent with each other.

(a) chapter notebooks are stored without outputs and execution counts;
(b) every page under chapters/ is in _toc.yml, and every _toc.yml entry exists;
(c) no notebook redefines a name that lessonlib exports (``lessonlib.__all__``);
(d) requirements.txt pins every dependency with ``==`` and keeps Jupyter Book 1.x;
(e) the vendored JavaScript (assets/vendor/) is committed whole: every file in
    SHA256SUMS is present, unchanged and not ignored by git.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
NOTEBOOKS = sorted(CHAPTERS.glob("*.ipynb"))
PAGES = sorted(CHAPTERS.glob("*.ipynb")) + sorted(CHAPTERS.glob("*.md"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _load_notebook(path: Path) -> dict:
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def test_chapters_folder_has_notebooks():
    assert NOTEBOOKS, f"no notebooks found in {_rel(CHAPTERS)}/"


# --- (a) notebooks are stored clean -----------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_rel)
def test_notebook_stored_without_outputs(path: Path):
    nb = _load_notebook(path)
    dirty = []
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        problems = []
        if cell.get("outputs"):
            problems.append(f"{len(cell['outputs'])} stored output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"execution_count={cell['execution_count']}")
        if problems:
            first = _source(cell).strip().splitlines()[:1] or [""]
            dirty.append(f"  cell {i} ({', '.join(problems)}): {first[0][:60]!r}")
    assert not dirty, (
        f"{_rel(path)} must be committed without outputs and execution counts.\n"
        + "\n".join(dirty)
        + "\nClear them with: jupyter nbconvert --clear-output --inplace "
        + _rel(path)
    )


# --- (b) table of contents ---------------------------------------------------


def _toc_entries() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    assert toc.get("format") == "jb-book", "_toc.yml must use format: jb-book"
    entries = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                entries.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return entries


def _resolve(entry: str) -> list[Path]:
    path = ROOT / entry
    if path.suffix in (".md", ".ipynb"):
        return [path] if path.exists() else []
    return [p for p in (path.with_suffix(".md"), path.with_suffix(".ipynb")) if p.exists()]


def test_every_toc_entry_exists_once():
    entries = _toc_entries()
    missing = [e for e in entries if not _resolve(e)]
    assert not missing, (
        "_toc.yml lists pages that do not exist (looked for .md and .ipynb): "
        + ", ".join(missing)
    )
    ambiguous = [e for e in entries if len(_resolve(e)) > 1]
    assert not ambiguous, (
        "these _toc.yml entries match both a .md and an .ipynb file: "
        + ", ".join(ambiguous)
    )
    dupes = sorted({e for e in entries if entries.count(e) > 1})
    assert not dupes, f"_toc.yml lists these pages more than once: {', '.join(dupes)}"


def test_every_chapter_page_is_in_toc():
    listed = {p.resolve() for e in _toc_entries() for p in _resolve(e)}
    unlisted = [_rel(p) for p in PAGES if p.resolve() not in listed]
    assert not unlisted, (
        "these pages are not in _toc.yml, so the website would not show them "
        "(only_build_toc_files is true): " + ", ".join(unlisted)
    )


# --- (c) notebooks do not redefine lessonlib's names -------------------------

# Cell magics whose body is still Python.
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}


def _python_source(cell_source: str) -> str | None:
    """The Python code of a cell, with IPython magics and shell escapes removed.

    Returns None for cells whose body is not Python (e.g. %%bash, %%html).
    """
    lines = cell_source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split()[0] if lines[0].lstrip()[2:].split() else ""
        if magic not in _PYTHON_CELL_MAGICS:
            return None
        lines = lines[1:]
    kept = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            # A statement of the same indentation keeps blocks such as
            # `except ImportError:\n    %pip install ...` valid, and the line
            # count keeps line numbers in messages right.
            kept.append(line[: len(line) - len(stripped)] + "pass")
        else:
            kept.append(line)
    return "\n".join(kept)


def _target_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []  # attributes and subscripts bind no new global name


def _global_bindings(body: list[ast.stmt]):
    """(name, line, how) for each def/class/assignment that binds a notebook-global name."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node.lineno, "def"
        elif isinstance(node, ast.ClassDef):
            yield node.name, node.lineno, "class"
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                for name in _target_names(target):
                    yield name, node.lineno, "assignment"
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            for name in _target_names(node.target):
                yield name, node.lineno, "assignment"
        # Compound statements at top level still bind globals in their bodies.
        if isinstance(node, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
            for field in ("body", "orelse", "finalbody"):
                yield from _global_bindings(getattr(node, field, None) or [])
        if isinstance(node, ast.Try):
            for handler in node.handlers:
                yield from _global_bindings(handler.body)


def _lessonlib_exports() -> set[str]:
    try:
        import lessonlib
    except ModuleNotFoundError as err:
        pytest.fail(f"cannot import lessonlib ({err}); install it with: pip install -e .")
    exported = getattr(lessonlib, "__all__", None)
    assert exported, "lessonlib/__init__.py must define a non-empty __all__"
    return set(exported)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_rel)
def test_notebook_does_not_redefine_lessonlib_names(path: Path):
    exported = _lessonlib_exports()
    nb = _load_notebook(path)
    offenders = []
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        code = _python_source(_source(cell))
        if code is None:
            continue
        try:
            tree = ast.parse(code)
        except SyntaxError as err:
            pytest.fail(f"{_rel(path)} cell {i} is not valid Python: {err}")
        for name, line, how in _global_bindings(tree.body):
            if name in exported:
                offenders.append(f"  cell {i}, line {line}: {how} of {name!r}")
    assert not offenders, (
        f"{_rel(path)} redefines names that lessonlib exports; chapters must use "
        "the library's version (show it with inspect.getsource) or pick another "
        "name:\n" + "\n".join(offenders)
    )


# --- (d) pinned requirements -------------------------------------------------

_REQ_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;#]+)")


def _requirement_lines() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [ln.split(" #")[0].strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def test_requirements_are_pinned():
    lines = _requirement_lines()
    unpinned = [ln for ln in lines if ln != "-e ." and not _REQ_LINE.match(ln)]
    assert not unpinned, (
        "every line of requirements.txt must pin an exact version with == "
        "(only '-e .' may stand alone); not pinned: " + ", ".join(unpinned)
    )
    assert "-e ." in lines, (
        "requirements.txt must contain '-e .' so that pip and Binder install lessonlib"
    )
    names = [_REQ_LINE.match(ln).group(1).lower().replace("_", "-") for ln in lines if ln != "-e ."]
    dupes = sorted({n for n in names if names.count(n) > 1})
    assert not dupes, f"requirements.txt pins these packages more than once: {dupes}"


def test_jupyter_book_is_1x():
    pins = {
        m.group(1).lower().replace("_", "-"): m.group(3)
        for m in map(_REQ_LINE.match, _requirement_lines())
        if m
    }
    assert "jupyter-book" in pins, "requirements.txt must pin jupyter-book"
    assert pins["jupyter-book"].split(".")[0] == "1", (
        f"jupyter-book=={pins['jupyter-book']} is not 1.x; Jupyter Book 2 ignores "
        "_config.yml and _toc.yml, so the site would not build"
    )


def test_redefinition_detector_itself():
    """The checker above must see every way a cell can bind a name, and skip magics."""
    cell = (
        "%matplotlib inline\n"
        "try:\n    import lessonlib\nexcept ImportError:\n    %pip install lessonlib\n"
        "def sigmoid(x):\n    return x\n"
        "class Tensor: pass\n"
        "relu = None\n"
        "a, (b, *tanh) = 1, (2, 3)\n"
        "exp: object = 1\n"
        "if True:\n    log = 2\n"
        "def helper():\n    mse = 3  # local: not a notebook global\n"
        "obj.attr = 4\n"
    )
    code = _python_source(cell)
    found = {name for name, _, _ in _global_bindings(ast.parse(code).body)}
    assert {"sigmoid", "Tensor", "relu", "tanh", "exp", "log", "helper"} <= found
    assert "mse" not in found and "attr" not in found
    assert _python_source("%%bash\necho hi\n") is None
    assert _python_source("%%time\nx = 1\n").strip() == "x = 1"
    assert _python_source("!ls\n").strip() == "pass"


def test_vendored_files_are_committed():
    """A clean clone must have every vendored file (a ``dist/`` rule in .gitignore once
    dropped the widget manager and reveal.js, and only the browser tests noticed)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import vendor_js
    finally:
        sys.path.pop(0)
    assert vendor_js.check() == 0, "assets/vendor/ does not match SHA256SUMS: python scripts/vendor_js.py"
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    names = [ln.split("  ", 1)[1] for ln in
             (ROOT / "assets/vendor/SHA256SUMS").read_text(encoding="utf-8").splitlines()]
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *[f"assets/vendor/{n}" for n in names]],
        cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert not ignored, f".gitignore would keep these vendored files out of git: {ignored[:5]}"


# --- (f) the website's widgets respond: no page tells readers otherwise --------------

_DEAD_CONTROLS = re.compile(
    r"(cannot|can ?not|do not|does not|don't) (redraw|change|update)[^.]*\b(figure|plot|image)"
    r"|(slider|control)s? move,? but|the website has none", re.IGNORECASE)


@pytest.mark.parametrize("path", PAGES, ids=_rel)
def test_no_page_says_the_website_controls_do_nothing(path: Path):
    """Widgets respond on the website (precomputed frames, _ext/explorable.py), so no
    text may tell readers that moving a control there does nothing."""
    if path.suffix == ".ipynb":
        text = "\n".join(_source(c) for c in _load_notebook(path)["cells"] if c.get("cell_type") == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    found = [m.group(0) for m in _DEAD_CONTROLS.finditer(" ".join(text.split()))]
    assert not found, f"{_rel(path)}: {found}"


def test_course_assets_are_loaded_by_the_book():
    """assets/js and assets/css files of the course are each added to the pages by an
    extension in _ext/ (or by _config.yml), so none is dead or forgotten."""
    loaders = (ROOT / "_config.yml").read_text(encoding="utf-8") + "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "_ext").glob("*.py"))
    for folder in ("js", "css"):
        for asset in sorted((ROOT / "assets" / folder).glob("*")):
            assert f"{folder}/{asset.name}" in loaders, f"assets/{folder}/{asset.name} is loaded by no page"

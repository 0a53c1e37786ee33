"""Every exercise has the anatomy of the course's convention (STYLE.md, issue 15):

1. a markdown cell with an ``{exercise}`` directive and a ``:label:``;
2. a code cell tagged ``starter`` whose last statement calls a checker
   (``check_*`` or ``verdict``, from ``lessonlib.exercises`` or a chapter's own module);
3. a markdown cell tagged ``solution`` opening ``{solution-start} <the label>`` with
   ``:class: dropdown``;
4. one or more code cells tagged ``solution`` that call a checker and assert its ``.ok``;
5. a markdown cell tagged ``solution`` holding ``{solution-end}``.

No ``solution``/``starter`` tag outside that pattern, and every chapter from 1 on has at
least ``MIN_EXERCISES`` exercises. Chapters listed in ``NOT_CONVERTED_YET`` are expected to
fail (strict xfail: once a chapter passes, its entry must be removed).
"""
import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
MIN_EXERCISES = 4

# Chapters whose exercises were written before the convention (untagged solution cells,
# no starter cells). Remove a chapter from this set when it is converted.
NOT_CONVERTED_YET: dict[str, str] = {
    name: "exercises not yet converted to starter + checker + tagged solution cells (issue 15)"
    for name in ()
}

_EXERCISE = re.compile(r"^(`{3,}|:{3,})\{exercise\}[^\n]*\n((?:[ \t]*:[\w-]+:[^\n]*\n)*)", re.MULTILINE)
_LABEL = re.compile(r":label:[ \t]*(\S+)")
_SOL_START = re.compile(r"^(`{3,}|:{3,})\{solution-start\}[ \t]*(\S+)[ \t]*\n((?:[ \t]*:[\w-]+:[^\n]*\n)*)",
                        re.MULTILINE)
_SOL_END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}", re.MULTILINE)
_CHECKER = re.compile(r"^(check_\w*|verdict)$")


def _source(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


def _python(code):
    """The cell's code with IPython magics and shell escapes blanked out."""
    return "\n".join("pass" if ln.lstrip().startswith(("%", "!")) else ln for ln in code.splitlines())


def _call_name(node):
    if isinstance(node, ast.Call):
        f = node.func
        return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
    return None


def _ends_with_checker_call(code) -> bool:
    body = ast.parse(_python(code)).body
    if not body:
        return False
    last = body[-1]
    value = getattr(last, "value", None)                  # `check(...)` or `v = check(...)`
    return isinstance(last, (ast.Expr, ast.Assign, ast.AnnAssign)) and bool(_CHECKER.match(_call_name(value) or ""))


def _calls_checker_and_asserts_ok(code) -> bool:
    tree = ast.parse(_python(code))
    calls = any(_CHECKER.match(_call_name(n) or "") for n in ast.walk(tree))
    asserts_ok = any(isinstance(n, ast.Assert) and any(isinstance(a, ast.Attribute) and a.attr == "ok"
                                                       for a in ast.walk(n.test))
                     for n in ast.walk(tree))
    return calls and asserts_ok


def exercise_problems(cells) -> tuple[list[str], int]:
    """(problems, number of exercises) for a notebook's cells."""
    problems, n_ex, used = [], 0, set()
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        m = _EXERCISE.search(_source(cell))
        if not m:
            continue
        n_ex += 1
        label = (_LABEL.search(m.group(2)) or [None, None])[1]
        where = f"exercise {label or '(no :label:)'} (cell {i})"
        if not label:
            problems.append(f"{where}: the directive has no :label:")
        j = i + 1
        if j >= len(cells) or cells[j]["cell_type"] != "code" or "starter" not in _tags(cells[j]):
            problems.append(f"{where}: the next cell is not a code cell tagged 'starter'")
            continue
        used.add(j)
        try:
            if not _ends_with_checker_call(_source(cells[j])):
                problems.append(f"{where}: the starter cell (cell {j}) does not end with a checker call")
        except SyntaxError as err:
            problems.append(f"{where}: the starter cell (cell {j}) is not valid Python: {err}")
        j += 1
        start = _SOL_START.search(_source(cells[j])) if j < len(cells) and cells[j]["cell_type"] == "markdown" else None
        if not start or "solution" not in _tags(cells[j]):
            problems.append(f"{where}: cell {j} is not a markdown cell tagged 'solution' opening "
                            f"{{solution-start}} {label}")
            continue
        used.add(j)
        if start.group(2) != label:
            problems.append(f"{where}: {{solution-start}} names {start.group(2)}, not {label}")
        if ":class: dropdown" not in start.group(3):
            problems.append(f"{where}: {{solution-start}} lacks ':class: dropdown' (the website would not fold it)")
        j += 1
        codes = []
        while j < len(cells) and cells[j]["cell_type"] == "code":
            if "solution" not in _tags(cells[j]):
                problems.append(f"{where}: solution code cell {j} is not tagged 'solution'")
            codes.append(_source(cells[j]))
            used.add(j)
            j += 1
        if not codes:
            problems.append(f"{where}: no code cell tagged 'solution' after the solution's text")
        elif not any(_calls_checker_and_asserts_ok(c) for c in codes):
            problems.append(f"{where}: no solution cell calls the checker and asserts its .ok")
        end = j < len(cells) and cells[j]["cell_type"] == "markdown" and _SOL_END.search(_source(cells[j]))
        if not end or "solution" not in _tags(cells[j]):
            problems.append(f"{where}: cell {j} is not a markdown cell tagged 'solution' holding {{solution-end}}")
        else:
            used.add(j)
    for i, cell in enumerate(cells):
        if i not in used and _tags(cell) & {"starter", "solution"}:
            problems.append(f"cell {i} is tagged {sorted(_tags(cell) & {'starter', 'solution'})} "
                            "but is not part of an exercise")
    return problems, n_ex


def _params():
    for path in CHAPTERS:
        marks = []
        if path.stem in NOT_CONVERTED_YET:
            marks.append(pytest.mark.xfail(reason=NOT_CONVERTED_YET[path.stem], strict=True))
        yield pytest.param(path, marks=marks, id=path.name)


@pytest.mark.parametrize("path", list(_params()))
def test_exercise_anatomy(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    problems, n_ex = exercise_problems(cells)
    if n_ex < MIN_EXERCISES:
        problems.append(f"{n_ex} exercise(s); every chapter from 1 on needs at least {MIN_EXERCISES}")
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def _md(text, tags=()):
    return {"cell_type": "markdown", "metadata": {"tags": list(tags)}, "source": text}


def _code(text, tags=()):
    return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": text}


def _good():
    return [_md("```{exercise} T\n:label: ch9-ex-a\n\nDo it.\n```"),
            _code("def f(x):\n    ...\ncheck_function(f, g, [1])", ["starter"]),
            _md("```{solution-start} ch9-ex-a\n:class: dropdown\n```\nWhy.", ["solution"]),
            _code("def f(x):\n    return x\nassert check_function(f, g, [1]).ok", ["solution"]),
            _md("```{solution-end}\n```", ["solution"])]


def test_the_anatomy_checker_itself():
    assert exercise_problems(_good()) == ([], 1)
    bad = _good()
    bad[1]["source"] = "def f(x):\n    ...\nprint(f(1))"                 # no checker at the end
    bad[3]["metadata"]["tags"] = []                                       # untagged solution code
    bad[2]["source"] = bad[2]["source"].replace(":class: dropdown\n", "")
    problems, _ = exercise_problems(bad)
    assert any("does not end with a checker call" in p for p in problems)
    assert any("is not tagged 'solution'" in p for p in problems)
    assert any("lacks ':class: dropdown'" in p for p in problems)
    stray = _good() + [_code("x = 1", ["solution"])]
    assert any("not part of an exercise" in p for p in exercise_problems(stray)[0])
    v = _good()
    v[1]["source"] = "answer = ...\nv = lessonlib.exercises.check_number(answer, 2)"
    assert exercise_problems(v)[0] == []


GUIDE = ROOT / "chapters" / "appendix_instructor_guide.md"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_exercise_is_in_the_answer_key(path):
    """The instructor guide's answer key for chapter N has an entry ({ref}`label`) for
    each of the chapter's exercises."""
    n = int(path.name[:2])
    sections = re.split(r"^## Chapter (\d+):", GUIDE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    chapter = dict(zip(map(int, sections[1::2]), sections[2::2])).get(n)
    assert chapter is not None, f"the instructor guide has no '## Chapter {n}:' section"
    key = chapter.split("### Answer key", 1)
    assert len(key) == 2, f"chapter {n} of the instructor guide has no '### Answer key'"
    listed = set(re.findall(r"\{ref\}`([^`<>]+)`", key[1]))
    labels = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            for m in _EXERCISE.finditer(_source(cell)):
                label = _LABEL.search(m.group(2))
                if label:
                    labels.append(label.group(1))
    missing = [lab for lab in labels if lab not in listed]
    assert not missing, (f"chapter {n}: exercises without an entry in the instructor guide's answer key: "
                         f"{missing}")

"""Solutions out of sight (scripts/learner_notebooks.py), and every chapter runs without them.

- the script's transformation on a small notebook: solution cells hidden in the chapter
  (``jupyter.source_hidden``, which JupyterLab 4 / Notebook 7 / Binder honour), removed from
  the learner copy with a note in their place, ``{exercise}`` turned into plain Markdown;
- each chapter notebook with every solution cell removed (its learner copy) runs top to
  bottom in a fresh kernel: no later cell may need a name defined only in a solution;
- ``learner/`` and the chapters' hiding metadata are up to date.
"""
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import learner_notebooks as ln  # noqa: E402

sys.path.insert(0, str(ROOT))
from benchmarks.notebooks import run_notebook  # noqa: E402


def _md(text, tags=(), cid=None):
    return {"cell_type": "markdown", "id": cid or f"m{abs(hash(text)) % 10**8}",
            "metadata": {"tags": list(tags)} if tags else {}, "source": text}


def _code(text, tags=(), cid=None):
    return {"cell_type": "code", "id": cid or f"c{abs(hash(text)) % 10**8}", "execution_count": None,
            "metadata": {"tags": list(tags)} if tags else {}, "outputs": [], "source": text}


def _toy():
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        _md("## Exercises\n\n```{exercise} Build it\n:label: ch9-ex-a\n\nWrite `f`.\n```", cid="ex-a"),
        _code("def f(x):\n    ...\ncheck_function(f, g, [1])", ["starter"], cid="st-a"),
        _md("```{solution-start} ch9-ex-a\n:class: dropdown\n```\n\nBecause.", ["solution"], cid="s1"),
        _code("def f(x):\n    return x\nassert check_function(f, g, [1]).ok", ["solution"], cid="s2"),
        _md("```{solution-end}\n```", ["solution"], cid="s3"),
        _md(":::{exercise}\n:label: ch9-ex-b\n\nSecond, see {eq}`ch9-eq-a`, {term}`Jacobians <Jacobian>`, "
            "{cite:t}`he2016` and {cite:p}`a2001,b2002`.\n:::", cid="ex-b"),
        _md("```{solution-start} ch9-ex-b\n:class: dropdown\n```\nUntagged block.", cid="u1"),
        _code("print('untagged solution code')", cid="u2"),
        _md("```{solution-end}\n```\n\n## Summary\n\nText after the block.", cid="u3"),
        _md("```{admonition} Myth vs measurement\n:class: warning\n\n**Myth 1.** Wrong.\n```\n\n"
            "$$\nx = 1\n$$ (ch9-eq-a)", cid="adm"),
    ]}


def test_solution_cells_by_tag_and_by_block():
    assert ln.solution_cells(_toy()) == {2: "ch9-ex-a", 3: "ch9-ex-a", 4: "ch9-ex-a",
                                          6: "ch9-ex-b", 7: "ch9-ex-b", 8: "ch9-ex-b"}


def test_hide_solutions_sets_jupyter_metadata():
    nb = _toy()
    assert ln.hide_solutions(nb) == 6
    hidden = [i for i, c in enumerate(nb["cells"]) if c["metadata"].get("jupyter", {}).get("source_hidden")]
    assert hidden == [2, 3, 4, 6, 7, 8]
    assert nb["cells"][3]["metadata"]["jupyter"] == {"source_hidden": True, "outputs_hidden": True}
    assert ln.hide_solutions(nb) == 0                       # idempotent


def test_learner_copy_has_no_solution_and_no_raw_exercise_myst():
    nb = _toy()
    out = ln.learner_notebook(nb, "09_toy", site="https://example.org/course/")
    text = json.dumps(out)
    for raw in ("solution-start", "solution-end", "{exercise}", "untagged solution code", "Because."):
        assert raw not in text, raw
    sources = [ln._source(c) for c in out["cells"]]
    assert sources[0].startswith("## Exercises\n\n**Exercise 1: Build it**\n\nWrite `f`.")
    assert sources[2].startswith("**Solution:** not in this learner copy")
    assert "https://example.org/course/chapters/09_toy.html#ch9-ex-a" in sources[2]
    assert sources[3] == ("**Exercise 2**\n\nSecond, see equation (ch9-eq-a), Jacobians, he2016 and "
                          "(a2001, b2002).")
    assert sources[5] == "## Summary\n\nText after the block."          # kept, untagged
    assert sources[6] == ("**Myth vs measurement**\n\n**Myth 1.** Wrong.\n\n"
                          "$$\nx = 1\n$$\n\n*(equation ch9-eq-a)*")
    assert [c["id"] for c in out["cells"]][:2] == ["ex-a", "st-a"]      # ids kept
    assert len({c["id"] for c in out["cells"]}) == len(out["cells"])
    assert len(nb["cells"]) == 10                                       # the chapter is unchanged


CHAPTERS = ln.chapter_notebooks()


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_runs_without_its_solutions(path):
    nb = ln._load(path)
    if not ln.solution_cells(nb):
        pytest.skip("no solution cells: identical to the notebook nbval already runs")
    import nbformat
    learner = nbformat.reads(json.dumps(ln.learner_notebook(nb, path.stem)), as_version=4)
    seconds, _ = run_notebook(learner)                  # raises CellExecutionError naming the cell
    print(f"{path.name} without solutions: {seconds:.1f} s")


def test_learner_copies_and_hiding_are_up_to_date():
    problems = ln.check()
    assert not problems, "\n".join(problems) + "\nfix with: python scripts/learner_notebooks.py --write"

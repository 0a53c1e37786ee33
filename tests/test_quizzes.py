"""Self-check quizzes (scripts/quizzes.py): the quiz files are valid jupyterquiz JSON, the
Self-check section lands before the Summary, and every notebook is up to date."""
import base64
import copy
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import quizzes  # noqa: E402

MC = {"question": "Q?", "type": "multiple_choice", "answers": [
    {"answer": "yes", "correct": True, "feedback": "right, because"},
    {"answer": "no", "correct": False, "feedback": "wrong, because"}]}
NUM = {"question": "How many?", "type": "numeric", "answers": [
    {"type": "value", "value": 132, "correct": True, "feedback": "right"},
    {"type": "range", "range": [1, 30], "correct": False, "feedback": "too few"},
    {"type": "default", "feedback": "solve it"}]}
GOOD = [MC, NUM, MC, NUM]


def test_validate_accepts_a_good_quiz():
    assert quizzes.validate(GOOD) == []


@pytest.mark.parametrize("mutate, expected", [
    (lambda q: q[:2], "2 questions; a chapter's self-check has 4-6"),
    (lambda q: q.__setitem__(0, {**MC, "type": "essay"}) or q, "'type' must be"),
    (lambda q: q[0]["answers"][0].pop("feedback") and q, "no 'feedback'"),
    (lambda q: q[0]["answers"][0].__setitem__("correct", False) or q, "no answer is marked correct"),
    (lambda q: q[0]["answers"][1].__setitem__("correct", True) or q, "use many_choice"),
    (lambda q: q[1].__setitem__("precision", 0) or q, "'precision' is a number of significant digits"),
    (lambda q: q[1]["answers"][1].__setitem__("range", [30, 1]) or q, "needs 'range': [low, high]"),
])
def test_validate_names_the_problem(mutate, expected):
    problems = quizzes.validate(mutate(copy.deepcopy(GOOD)))
    assert any(expected in p for p in problems), problems


def _nb(*texts):
    return {"cells": [{"cell_type": "markdown", "id": f"m{i}", "metadata": {}, "source": t}
                      for i, t in enumerate(texts)], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_with_quiz_inserts_before_summary_and_replaces():
    nb = quizzes.with_quiz(_nb("# Ch", "text", "## Summary\n\n* a"), "01_x", GOOD)
    kinds = [(c["cell_type"], c["metadata"].get("tags", [])) for c in nb["cells"]]
    assert kinds[2:4] == [("markdown", ["self-check"]), ("code", ["remove-input", "self-check"])]
    assert nb["cells"][2]["source"].startswith("## Self-check")
    assert nb["cells"][4]["source"].startswith("## Summary")
    code = nb["cells"][3]
    assert code["metadata"]["jupyter"] == {"source_hidden": True}
    assert "132" not in code["source"] and "right, because" not in code["source"]   # not in plain sight
    data = re.search(r'b64decode\("([^"]+)"\)', code["source"]).group(1)
    assert json.loads(base64.b64decode(data)) == GOOD
    again = quizzes.with_quiz(copy.deepcopy(nb), "01_x", GOOD)
    assert again == nb                                                   # idempotent
    assert len(quizzes.with_quiz(nb, "01_x", None)["cells"]) == 3        # removed


def test_with_quiz_splits_a_cell_that_ends_a_solution_and_starts_the_summary():
    nb = quizzes.with_quiz(_nb("# Ch", "```{solution-end}\n```\n\n## Summary\n\n* a"), "01_x", GOOD)
    assert [c["source"][:12] for c in nb["cells"]] == [
        "# Ch", "```{solution", "## Self-chec", nb["cells"][3]["source"][:12], "## Summary\n\n"]
    with pytest.raises(ValueError, match="no markdown cell with a '## Summary' heading"):
        quizzes.with_quiz(_nb("# Ch"), "01_x", GOOD)


def test_the_quiz_cell_runs_and_displays_the_quiz():
    """Executed as a notebook would: jupyterquiz renders HTML and JavaScript outputs."""
    from IPython.core.interactiveshell import InteractiveShell
    cell = quizzes.quiz_cells("01_x", GOOD)[1]["source"]
    shell = InteractiveShell.instance()
    shown = []
    import IPython.display as disp
    real = disp.display
    try:
        import jupyterquiz.dynamic.display as jq
        jq.display = lambda *objs, **kw: shown.extend(objs)
        result = shell.run_cell(cell)
    finally:
        jq.display = real
    assert result.success, result.error_in_exec
    kinds = {type(o).__name__ for o in shown}
    assert kinds == {"HTML", "Javascript"}
    script = next(o.data for o in shown if type(o).__name__ == "Javascript")
    assert "show_questions" in script and "How many?" in script


def test_every_quiz_file_is_valid_and_every_notebook_up_to_date():
    problems = quizzes.check()
    assert not problems, "\n".join(problems) + "\nfix with: python scripts/quizzes.py --write"

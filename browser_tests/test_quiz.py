"""Browser test of the self-check quizzes (jupyterquiz, inserted by scripts/quizzes.py).

Run after a build, like test_site.py (whose offline fixtures it reuses):

    pytest browser_tests/test_quiz.py -o addopts="" -p no:cacheprovider

On every chapter page that has a self-check, offline (every non-local request blocked):
the quiz is rendered from the page alone (no kernel, no network); a wrong answer to a
multiple-choice question shows its "incorrect" feedback and a right one its "correct"
feedback; a numeric question marks a wrong number and then the right one; no console
error, no failed request.
"""
from __future__ import annotations

import base64
import json
import re

import pytest

import test_site
from test_site import BUILD, CHROMIUM_ARGS, SITE, open_page, wait_for_mathjax


# Module-scoped copies of test_site's fixtures: closed before test_site.py opens its own
# session-wide browser (two sync playwright instances cannot be alive in one thread;
# pytest runs the files of this folder in alphabetical order).
@pytest.fixture(scope="module")
def base_url():
    yield from getattr(test_site.base_url, "__wrapped__", test_site.base_url)()


@pytest.fixture(scope="module")
def browser():
    yield from getattr(test_site.browser, "__wrapped__", test_site.browser)()

QUIZ_CELL = re.compile(r'b64decode\(\\?"([A-Za-z0-9+/=]+)\\?"\)')


def _quiz_pages():
    """(page path under _build, questions) for every chapter page with a self-check."""
    out = []
    if not SITE.is_dir():
        return out
    for page in sorted(SITE.glob("chapters/[0-9][0-9]_*.html")):
        source = BUILD / "jupyter_execute" / "chapters" / (page.stem + ".ipynb")
        text = source.read_text(encoding="utf-8") if source.exists() else ""
        m = QUIZ_CELL.search(text)
        if m:
            out.append((page.relative_to(BUILD).as_posix(), json.loads(base64.b64decode(m.group(1)))))
    return out


QUIZ_PAGES = _quiz_pages()


def test_some_chapter_has_a_quiz():
    assert QUIZ_PAGES, ("no built chapter page has a self-check: write chapters/quizzes/<stem>.json, "
                        "run python scripts/quizzes.py --write, and build the site")


def _question_div(page, text):
    """The rendered question whose text starts like ``text``."""
    start = re.sub(r"\s+", " ", text)[:40]
    qs = page.locator("div.Quiz")
    for i in range(qs.count()):
        q = qs.nth(i)
        if re.sub(r"\s+", " ", q.inner_text()).startswith(start):
            return q
    raise AssertionError(f"question not found on the page: {start!r}")


def _feedback(q):
    fb = q.locator(".Feedback")
    fb.first.wait_for(state="visible")
    return fb.first


@pytest.mark.parametrize("page_path, questions", QUIZ_PAGES, ids=[p for p, _ in QUIZ_PAGES])
def test_quiz_answers_offline(browser, base_url, page_path, questions):
    page, context, log = open_page(browser, base_url + page_path)
    try:
        wait_for_mathjax(page)
        page.locator("div.Quiz").first.wait_for(state="attached")
        assert page.locator("div.Quiz").count() == len(questions), "not every question was rendered"
        checked = 0
        for q in questions:
            if q["type"] != "multiple_choice" or checked:
                continue
            div = _question_div(page, q["question"])
            div.scroll_into_view_if_needed()
            wrong = next(a for a in q["answers"] if not a["correct"])
            right = next(a for a in q["answers"] if a["correct"])
            div.locator("label.MCButton", has_text=wrong["answer"][:40]).click()
            fb = _feedback(div)
            assert "incorrect" in fb.get_attribute("class")
            assert wrong["feedback"][:30] in fb.inner_text()
            div.locator("label.MCButton", has_text=right["answer"][:40]).click()
            page.wait_for_function("el => el.classList.contains('correct')", arg=fb.element_handle())
            assert right["feedback"][:30] in fb.inner_text()
            checked += 1
        numeric = [q for q in questions if q["type"] == "numeric"]
        for q in numeric[:1]:
            div = _question_div(page, q["question"])
            right = next(a for a in q["answers"] if a.get("type") in ("value", "range") and a["correct"])
            value = right["value"] if right["type"] == "value" else sum(right["range"]) / 2
            box = div.locator("input.Input-text")
            box.fill(str(value * 3 + 1))
            box.press("Enter")
            fb = _feedback(div)
            assert "incorrect" in fb.get_attribute("class")
            box.fill(str(value))
            box.press("Enter")
            page.wait_for_function("el => el.classList.contains('correct')", arg=fb.element_handle())
        assert checked, "the quiz has no multiple-choice question to answer"
        page.wait_for_timeout(800)          # jupyterquiz typesets with MathJax after 500 ms
        assert not log.blocked, f"the quiz needed the network: {log.blocked}"
        assert not log.unexplained_console_errors(), log.console_errors
        assert not log.failed, log.failed
    finally:
        context.close()

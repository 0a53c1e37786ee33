"""The slide decks teach (scripts/slide_deck.py, used by scripts/make_slides.py).

Built here from the stored chapter notebooks (no outputs, so no figures; the browser
tests check the made decks, figures included, for overflow and citation keys):
one slide per objective group, key equation, myth and exercise prompt; no paragraph
on a slide over 40 words; the prose in the speaker notes; citations as (Author, year).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import slide_deck  # noqa: E402

NOTEBOOKS = sorted((ROOT / "chapters").glob("[0-9]*.ipynb"))
BIB = slide_deck.citation_labels(ROOT / "references.bib")


def _slides(deck_nb, kind="slide"):
    return [c for c in deck_nb.cells if c.cell_type == "markdown"
            and c.metadata.get("slideshow", {}).get("slide_type") == kind]


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=lambda p: p.stem)
def chapter(request):
    nb = nbformat.read(request.param, as_version=4)
    return nb, slide_deck.deck(nb, BIB)


def test_no_paragraph_on_a_slide_is_longer_than_40_words(chapter):
    _, deck = chapter
    long = [p for p in slide_deck.slide_paragraphs(deck) if slide_deck.words(p) > slide_deck.MAX_WORDS]
    assert not long, long[:3]


def test_citations_read_author_year(chapter):
    nb, deck = chapter
    text = "\n".join(c.source for c in deck.cells if c.cell_type == "markdown")
    assert "{cite" not in text
    raw = sorted({k for k in BIB if re.search(rf"(?<![\w/.-]){re.escape(k)}(?![\w-])", text)})
    assert not raw, raw
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    before_references = re.split(r"^## References", markdown, flags=re.MULTILINE)[0]
    cited = set(re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", before_references))
    for key in {k.strip() for group in cited for k in group.split(",")}:
        who, year = BIB[key]
        assert who in text and year in text, key


def test_objectives_myths_exercises_and_equations_have_slides(chapter):
    nb, deck = chapter
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    titles = [c.source.splitlines()[0] for c in _slides(deck)]
    assert any("Learning objectives" in t for t in titles)
    assert sum("myth vs measurement" in t for t in titles) == len(re.findall(r"\*\*Myth \d+", source))
    assert sum(t.startswith("### Exercise") for t in titles) == source.count("```{exercise}")
    labelled = re.findall(r"^\$\$\s*\(([\w:-]+)\)\s*$", source, flags=re.MULTILINE)
    tags = "\n".join(c.source for c in _slides(deck))
    assert tags.count("\\tag{") >= len(set(labelled))
    # every chapter derives numbered equations, except the capstone, which applies chapters 1-8
    assert labelled or "Capstone" in source or "capstone" in source


def test_the_prose_is_in_the_speaker_notes(chapter):
    nb, deck = chapter
    notes = " ".join(" ".join(c.source.split()) for c in _slides(deck, "notes"))
    prose = [" ".join(b.split()) for c in nb.cells if c.cell_type == "markdown"
             and "remove-cell" not in c.metadata.get("tags", [])
             for kind, _, b in slide_deck.blocks(slide_deck.plain(c.source, BIB, slide_deck.equation_numbers(nb)))
             if kind == "para" and slide_deck.words(b) > slide_deck.MAX_WORDS]
    missing = [p[:80] for p in prose if p[:60] not in notes]
    assert len(missing) <= len(prose) // 10, missing[:5]   # (paragraphs of the References section are left out)


@pytest.mark.parametrize("text, expected", [
    ("{cite}`ioffe2015`", "(Ioffe and Szegedy, 2015)"),
    ("{cite:t}`he2015`", "He et al. (2015)"),
    ("{cite:p}`glorot2010,he2015`", "(Glorot and Bengio, 2010; He et al., 2015)"),
])
def test_citation_format(text, expected):
    assert slide_deck.plain(text, BIB, {}) == expected


def test_shorten_keeps_math_whole_and_marks_the_cut():
    text = "The gradient $\\partial L / \\partial h$ " + "grows " * 50 + "end."
    short = slide_deck.shorten(text)
    assert short.endswith("…") and slide_deck.words(short) <= slide_deck.MAX_WORDS and short.count("$") % 2 == 0

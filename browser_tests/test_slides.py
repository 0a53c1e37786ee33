"""Browser tests of the slide decks (scripts/make_slides.py), offline, after the decks were made.

- no raw citation key ({cite}`key` or a references.bib key standing alone) anywhere in
  a deck, speaker notes included: citations read (Author, year);
- no slide overflows its 1280x720 box: every element of every slide (speaker notes
  excepted) lies inside it;
- no console error, nothing fetched from the network (test_site.py checks the decks load).
"""
from __future__ import annotations

import re

import pytest

from test_site import BUILD, DECKS, ROOT, base_url, browser, open_page  # noqa: F401  (fixtures)

BIB_KEYS = re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(encoding="utf-8"), re.MULTILINE)

OVERFLOW = """() => {
    const slide = Reveal.getCurrentSlide();
    const cfg = Reveal.getConfig(), scale = Reveal.getScale();
    const box = slide.getBoundingClientRect();
    const right = box.left + cfg.width * scale + 2, bottom = box.top + cfg.height * scale + 2;
    const out = [];
    if (slide.scrollHeight > cfg.height + 2) out.push('content height ' + slide.scrollHeight);
    for (const el of slide.querySelectorAll('*')) {
        if (el.closest('aside.notes, mjx-assistive-mml')) continue;
        // each line box of an inline element (a wrapped one spans several)
        const rects = Array.from(el.getClientRects()).filter(r => r.width > 0 && r.height > 0);
        if (rects.some(r => r.right > right || r.bottom > bottom || r.left < box.left - 2 || r.top < box.top - 2)) {
            out.push(el.tagName + '.' + el.className + ' ' + (el.textContent || '').trim().slice(0, 50));
            break;
        }
    }
    return out;
}"""


def test_decks_were_made():
    assert len(DECKS) >= 7, "make the slides first: python scripts/make_slides.py"


@pytest.mark.parametrize("deck", DECKS)
def test_no_raw_citation_key(deck):
    text = (BUILD / deck).read_text(encoding="utf-8")
    assert "{cite" not in text, f"{deck}: a {{cite}} role was left as it is"
    visible = re.sub(r"<[^>]+>", " ", text)
    raw = sorted({k for k in BIB_KEYS if re.search(rf"(?<![\w/.-]){re.escape(k)}(?![\w-])", visible)})
    assert not raw, f"{deck}: raw citation keys {raw}"


@pytest.mark.parametrize("deck", DECKS)
def test_no_slide_overflows(browser, base_url, deck):
    page, context, log = open_page(browser, base_url + deck)
    try:
        page.set_viewport_size({"width": 1280, "height": 720})
        page.wait_for_function("() => window.Reveal && Reveal.isReady && Reveal.isReady()")
        page.evaluate("""async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }""")
        page.evaluate("() => Reveal.configure({transition: 'none', backgroundTransition: 'none'})")
        problems = []
        slides = page.evaluate("() => Reveal.getSlides().map(s => [Reveal.getIndices(s).h, Reveal.getIndices(s).v || 0])")
        for h, v in slides:
            page.evaluate(f"() => Reveal.slide({h}, {v})")
            page.wait_for_timeout(60)
            found = page.evaluate(OVERFLOW)
            if found:
                title = page.evaluate("() => (Reveal.getCurrentSlide().querySelector('h1,h2,h3') || {}).textContent")
                problems.append(f"slide {h + 1} ({title!r}) overflows: {found}")
                page.screenshot(path=str(BUILD / "screenshots" / f"overflow_{deck.split('/')[-1]}_{h + 1}.png"))
        problems += [f"console error: {m}" for m in log.unexplained_console_errors()]
        problems += [f"needed the network: {u}" for u in log.blocked]
        assert not problems, f"{deck} ({len(slides)} slides):\n  " + "\n  ".join(problems)
    finally:
        context.close()

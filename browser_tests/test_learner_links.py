"""The Binder and Colab buttons of a chapter page open its learner copy (no solutions).

Reads the built HTML (no browser needed); run with the other browser tests after a build:

    pytest browser_tests/test_learner_links.py -o addopts="" -p no:cacheprovider

``_ext/learner_links.py`` rewrites the launch links of chapters/<stem> to
learner/<stem>.ipynb when that file exists (scripts/learner_notebooks.py writes it).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
PAGES = sorted(p for p in SITE.glob("chapters/[0-9][0-9]_*.html")
               if (ROOT / "chapters" / f"{p.stem}.ipynb").is_file()) if SITE.is_dir() else []
LAUNCH = re.compile(r'href="(https://(?:mybinder\.org|colab\.research\.google\.com)[^"]*)"')


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_launch_buttons_open_the_learner_copy(page):
    stem = page.stem
    if not (ROOT / "learner" / f"{stem}.ipynb").is_file():
        pytest.skip(f"learner/{stem}.ipynb missing: python scripts/learner_notebooks.py --write")
    links = LAUNCH.findall(page.read_text(encoding="utf-8"))
    assert links, f"{page.name}: no Binder or Colab link"
    for url in links:
        assert f"learner/{stem}.ipynb" in url and f"chapters/{stem}.ipynb" not in url, url

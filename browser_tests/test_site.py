"""Browser tests of the built website (and of the slides, when they were made).

Run after a build, from the repository root (this is what .ci/run does):

    jupyter-book build . -W -n --keep-going
    bash scripts/make_slides.sh                      # optional: checks the slides too
    pytest browser_tests -o addopts="" -p no:cacheprovider

Not part of the plain `pytest` run: this folder is outside `testpaths`.

Every HTML page under _build/html (and every deck under _build/slides) is opened
in headless Chromium, driven by playwright, from a local HTTP server on 127.0.0.1.
Every request to any other host is blocked and recorded, and the test asserts that
there was none: the site must work offline. On each page it checks

- no console errors and no uncaught exceptions (except CONSOLE_ALLOWLIST below);
- no local request failed (a missing file shows up here);
- math is typeset: every Sphinx math element holds a MathJax `mjx-container`, and no
  raw TeX delimiters (`$$`, `\\(`, `\\[`, `\\begin{`, `$...\\...$`) are left in the text
  outside code;
- every <img> loaded (naturalWidth > 0) and has a non-empty alt text;
- every internal link points to an existing file, and every #anchor to an existing id;
- pages with ipywidgets: every widget view is rendered by the (local) HTML manager;
  pages with widgets or explorable figures (the widgets made explorable by
  _ext/explorable.py; test_explorable.py moves their controls): a static figure comes
  before the first one, and the page mentions the kernel (Binder, Colab or a local
  Jupyter) that computes any setting;

and saves a screenshot of the first screen under _build/screenshots/.

Chromium: Debian's `chromium` package (found on PATH, or set CHROMIUM=/path).
"""

from __future__ import annotations

import functools
import html.parser
import re
import shutil
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import os

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
SITE = BUILD / "html"
SLIDES = BUILD / "slides"
SCREENSHOTS = BUILD / "screenshots"

sys.path.insert(0, str(ROOT / "scripts"))
import vendor_js  # noqa: E402  (scripts/vendor_js.py: the vendored files and their checksums)

# Console messages that may appear although the site works. Each entry: a regular
# expression matched against the message text, and the reason it is harmless.
# Keep this list short; an entry that never matches any more should be removed.
CONSOLE_ALLOWLIST: list[tuple[str, str]] = [
]

# Chromium flags: no sandbox (CI runs as root in a container), no GPU, and none of
# the browser's own background traffic (updates, sync, QUIC probing).
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 30_000

# Pages: every .html file of the built site except Sphinx's copies of static files.
PAGES = sorted(
    p.relative_to(BUILD).as_posix()
    for p in SITE.rglob("*.html")
    if not p.relative_to(SITE).as_posix().startswith(("_static/", "_sources/", "_images/"))
) if SITE.is_dir() else []
DECKS = sorted(p.relative_to(BUILD).as_posix() for p in SLIDES.glob("*.slides.html")) \
    if SLIDES.is_dir() else []

# TeX that MathJax should have replaced; looked for in text outside code.
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\n]*\\[a-zA-Z]+[^$\n]*\$")


# --- fixtures ----------------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output readable
        pass


@pytest.fixture(scope="session")
def base_url():
    """Serve _build/ on 127.0.0.1 (an OS-chosen port) for the whole session."""
    handler = partial(_QuietHandler, directory=str(BUILD))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


# One Chromium for the whole session, shared by every test file that imports this
# fixture (each import makes a fixture of its own, and playwright's sync API cannot be
# started twice in one process). browser_tests/conftest.py stops it at the end.
_SHARED: dict = {}


def shared_browser():
    if "browser" not in _SHARED:
        from playwright.sync_api import sync_playwright

        executable = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
        if not executable:
            pytest.fail("chromium not found on PATH: apt-get install -y chromium (or set CHROMIUM)")
        _SHARED["playwright"] = sync_playwright().start()
        _SHARED["browser"] = _SHARED["playwright"].chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    return _SHARED["browser"]


def stop_shared_browser():
    if "browser" in _SHARED:
        _SHARED.pop("browser").close()
        _SHARED.pop("playwright").stop()


@pytest.fixture(scope="session")
def browser():
    yield shared_browser()


class PageLog:
    """What happened while a page loaded: console errors, blocked and failed requests."""

    def __init__(self):
        self.console_errors: list[str] = []
        self.blocked: list[str] = []
        self.failed: list[str] = []

    def unexplained_console_errors(self) -> list[str]:
        return [m for m in self.console_errors
                if not any(re.search(pattern, m) for pattern, _ in CONSOLE_ALLOWLIST)]


def open_page(browser, url: str):
    """Open url with every non-local request blocked; return (page, context, log)."""
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    context.set_default_timeout(TIMEOUT_MS)
    log = PageLog()

    def route(route):
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            log.blocked.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and log.console_errors.append(
        f"{msg.text} [{msg.location.get('url', '')}:{msg.location.get('lineNumber', '')}]"))
    page.on("pageerror", lambda exc: log.console_errors.append(f"uncaught: {exc}"))
    page.on("requestfailed", lambda req: urlsplit(req.url).hostname == "127.0.0.1"
            and log.failed.append(f"{req.url} ({req.failure})"))
    page.on("response", lambda resp: resp.status >= 400
            and log.failed.append(f"{resp.url} (HTTP {resp.status})"))
    page.goto(url, wait_until="load")
    return page, context, log


def wait_for_mathjax(page):
    """Wait until MathJax (if the page loads it) has typeset the whole page."""
    page.evaluate("""async () => {
        if (!document.querySelector('script[src*="mathjax"]')) return;
        for (let i = 0; i < 200 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
            await new Promise(r => setTimeout(r, 50));
        if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
    }""")


def load_all_images(page):
    """Load lazy images too (those below the first screen or in folded solutions)."""
    page.evaluate("""async () => {
        const imgs = Array.from(document.images);
        imgs.forEach(img => { img.loading = 'eager'; });
        await Promise.all(imgs.map(img => img.complete ? null :
            new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r); })));
    }""")


# --- static information about the built files ---------------------------------------


class _IdCollector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key == "id" or (tag == "a" and key == "name"):
                self.ids.add(value)


@functools.lru_cache(maxsize=None)
def ids_in_file(path: Path) -> frozenset:
    collector = _IdCollector()
    collector.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(collector.ids)


def local_file(url: str, base_url: str) -> Path:
    path = unquote(urlsplit(url).path)
    target = BUILD / path.lstrip("/")
    return target / "index.html" if path.endswith("/") or target.is_dir() else target


# --- tests -------------------------------------------------------------------------


def test_site_was_built():
    assert (SITE / "index.html").is_file(), "build the site first: jupyter-book build ."
    assert len(PAGES) >= 5, f"expected the whole site, found only {PAGES}"


def test_vendored_files_match_their_checksums():
    """assets/vendor/ is exactly what scripts/vendor_js.py copied from the pinned packages."""
    assert vendor_js.check() == 0, "run: python scripts/vendor_js.py --check"


def test_only_the_vendored_entry_points_are_loaded():
    """No page loads a vendored file other than the three entry points.

    Guards against a top-level _static/ folder: Jupyter Book would then add every
    .js/.css file of every static folder (all of MathJax's) to every page.
    """
    allowed = {"vendor/mathjax/es5/tex-mml-chtml.js", "vendor/requirejs/require.js",
               "vendor/html-manager/dist/embed-amd.js"}
    for page in PAGES:
        text = (BUILD / page).read_text(encoding="utf-8")
        used = set(re.findall(r'(?:src|href)="[^"]*_static/(vendor/[^"?]+)', text))
        assert used <= allowed, f"{page} loads unexpected vendored files: {sorted(used - allowed)}"


REFRESH = re.compile(r'<meta http-equiv="refresh" content="\d+;\s*url=([^"]+)"', re.IGNORECASE)


@pytest.mark.parametrize("page_path", PAGES)
def test_page(browser, base_url, page_path):
    url = base_url + page_path
    redirect = REFRESH.search((BUILD / page_path).read_text(encoding="utf-8"))
    if redirect:  # e.g. index.html, which sends the reader to the preface
        target = (BUILD / page_path).parent / redirect.group(1)
        assert target.is_file(), f"{page_path} redirects to a missing page: {redirect.group(1)}"
        page, context, log = open_page(browser, url)
        try:
            page.wait_for_url(re.compile(re.escape(redirect.group(1).split("#")[0]) + "$"))
            assert not log.blocked and not log.unexplained_console_errors() and not log.failed, vars(log)
        finally:
            context.close()
        return
    page, context, log = open_page(browser, url)
    try:
        wait_for_mathjax(page)
        load_all_images(page)
        has_widgets = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count() > 0
        has_explorables = page.locator(".explorable").count() > 0
        if has_widgets:
            page.wait_for_function(
                """() => Array.from(document.querySelectorAll(
                        'script[type="application/vnd.jupyter.widget-view+json"]'))
                    .every(s => s.previousElementSibling &&
                                s.previousElementSibling.classList.contains('widget-subarea') &&
                                s.previousElementSibling.children.length > 0)""",
                timeout=TIMEOUT_MS,
            )
        page.wait_for_timeout(300)  # late console messages
        shot = SCREENSHOTS / (page_path.removeprefix("html/").replace("/", "__").removesuffix(".html") + ".png")
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))

        problems = []
        # 1. offline: nothing outside 127.0.0.1 was requested
        problems += [f"needed the network: {u}" for u in log.blocked]
        # 2. console and local requests
        problems += [f"console error: {m}" for m in log.unexplained_console_errors()]
        problems += [f"failed request: {m}" for m in log.failed]
        # 3. math typeset
        math = page.evaluate("""() => {
            const els = Array.from(document.querySelectorAll('.math'));
            return {total: els.length,
                    untypeset: els.filter(e => !e.querySelector('mjx-container'))
                                  .map(e => e.textContent.slice(0, 80))};
        }""")
        problems += [f"math not typeset: {t!r}" for t in math["untypeset"][:5]]
        text = page.evaluate("""() => {
            const skip = 'pre, code, script, style, textarea, mjx-container, .highlight, .MathJax';
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            const out = [];
            while (walker.nextNode()) {
                const n = walker.currentNode;
                if (!n.parentElement.closest(skip)) out.push(n.textContent);
            }
            return out.join(' ');
        }""")
        for m in list(RAW_TEX.finditer(text))[:5]:
            problems.append(f"raw TeX in the text: ...{text[max(0, m.start() - 40):m.end() + 40]!r}...")
        # 4. images
        images = page.evaluate("""() => Array.from(document.images).map(img => ({
            src: img.getAttribute('src'), ok: img.complete && img.naturalWidth > 0,
            alt: (img.getAttribute('alt') || '').trim()}))""")
        problems += [f"image did not load: {i['src']}" for i in images if not i["ok"]]
        problems += [f"image without alt text: {i['src']}" for i in images if not i["alt"]]
        # 5. internal links and anchors
        links = page.evaluate("() => Array.from(document.querySelectorAll('a[href]'), a => a.href)")
        dom_ids = set(page.evaluate("() => Array.from(document.querySelectorAll('[id], a[name]'), "
                                    "e => e.id || e.getAttribute('name'))"))
        for href in sorted(set(links)):
            parts = urlsplit(href)
            if parts.scheme not in ("http", "https") or parts.hostname != "127.0.0.1":
                continue  # external sites (Binder, Colab, the repository) and mailto:
            target = local_file(href, base_url)
            if not target.is_file():
                problems.append(f"broken link: {href}")
                continue
            if parts.fragment and target.suffix == ".html":
                anchor = unquote(parts.fragment)
                same_page = target == BUILD / page_path
                if anchor not in ids_in_file(target) and not (same_page and anchor in dom_ids):
                    problems.append(f"broken anchor: {href}")
        # 6. widgets (live or explorable): rendered, after a static figure, and explained
        if has_widgets or has_explorables:
            order = page.evaluate("""() => {
                const first = document.querySelector(
                    'script[type="application/vnd.jupyter.widget-view+json"], .explorable');
                const imgs = Array.from(document.querySelectorAll('main img'));
                return imgs.some(img => img.compareDocumentPosition(first) & Node.DOCUMENT_POSITION_FOLLOWING);
            }""")
            if not order:
                problems.append("widget page: no static figure before the first widget")
            article = page.inner_text("main")
            if not re.search(r"kernel", article, re.IGNORECASE):
                problems.append("widget page: the text never says that the widget needs a kernel")
        assert not problems, f"{page_path}:\n  " + "\n  ".join(problems)
        if math["total"]:
            assert page.locator("mjx-container").count() >= math["total"]
    finally:
        context.close()


def test_math_pages_exist():
    """The math check above is not vacuous: the chapter pages do contain math."""
    with_math = [p for p in PAGES if 'class="math' in (BUILD / p).read_text(encoding="utf-8")]
    assert "html/chapters/01_chain_rule.html" in with_math, with_math


@pytest.mark.parametrize("deck", DECKS)
def test_slides(browser, base_url, deck):
    """A reveal.js deck made by scripts/make_slides.sh works offline."""
    page, context, log = open_page(browser, base_url + deck)
    try:
        page.wait_for_function("() => window.Reveal && Reveal.isReady && Reveal.isReady()")
        wait_for_mathjax(page)
        page.wait_for_timeout(300)
        n_slides = page.evaluate("() => Reveal.getTotalSlides()")
        shot = SCREENSHOTS / ("slides__" + Path(deck).name.removesuffix(".html") + ".png")
        page.screenshot(path=str(shot))
        typeset = page.locator("mjx-container").count()
        problems = [f"needed the network: {u}" for u in log.blocked]
        problems += [f"console error: {m}" for m in log.unexplained_console_errors()]
        problems += [f"failed request: {m}" for m in log.failed]
        if n_slides < 2:
            problems.append(f"only {n_slides} slide(s)")
        if typeset == 0:
            problems.append("no math typeset (no mjx-container)")
        assert not problems, f"{deck}:\n  " + "\n  ".join(problems)
    finally:
        context.close()

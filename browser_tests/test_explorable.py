"""Browser tests of the explorable figures and of the layout (run after a build, like test_site.py).

On every chapter page with widgets, with every non-local request blocked:

- every control of every explorable figure is moved (select: each option; range: its
  last position, by keyboard End; checkbox: toggled by a tap) and the figure must
  change to another frame that loads; a control that changes nothing with the others
  at their start (leaky ReLU's slope while the activation is ReLU) must change the
  figure once one of the two explored controls is elsewhere;
- keyboard: ArrowRight on a slider and ArrowDown on a dropdown move them and redraw;
  touch: a tap at a slider's right end moves it there and redraws;
- a combination that was not rendered shows the nearest frame and says so;
- no console error, no failed request.

Also: the start frame of every figure has the same pixels as the image the widget drew
in the notebook (its ipywidgets state in _build/jupyter_execute/), the site is under
60 MB, and the course title and the navigation are visible at 1280x800 and 390 px.
"""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from test_site import BUILD, PAGES, SITE, base_url, browser, open_page  # noqa: F401  (fixtures)

EXECUTED = BUILD / "jupyter_execute" / "chapters"
EXPLORABLE_PAGES = [p for p in PAGES if 'class="explorable"' in (BUILD / p).read_text(encoding="utf-8")]
SITE_LIMIT_MB = 60


def test_widget_pages_have_explorable_figures():
    """Chapters 2-7 each have a widget: every one of them became an explorable figure."""
    assert len(EXPLORABLE_PAGES) >= 6, EXPLORABLE_PAGES
    for page in EXPLORABLE_PAGES:
        text = (BUILD / page).read_text(encoding="utf-8")
        assert "widget-view+json" not in text, f"{page}: a widget was left without frames"


def test_site_is_under_the_size_limit():
    total = sum(f.stat().st_size for f in SITE.rglob("*") if f.is_file())
    frames = sum(f.stat().st_size for f in (SITE / "_static" / "explorable").rglob("*") if f.is_file())
    print(f"site {total / 1e6:.1f} MB, of which frames {frames / 1e6:.1f} MB")
    assert total < SITE_LIMIT_MB * 1e6, f"the site is {total / 1e6:.1f} MB"


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def _widget_images(notebook: Path) -> dict[str, bytes]:
    """model id of each widget box -> the PNG its Image showed when the notebook ran."""
    import base64

    nb = json.loads(notebook.read_text(encoding="utf-8"))
    state = nb["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    images = {}
    for model_id, model in state.items():
        for child in model["state"].get("children", []):
            child_model = state.get(child.removeprefix("IPY_MODEL_"), {})
            if child_model.get("model_name") == "ImageModel":
                buffers = {tuple(b["path"]): b["data"] for b in child_model.get("buffers", [])}
                images[model_id] = base64.b64decode(buffers[("value",)])
    return images


@pytest.mark.parametrize("page_path", EXPLORABLE_PAGES)
def test_start_frame_is_the_widgets_image(page_path):
    """The frame the page opens with equals, pixel for pixel, what the widget drew in the notebook."""
    html = (BUILD / page_path).read_text(encoding="utf-8")
    images = _widget_images(EXECUTED / (Path(page_path).stem + ".ipynb"))
    found = re.findall(r'<script type="application/json" class="explorable-data">(.*?)</script>', html, re.S)
    assert found
    for raw in found:
        data = json.loads(raw.replace("<\\/", "</"))
        frame = SITE / "_static" / "explorable" / data["model_id"] / data["frames"][data["start"]]
        live = images[data["model_id"]]
        assert np.array_equal(_pixels(frame.read_bytes()), _pixels(live)), (page_path, data["model_id"])
        print(f"{page_path}: {len(data['frames'])} settings, {len(set(data['frames'].values()))} frames")


# --- in the browser ---------------------------------------------------------------------

STATE = """root => ({shown: root.getAttribute('data-shown'), src: root.querySelector('img.explorable-frame').src,
    loaded: root.querySelector('img.explorable-frame').complete &&
            root.querySelector('img.explorable-frame').naturalWidth > 0,
    note: root.querySelector('.explorable-note').textContent})"""


def _state(root):
    root.page.wait_for_function(
        "root => { const i = root.querySelector('img.explorable-frame'); return i.complete && i.naturalWidth > 0; }",
        arg=root.element_handle())
    return root.evaluate(STATE)


def _set(control, kind, index):
    if kind == "select":
        control.select_option(str(index))
    elif kind == "checkbox":
        control.set_checked(bool(index))
    else:
        control.evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }",
                         str(index))


@pytest.mark.parametrize("page_path", EXPLORABLE_PAGES)
def test_every_control_changes_the_figure(browser, base_url, page_path):
    page, context, log = open_page(browser, base_url + page_path)
    try:
        problems = []
        roots = page.locator(".explorable")
        for r in range(roots.count()):
            root = roots.nth(r)
            root.scroll_into_view_if_needed()
            page.wait_for_function("root => root.getAttribute('data-ready') === 'true'", arg=root.element_handle())
            data = json.loads(root.locator("script.explorable-data").text_content())
            controls = data["controls"]
            start = [c["start"] for c in controls]
            first = _state(root)
            assert first["loaded"], f"{page_path}: the start frame did not load"

            def reset():
                for i, c in enumerate(controls):
                    _set(root.locator(f'[data-control="{i}"]'), c["kind"], start[i])

            for i, c in enumerate(controls):
                el = root.locator(f'[data-control="{i}"]')
                others = [j for j in range(len(c["labels"])) if j != start[i]]
                changed = False
                for j in others:
                    _set(el, c["kind"], j)
                    after = _state(root)
                    if after["shown"] != first["shown"] and after["src"] != first["src"] and after["loaded"]:
                        changed = True
                        break
                if not changed:  # e.g. a slope that only matters for another activation
                    pair = [k for k, cc in enumerate(controls) if cc["name"] in data.get("explore", [])
                            or k < 2]
                    for k in (k for k in pair if k != i):
                        for m in (m for m in range(len(controls[k]["labels"])) if m != start[k]):
                            reset()
                            _set(root.locator(f'[data-control="{k}"]'), controls[k]["kind"], m)
                            before = _state(root)
                            _set(el, c["kind"], others[-1])
                            after = _state(root)
                            if after["src"] != before["src"] and after["loaded"]:
                                changed = True
                                break
                        if changed:
                            break
                if not changed:
                    problems.append(f"figure {r}: moving {c['label']!r} never changes the figure")
                reset()
                assert _state(root)["shown"] == first["shown"], "reset did not restore the start frame"
        problems += [f"console error: {m}" for m in log.unexplained_console_errors()]
        problems += [f"needed the network: {u}" for u in log.blocked]
        problems += [f"failed request: {m}" for m in log.failed]
        assert not problems, f"{page_path}:\n  " + "\n  ".join(problems)
    finally:
        context.close()


@pytest.mark.parametrize("page_path", EXPLORABLE_PAGES[:1] + EXPLORABLE_PAGES[-1:])
def test_keyboard_moves_the_controls(browser, base_url, page_path):
    page, context, log = open_page(browser, base_url + page_path)
    try:
        root = page.locator(".explorable").first
        root.scroll_into_view_if_needed()
        page.wait_for_function("root => root.getAttribute('data-ready') === 'true'", arg=root.element_handle())
        for selector, key in (("input[type=range]", "ArrowRight"), ("select", "ArrowDown")):
            controls = root.locator(selector)
            if not controls.count():
                continue
            el = controls.first
            before, value = _state(root), el.input_value()
            el.focus()
            if selector == "input[type=range]" and int(value) == int(el.get_attribute("max")):
                key = "ArrowLeft"
            page.keyboard.press(key)
            after = _state(root)
            assert el.input_value() != value, f"{key} did not move the {selector}"
            assert after["shown"] != before["shown"] and after["loaded"], f"{key} did not redraw"
        assert not log.unexplained_console_errors(), log.console_errors
    finally:
        context.close()


@pytest.mark.parametrize("page_path", EXPLORABLE_PAGES[:1] + EXPLORABLE_PAGES[-1:])
def test_touch_moves_a_slider_and_a_nearest_frame_is_announced(browser, base_url, page_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                  service_workers="block")
    context.route("**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url
                  else route.abort("blockedbyclient"))
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(base_url + page_path, wait_until="load")
        root = page.locator(".explorable").first
        root.scroll_into_view_if_needed()
        page.wait_for_function("root => root.getAttribute('data-ready') === 'true'", arg=root.element_handle())
        sliders = root.locator("input[type=range]")
        el = sliders.first
        el.scroll_into_view_if_needed()
        before = _state(root)
        box = el.bounding_box()
        page.touchscreen.tap(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(200)
        after = _state(root)
        assert el.input_value() == el.get_attribute("max"), "a tap at the right end did not move the slider there"
        assert after["shown"] != before["shown"] and after["loaded"]
        # A combination outside the sweep and the grid: two sliders off their start.
        if sliders.count() >= 2:
            data = json.loads(root.locator("script.explorable-data").text_content())
            for k in range(1, sliders.count()):
                other = sliders.nth(k)
                other.evaluate("el => { el.value = 0; el.dispatchEvent(new Event('input', {bubbles: true})); }")
                state = _state(root)
                wanted = ",".join(str(int(root.locator(f'[data-control="{i}"]').input_value())
                                      if c["kind"] != "checkbox" else
                                      int(root.locator(f'[data-control="{i}"]').is_checked()))
                                  for i, c in enumerate(data["controls"]))
                if wanted not in data["frames"]:
                    assert "not precomputed" in state["note"] and "instead of" in state["note"], state
                    assert state["shown"] in data["frames"] and state["loaded"]
                    break
        assert not errors, errors
    finally:
        context.close()


# --- layout ----------------------------------------------------------------------------

TITLE_VISIBLE = """title => {
    const b = title.getBoundingClientRect();
    if (b.width === 0 || b.height === 0) return 'has no size';
    if (b.left < 0 || b.top < 0 || b.right > innerWidth || b.bottom > innerHeight) return 'is outside the window';
    for (const [x, y] of [[b.left + 3, b.top + 3], [b.right - 3, b.top + 3], [b.left + 3, b.bottom - 3],
                          [b.right - 3, b.bottom - 3], [(b.left + b.right) / 2, (b.top + b.bottom) / 2]]) {
        const hit = document.elementFromPoint(x, y);
        if (!hit || !(title.contains(hit) || hit.contains(title) || hit.closest('.navbar-brand')))
            return 'is covered at (' + Math.round(x) + ', ' + Math.round(y) + ') by ' +
                   (hit ? hit.tagName + '.' + hit.className : 'nothing');
    }
    return '';
}"""

NAV_VISIBLE = """nav => {
    const out = [];
    for (const a of nav.querySelectorAll('li.toctree-l1 > a')) {
        a.scrollIntoView({block: 'center'});
        const b = a.getBoundingClientRect();
        const hit = document.elementFromPoint(b.left + Math.min(10, b.width / 2), (b.top + b.bottom) / 2);
        if (!hit || !(a.contains(hit) || hit.contains(a))) out.push(a.textContent.trim().slice(0, 40));
    }
    return out;
}"""

LAYOUT_PAGES = [p for p in PAGES if p.endswith(("00_preface.html", "03_initialization.html", "07_rnn_bptt.html",
                                                 "appendix_bibliography.html"))]


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
@pytest.mark.parametrize("page_path", LAYOUT_PAGES)
def test_title_and_navigation_are_visible(browser, base_url, page_path, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, service_workers="block")
    page = context.new_page()
    try:
        page.goto(base_url + page_path, wait_until="load")
        page.wait_for_timeout(500)    # the theme scrolls the sidebar to the current page
        if width < 960:               # phones: the navigation opens as a drawer from the header button
            page.locator("button.primary-toggle >> visible=true").first.click()
            page.wait_for_selector("dialog[open] .logo__title")
            scope = "dialog[open]"
        else:
            scope = ".bd-sidebar-primary"
        title = page.locator(f"{scope} .logo__title")
        problem = title.evaluate(TITLE_VISIBLE)
        page.screenshot(path=str(BUILD / "screenshots" / f"layout_{width}__{Path(page_path).stem}.png"))
        assert not problem, f"{page_path} at {width}px: the course title {problem}"
        hidden = page.locator(f"{scope} nav.bd-docs-nav").evaluate(NAV_VISIBLE)
        assert not hidden, f"{page_path} at {width}px: navigation links hidden: {hidden}"
        assert title.evaluate(TITLE_VISIBLE) == "", "scrolling the navigation hid the title"
    finally:
        context.close()

"""Turn an (executed) chapter notebook into a slide deck that teaches: one idea per slide.

Used by scripts/make_slides.py. ``deck(nb, bib)`` returns a new notebook whose cells carry
reveal.js slide types (nbconvert's ``metadata.slideshow.slide_type``):

- a title slide, then the learning objectives (a few per slide);
- per ``##`` section: a slide with its heading and its first sentence; a slide per
  display equation; a slide per figure (a code cell's image) with a one-sentence
  takeaway (the first sentence of the text that follows it); a slide per myth of the
  myth-vs-measurement box; a slide per exercise prompt; the summary's points;
- every paragraph of prose goes into the speaker notes of the slide it belongs to
  (press S), as do the solutions; no text on a slide is longer than ``MAX_WORDS``.

MyST is made plain: {cite}`key` becomes (Author, year) from references.bib, {eq}`label`
the equation's number, {term}/{ref}/{doc} their text; equations get \\tag{n}.
"""
from __future__ import annotations

import copy
import re

import nbformat

MAX_WORDS = 40          # words of one paragraph or list item on a slide
SLIDE_WORDS = 110       # words of list items on one slide
SKIP_SECTIONS = ("references",)
_FENCE = re.compile(r"^(`{3,})\{([\w-]+)\}[ \t]*(.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z$*(\"“])")


# --- citations and MyST roles ------------------------------------------------------------

def citation_labels(bib_path) -> dict[str, tuple[str, str]]:
    """key -> (authors as "Ioffe and Szegedy" or "He et al.", year)."""
    from pybtex.database import parse_file

    labels = {}
    for key, entry in parse_file(str(bib_path)).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
        who = (names[0] if len(names) == 1 else f"{names[0]} and {names[1]}" if len(names) == 2
               else f"{names[0]} et al." if names else key)
        labels[key] = (who, entry.fields.get("year", "n.d."))
    return labels


def plain(text: str, bib: dict, eqs: dict) -> str:
    """MyST roles as plain markdown: citations (Author, year), equation numbers, terms."""
    def cite(m):
        role, keys = m.group(1) or "", [k.strip() for k in m.group(2).split(",")]
        found = [bib.get(k, (k, "?")) for k in keys]
        if role == ":t":
            return "; ".join(f"{who} ({year})" for who, year in found)
        return "(" + "; ".join(f"{who}, {year}" for who, year in found) + ")"

    text = re.sub(r"\{cite(:\w+)?\}`([^`]+)`", cite, text)
    text = re.sub(r"\{eq\}`([^`]+)`", lambda m: f"({eqs.get(m.group(1), '?')})", text)
    text = re.sub(r"\{\w[\w:-]*\}`([^`<]+?)(?:\s*<[^>]+>)?`", r"\1", text)
    return text


def words(text: str) -> int:
    return len(re.sub(r"\$[^$]*\$", "x", text).split())


def shorten(text: str, limit: int = MAX_WORDS) -> str:
    """``text`` if it has at most ``limit`` words, else its first sentence, else a cut at a clause."""
    text = " ".join(text.split())
    if words(text) <= limit:
        return text
    first = _SENTENCE_END.split(text)[0]
    if words(first) <= limit:
        return first
    tokens = first.split(" ")
    cut, count = [], 0
    for t in tokens:   # never cut inside $...$
        cut.append(t)
        count += 1
        if count >= limit - 2 and " ".join(cut).count("$") % 2 == 0:
            break
    head = " ".join(cut)
    clause = max(head.rfind(";"), head.rfind(":"), head.rfind(","))
    if clause > len(head) // 2 and head[:clause].count("$") % 2 == 0:
        head = head[:clause]
    return head.rstrip(",;: ") + " …"


# --- markdown blocks ---------------------------------------------------------------------

def blocks(text: str) -> list[tuple[str, str, str]]:
    """(kind, argument, body) for: heading, math, directive, list, para."""
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            ticks, name, arg = fence.groups()
            j = i + 1
            while j < len(lines) and lines[j].strip() != ticks:
                j += 1
            body = [ln for ln in lines[i + 1:j] if not re.match(r"^:[\w-]+:", ln)]
            out.append(("directive", f"{name} {arg}".strip(), "\n".join(body).strip()))
            i = j + 1
        elif line.startswith("#"):
            out.append(("heading", line.split(" ")[0], line.lstrip("#").strip()))
            i += 1
        elif line.strip().startswith("$$"):
            one_line = line.strip() != "$$" and line.strip().endswith("$$") and len(line.strip()) > 4 \
                and not re.match(r"^\$\$\s*\(", line.strip())
            j = i if one_line else i + 1
            while not one_line and j < len(lines) and not lines[j].strip().startswith("$$"):
                j += 1
            end = lines[j] if j < len(lines) else "$$"
            label = re.search(r"\$\$\s*\(([\w:-]+)\)\s*$", end)
            out.append(("math", label.group(1) if label else "", "\n".join(lines[i:j + 1])))
            i = j + 1
        elif re.match(r"^(\d+\.|[-*])\s", line):
            j = i + 1
            while j < len(lines) and (lines[j].startswith((" ", "\t")) or re.match(r"^(\d+\.|[-*])\s", lines[j])):
                j += 1
            items = re.split(r"\n(?=(?:\d+\.|[-*])\s)", "\n".join(lines[i:j]))
            items = [" ".join(re.sub(r"^(\d+\.|[-*])\s+", "", it).split()) for it in items]
            out.append(("list", "ordered" if line[0].isdigit() else "bullet", "\x00".join(items)))
            i = j
        else:
            j = i
            while j < len(lines) and lines[j].strip() and not lines[j].startswith(("#", "$$", "```")) \
                    and not re.match(r"^(\d+\.|[-*])\s", lines[j]):
                j += 1
            out.append(("para", "", " ".join(ln.strip() for ln in lines[i:max(j, i + 1)])))
            i = max(j, i + 1)
    return out


def _math(body: str, number: int | None) -> str:
    inner = re.sub(r"^\s*\$\$|\$\$\s*(\([\w:-]+\))?\s*$", "", body.strip()).strip()
    return "$$\n" + inner + (f" \\tag{{{number}}}" if number else "") + "\n$$"


def equation_numbers(nb) -> dict[str, int]:
    """label -> number, in the order the labelled display equations appear."""
    labels = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            labels += re.findall(r"^\$\$\s*\(([\w:-]+)\)\s*$", cell.source, flags=re.MULTILINE)
    return {label: i + 1 for i, label in enumerate(dict.fromkeys(labels))}


class _Deck:
    def __init__(self):
        self.slides: list[dict] = []

    def new(self, title: str, kind: str = "item", level: int = 3) -> dict:
        slide = {"title": title, "level": level, "kind": kind, "body": [], "cells": [], "after": [],
                 "notes": []}
        self.slides.append(slide)
        return slide

    @property
    def current(self) -> dict:
        return self.slides[-1] if self.slides else self.new("", "title", 1)


def _list_slides(deck: _Deck, title: str, items: list[str], intro: str = "", ordered: bool = True):
    chunk, count = [], 0
    for item in items:
        short = shorten(item)
        if chunk and count + words(short) > SLIDE_WORDS:
            _emit_list(deck, title, chunk, intro, ordered)
            chunk, count, intro = [], 0, ""
        chunk.append(short)
        count += words(short)
    if chunk:
        _emit_list(deck, title, chunk, intro, ordered)


def _emit_list(deck, title, chunk, intro, ordered):
    slide = deck.new(title)
    if intro:
        slide["body"].append(shorten(intro))
    slide["body"].append("\n".join(f"{'1.' if ordered else '-'} {c}" for c in chunk))


def _directive(deck: _Deck, name_arg: str, body: str, section: str, bib, eqs):
    name, _, arg = name_arg.partition(" ")
    inner = blocks(body)
    title = arg or name.capitalize()
    if "objective" in arg.lower():
        intro = " ".join(b for k, _, b in inner if k == "para")
        for kind, a, b in inner:
            if kind == "list":
                _list_slides(deck, "Learning objectives", b.split("\x00"), intro, a == "ordered")
        deck.current["notes"].append(body)
    elif "myth" in arg.lower():
        for kind, _, para in inner:
            match = re.match(r"\*\*(Myth[^*]*)\*\*\s*(.*?)\s*\*\*Measurement\.?\*\*\s*(.*)", para)
            if not match:
                if deck.slides and deck.current["title"].startswith("Myth"):
                    deck.current["notes"].append(para)
                continue
            label, myth, measured = match.groups()
            slide = deck.new(f"{label.rstrip('.')}: myth vs measurement")
            slide["body"] += [f"> {shorten(myth)}", f"**Measured:** {shorten(measured)}"]
            slide["notes"].append(para)
    elif name == "exercise":
        slide = deck.new("Exercise" + (f": {arg}" if arg and not arg.startswith(":") else ""))
        for kind, a, b in inner:
            if kind == "para":
                slide["body"].append(shorten(b))
            elif kind == "list":
                slide["body"].append("\n".join(f"{'1.' if a == 'ordered' else '-'} {shorten(x)}"
                                               for x in b.split("\x00")))
            elif kind == "math":
                slide["body"].append(_math(b, eqs.get(a)))
        if sum(words(b) for b in slide["body"]) > 2 * SLIDE_WORDS:   # a long prompt: its start only
            slide["body"] = slide["body"][:2] + ["(continued in the notebook)"]
        slide["notes"].append(body)
    else:
        first = next((b for k, _, b in inner if k == "para"), "")
        slide = deck.new(title)
        if first:
            slide["body"].append(shorten(first))
        slide["notes"].append(body)


def deck(nb, bib: dict):
    """A new notebook: the slides of ``nb`` (see the module docstring)."""
    eqs = equation_numbers(nb)
    d = _Deck()
    section, heading, skipping, in_solution, figure = "", "", False, False, None
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "remove-cell" in tags:
            continue
        if cell.cell_type == "markdown":
            text = plain(cell.source, bib, eqs)
            if text.lstrip().startswith("```{solution-start}"):
                in_solution = True
            if in_solution or "solution" in tags:
                solution, end, text = text.partition("{solution-end}")
                if d.slides:
                    d.current["notes"].append(re.sub(r"```\{solution-start\}[^\n]*\n?|^:[\w-]+:.*$|```+",
                                                     "", solution, flags=re.MULTILINE).strip())
                if not end:
                    continue
                in_solution = False
                text = text.split("\n", 1)[1] if "\n" in text else ""
                text = re.sub(r"^\s*```+\s*\n?", "", text)   # the closing fence of solution-end
            for kind, arg, body in blocks(text):
                if kind == "heading":
                    level = len(arg)
                    skipping = level <= 2 and body.lower().startswith(SKIP_SECTIONS)
                    if skipping:
                        continue
                    if level == 1:
                        d.new(body, "title", 1)
                    else:
                        section = body if level == 2 else section
                        heading = body
                        d.new(body, "section", 2 if level == 2 else 3)
                    figure = None
                    continue
                if skipping:
                    continue
                slide = d.current
                if kind == "para":
                    first = _SENTENCE_END.split(" ".join(body.split()))[0]
                    if figure is not None:
                        figure["after"].append(f"**Takeaway:** {shorten(first)}")
                        figure["notes"].append(body)
                        figure = None
                        continue
                    if slide["kind"] in ("section", "title") and not slide["body"] and words(first) <= MAX_WORDS:
                        slide["body"].append(first)
                    slide["notes"].append(body)
                elif kind == "math":
                    eq = d.new(heading or slide["title"])
                    eq["body"].append(_math(body, eqs.get(arg)))
                elif kind == "list":
                    items = body.split("\x00")
                    if section.lower().startswith(("summary", "key points", "takeaways")):
                        _list_slides(d, section, items, ordered=arg == "ordered")
                    else:
                        slide["notes"].append("\n".join(f"- {x}" for x in items))
                elif kind == "directive":
                    _directive(d, arg, body, section, bib, eqs)
        elif cell.cell_type == "code" and not in_solution and "solution" not in tags and not skipping:
            images = [o for o in cell.get("outputs", [])
                      if o.get("output_type") in ("display_data", "execute_result")
                      and "image/png" in o.get("data", {})
                      and "application/vnd.jupyter.widget-view+json" not in o.get("data", {})]
            if images:
                figure = d.new(heading or section)
                out = copy.deepcopy(cell)
                out.source = ""
                out.outputs = images
                figure["cells"].append(out)
    return _to_notebook(nb, d)


def _to_notebook(nb, d: _Deck):
    new = nbformat.v4.new_notebook(metadata=copy.deepcopy(nb.metadata))
    new.metadata.pop("widgets", None)
    for slide in d.slides:
        if not (slide["body"] or slide["cells"] or slide["kind"] in ("title", "section")):
            continue
        head = "#" * slide["level"] + " " + slide["title"] if slide["title"] else ""
        md = nbformat.v4.new_markdown_cell("\n\n".join([head, *slide["body"]]).strip())
        md.metadata["slideshow"] = {"slide_type": "slide"}
        new.cells.append(md)
        for cell in slide["cells"]:
            cell.metadata["slideshow"] = {"slide_type": "-"}
            cell.metadata["transient"] = {"remove_source": True}
            new.cells.append(cell)
        if slide["after"]:
            after = nbformat.v4.new_markdown_cell("\n\n".join(slide["after"]))
            after.metadata["slideshow"] = {"slide_type": "-"}
            new.cells.append(after)
        notes = "\n\n".join(n for n in slide["notes"] if n)
        if notes:
            cell = nbformat.v4.new_markdown_cell(notes)
            cell.metadata["slideshow"] = {"slide_type": "notes"}
            new.cells.append(cell)
    return new


def slide_paragraphs(deck_nb) -> list[str]:
    """Every paragraph and list item shown on a slide (notes excluded), for the tests."""
    out = []
    for cell in deck_nb.cells:
        if cell.cell_type != "markdown" or cell.metadata.get("slideshow", {}).get("slide_type") == "notes":
            continue
        for kind, _, body in blocks(cell.source):
            if kind in ("para", "list"):
                out += [re.sub(r"^>\s*", "", x) for x in body.split("\x00")]
    return out

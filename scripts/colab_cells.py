#!/usr/bin/env python3
"""Write (or check) the Colab install cell of every chapter notebook from _config.yml.

    python scripts/colab_cells.py --check     # exit 1 and list the notebooks that differ
    python scripts/colab_cells.py --write     # rewrite the cells that differ

The first code cell of each notebook in chapters/ installs lessonlib on Colab from
the public repository at the release tag, ``pip install "lessonlib @ git+URL@TAG"``,
and does nothing where lessonlib already imports (Binder, a local checkout). The
URL and the tag are read from ``repository: url`` and ``repository: release_tag`` in
_config.yml, the one place that sets them. The website hides the cell (tag
``remove-cell``). Only that cell is changed (its id is kept); tests/test_colab_cells.py
runs ``--check``'s comparison on every notebook.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
TAG = "remove-cell"
# Packages the chapters import that Colab does not have, besides lessonlib.
EXTRAS = ("jupyterquiz>=2.9.6",)


def repository() -> tuple[str, str]:
    """(url, release_tag) from _config.yml."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    repo = config.get("repository") or {}
    url, tag = repo.get("url"), repo.get("release_tag")
    if not url or not tag:
        raise SystemExit("_config.yml must set repository: url and repository: release_tag")
    return url.rstrip("/"), str(tag)


def cell_source(url: str, tag: str) -> str:
    extras = " ".join(f'"{e}"' for e in EXTRAS)
    return (
        f"# Colab: install the course library (lessonlib {tag}) only where it is missing.\n"
        "# On Binder and in a local checkout lessonlib is already installed, so this cell\n"
        "# does nothing there. The website hides this cell (tag: remove-cell).\n"
        "# Written by scripts/colab_cells.py from _config.yml: do not edit by hand.\n"
        "try:\n"
        "    import lessonlib  # noqa: F401\n"
        "except ImportError:\n"
        f'    %pip install -q "lessonlib @ git+{url}@{tag}" {extras}'
    )


def first_code_cell(nb: dict) -> dict | None:
    return next((c for c in nb["cells"] if c["cell_type"] == "code"), None)


def _text(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def problems(nb: dict, expected: str) -> list[str]:
    """What is wrong with a notebook's Colab cell (empty if nothing)."""
    cell = first_code_cell(nb)
    if cell is None:
        return ["has no code cell"]
    out = []
    if _text(cell) != expected:
        out.append("its first code cell is not the Colab install cell written from _config.yml")
    if TAG not in cell.get("metadata", {}).get("tags", []):
        out.append(f"its first code cell is not tagged {TAG}")
    return out


def write(path: Path, expected: str) -> bool:
    """Make the first code cell the Colab cell (keeping its id). True if the file changed."""
    raw = path.read_text(encoding="utf-8")
    nb = json.loads(raw)
    cell = first_code_cell(nb)
    lines = expected.splitlines(keepends=True)
    is_colab = cell is not None and ("%pip install" in _text(cell) or "!pip install" in _text(cell))
    if not is_colab:        # no Colab cell yet: insert one before the first code cell
        cell = {"cell_type": "code", "execution_count": None, "id": "colab-install",
                "metadata": {"tags": [TAG]}, "outputs": [], "source": lines}
        index = next((i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"), len(nb["cells"]))
        nb["cells"].insert(index, cell)
    else:
        cell["source"] = lines
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if TAG not in tags:
            tags.append(TAG)
    text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    if text != raw:
        path.write_text(text, encoding="utf-8")
        return True
    return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--write", action="store_true")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: chapters/*.ipynb")
    args = parser.parse_args(argv)
    expected = cell_source(*repository())
    notebooks = args.notebooks or sorted(CHAPTERS.glob("*.ipynb"))
    bad = 0
    for path in notebooks:
        if args.write:
            if write(path, expected):
                print(f"rewrote the Colab cell of {path}")
        for problem in problems(json.loads(path.read_text(encoding="utf-8")), expected):
            print(f"{path}: {problem}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

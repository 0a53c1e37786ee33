"""The Colab install cell of every chapter is written from the one place that sets the
public URL and the release tag (_config.yml), by scripts/colab_cells.py."""
from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import colab_cells  # noqa: E402  (scripts/colab_cells.py)

NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
URL, TAG = colab_cells.repository()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_colab_cell_is_written_from_config(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = colab_cells.problems(nb, colab_cells.cell_source(URL, TAG))
    assert not problems, f"{path.name}: {problems}; run: python scripts/colab_cells.py --write"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_other_cell_names_the_repository(path):
    """The URL is written in one cell only, so a change of _config.yml reaches every copy."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    first = colab_cells.first_code_cell(nb)
    others = [i for i, c in enumerate(nb["cells"]) if c is not first
              and re.search(r"git\+https?://|github\.com/", "".join(c["source"]))]
    assert not others, f"{path.name}: cells {others} name a repository URL; only the Colab cell may"


def test_colab_cell_installs_a_tagged_release_of_this_version():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert TAG == f"v{version}", f"release_tag {TAG} in _config.yml, version {version} in pyproject.toml"
    source = colab_cells.cell_source(URL, TAG)
    assert f"git+{URL}@{TAG}" in source and source.count("%pip install") == 1


def test_write_touches_only_the_first_code_cell(tmp_path):
    """--write on a notebook with an outdated cell changes that cell and nothing else."""
    original = json.loads(NOTEBOOKS[0].read_text(encoding="utf-8"))
    stale = json.loads(json.dumps(original))
    colab_cells.first_code_cell(stale)["source"] = ["%pip install -q git+https://example.org/old\n"]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(stale), encoding="utf-8")
    assert colab_cells.write(path, colab_cells.cell_source(URL, TAG))
    assert json.loads(path.read_text(encoding="utf-8")) == original

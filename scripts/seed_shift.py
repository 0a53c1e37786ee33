#!/usr/bin/env python3
"""Rerun chapters with every seed shifted, and report which asserts fail.

    python scripts/seed_shift.py                          # every chapter, shifts 1000..4000
    python scripts/seed_shift.py chapters/03_initialization.ipynb --shifts 1000 2000

Each run executes the notebook in a fresh kernel with ``scripts/seedshift/`` first on
``PYTHONPATH``: its ``sitecustomize`` adds the shift to every integer seed passed to
``np.random.default_rng``, in the chapter and inside lessonlib alike. Cells keep running
after an error (nbclient ``allow_errors``), so one run lists every failing cell. The
exit code is 1 if any cell failed under any shift.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.notebooks import run_notebook  # noqa: E402

SITE = ROOT / "scripts" / "seedshift"
ASSERT = re.compile(r"^\s*assert\b", re.M)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def count_asserts(nb) -> int:
    return sum(len(ASSERT.findall(c.source)) for c in nb.cells if c.cell_type == "code")


def failures(path: Path, shift: int) -> list[tuple[int, str]]:
    """(cell index, 'Error: message') of every code cell that raised under ``shift``."""
    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ)
    env["LESSONLIB_SEED_SHIFT"] = str(shift)
    env["PYTHONPATH"] = os.pathsep.join([str(SITE), str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("MPLBACKEND", "Agg")
    run_notebook(nb, cwd=path.parent, env=env, allow_errors=True)
    found = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                where = [ANSI.sub("", l) for l in out.get("traceback", [])]
                arrow = [l.strip() for t in where for l in t.splitlines() if l.lstrip().startswith("--->")]
                msg = f"{out['ename']}: {out['evalue']}"[:120] + (f"  at {arrow[-1][:120]}" if arrow else "")
                found.append((index, msg))
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--shifts", nargs="+", type=int, default=[1000, 2000, 3000, 4000])
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "chapters").glob("[0-9]*.ipynb"))
    failed_any = False
    rows = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        total = count_asserts(nb)
        failed_cells: dict[int, list[str]] = {}
        for shift in args.shifts:
            for index, msg in failures(path, shift):
                failed_cells.setdefault(index, []).append(f"shift {shift}: {msg}")
        failed_asserts = sum(len(ASSERT.findall(nb.cells[i].source)) or 1 for i in failed_cells)
        rows.append((path.name, total, len(failed_cells), failed_asserts))
        print(f"\n{path.name}: {total} asserts; {len(failed_cells)} cells failed under some shift")
        for index in sorted(failed_cells):
            for line in failed_cells[index]:
                print(f"  cell {index}: {line}")
        failed_any |= bool(failed_cells)
    print("\nchapter                      asserts  failing cells  asserts in them")
    for name, total, cells, asserts in rows:
        print(f"{name:28s} {total:7d} {cells:14d} {asserts:16d}")
    return 1 if failed_any else 0


if __name__ == "__main__":
    sys.exit(main())
